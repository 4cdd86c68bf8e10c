/**
 * The built server as a child process (`node server/dist/main.js`), its stdout and stderr captured.
 * Needs a build: `npm run build -w core && npm run build -w server` (`npm test` builds first).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface ServerProcess {
  process: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output: () => string;
  exited: Promise<number | null>;
}

export interface RunningServer extends ServerProcess {
  url: string;
}

const children: ChildProcess[] = [];

export function requireBuiltServer(): void {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run \`npm run build -w core && npm run build -w server\` first`);
  }
}

/** Starts the server with `env` on top of PORT=0, HOST=127.0.0.1 and LOG_LEVEL=info. */
export function spawnServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { process: child, output: () => output, exited };
}

/** spawnServer, then waits until the server says where it listens. */
export async function startServerProcess(env: Record<string, string>): Promise<RunningServer> {
  const child = spawnServer(env);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(child.output())?.[1];
    if (url) return { ...child, url };
    if (child.process.exitCode !== null) throw new Error(`server exited early:\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`server did not start:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** SIGKILLs every server process spawned here that is still running. */
export function killServerProcesses(): void {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
}
