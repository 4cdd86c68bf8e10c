import { execFileSync, fork, spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The benchmarks/ folder. */
export const benchmarksDir = fileURLToPath(new URL('..', import.meta.url));

/** The repository root (one level above benchmarks/). */
export const repoDir = fileURLToPath(new URL('../..', import.meta.url));

/**
 * tsconfig for tsx without `paths`: the root tsconfig maps @switchboard/* to sources, which tsx would
 * honour; benchmarks must load the built dist that users get.
 */
const runTsconfig = fileURLToPath(new URL('../tsconfig.run.json', import.meta.url));

const TSX_EXEC_ARGV = ['--import', 'tsx'];

const running = new Set<ChildProcess>();
let cleanupInstalled = false;

/** Kills every child still running when this process exits or is interrupted. */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const killAll = () => {
    for (const child of running) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

function track(child: ChildProcess): ChildProcess {
  installCleanup();
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Forks a TypeScript entry point (through tsx) with an IPC channel. */
export function forkTs(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return track(
    fork(script, args, {
      cwd: benchmarksDir,
      execArgv: TSX_EXEC_ARGV,
      env: { ...process.env, ...env, TSX_TSCONFIG_PATH: runTsconfig },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
}

/** The hard limit on open files of processes started from here (what a soft limit can be raised to). */
export function hardFileLimit(): number {
  const output = execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  return output === 'unlimited' ? Number.POSITIVE_INFINITY : Number(output);
}

/**
 * Starts `node <args>` with its soft open-file limit raised to the hard limit (a Node process cannot raise
 * its own), so thousands of sockets fit. `ipc` adds an IPC channel, which survives bash's exec.
 */
export function spawnNodeWithRaisedFileLimit(
  nodeArgs: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    ipc?: boolean;
    /** Where stdout and stderr go: inherited (default) or a file descriptor (a log file). */
    output?: number;
    typescript?: boolean;
  } = {},
): ChildProcess {
  const output = options.output ?? 'inherit';
  const stdio: StdioOptions = ['ignore', output, output];
  if (options.ipc) stdio.push('ipc');
  const args = options.typescript ? [...TSX_EXEC_ARGV, ...nodeArgs] : nodeArgs;
  const env = { ...process.env, ...options.env };
  if (options.typescript) env.TSX_TSCONFIG_PATH = runTsconfig;
  return track(
    spawn(
      'bash',
      ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'bash', process.execPath, ...args],
      {
        cwd: benchmarksDir,
        env,
        stdio,
      },
    ),
  );
}

/** Resolves with the first IPC message of a child that sends one result and exits; rejects on failure. */
export function firstMessage<T>(child: ChildProcess, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      finish(new Error(`child ${child.pid} sent no result within ${timeoutMs} ms`));
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (error: Error | null, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value as T);
    };
    child.once('message', (message) => finish(null, message as T));
    child.once('error', (error) => finish(error));
    child.once('exit', (code, signal) =>
      finish(new Error(`child ${child.pid} exited (code ${code}, signal ${signal}) before sending a result`)),
    );
  });
}

/** Stops a child: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Sends one message from a child process to its parent and waits until it is flushed. */
export function sendToParent(message: unknown): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!process.send) {
      reject(new Error('this script must be started by the benchmark runner (no IPC channel)'));
      return;
    }
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}
