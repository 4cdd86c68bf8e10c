/**
 * Runs the BUILT CLI (cli/dist/main.js) as a child process against a real server (buildApp on a random
 * port with a SQLite file in a temp directory), the way a user or a script would.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestServer } from '../../server/test/helpers';
import { ADMIN_TOKEN, startServer } from '../../server/test/helpers';

export { ADMIN_TOKEN, startServer };
export type { TestServer };

const cliRoot = fileURLToPath(new URL('..', import.meta.url));
export const CLI_MAIN = join(cliRoot, 'dist', 'main.js');

function newestSourceTime(directory: string): number {
  return Math.max(
    ...readdirSync(directory, { withFileTypes: true }).map((entry) => {
      const path = join(directory, entry.name);
      return entry.isDirectory() ? newestSourceTime(path) : statSync(path).mtimeMs;
    }),
  );
}

/** These tests exercise the build users run; a missing or outdated build fails loudly instead of testing old code. */
export function assertCliBuilt(): void {
  let built: number;
  try {
    built = statSync(CLI_MAIN).mtimeMs;
  } catch {
    throw new Error(`${CLI_MAIN} is missing: run \`npm run build -w core && npm run build -w cli\` first`);
  }
  if (built < newestSourceTime(join(cliRoot, 'src'))) {
    throw new Error(`${CLI_MAIN} is older than cli/src: run \`npm run build -w cli\` first`);
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Environment variables on top of a clean set (no inherited SWITCHBOARD_* or NO_COLOR). */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. */
  input?: string;
}

/** A private config directory per test file, so no test ever reads or writes the real ~/.config. */
export function isolatedConfig(): string {
  return join(mkdtempSync(join(tmpdir(), 'switchboard-cli-')), 'profile.json');
}

/** Runs `switchboard …args` and collects its output and exit code. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('SWITCHBOARD_') && name !== 'NO_COLOR'),
  );
  const env = { ...inherited, SWITCHBOARD_CONFIG: isolatedConfig(), ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A CLI bound to one server and token, as SWITCHBOARD_URL / SWITCHBOARD_TOKEN would bind it. */
export function cliFor(server: Pick<TestServer, 'url'>, token = ADMIN_TOKEN) {
  const env = { SWITCHBOARD_URL: server.url, SWITCHBOARD_TOKEN: token };
  return (args: string[], options: CliOptions = {}) =>
    runCli(args, { ...options, env: { ...env, ...options.env } });
}

/** Parses the JSON a `--json` command printed, failing with its stderr when it did not succeed. */
export function json<T = unknown>(result: CliResult): T {
  if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
