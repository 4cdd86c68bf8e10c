import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchmarksDir } from './child';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemoryMiB: number;
  platform: string;
  kernel: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    node: process.version,
  };
}

/** The installed version of a package, read from the nearest node_modules above benchmarks/. */
export function installedVersion(packageName: string): string {
  for (let dir = benchmarksDir; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'node_modules', packageName, 'package.json');
    if (existsSync(manifest)) {
      return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    }
    if (path.dirname(dir) === dir) return 'not installed';
  }
}

export function describeMachine(machine: MachineInfo): string {
  return `${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryMiB} MiB, ${machine.platform}, Node ${machine.node}`;
}
