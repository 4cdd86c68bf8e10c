/**
 * The built server as a child process (`node server/dist/main.js`) for the fault tests: started on
 * a port it keeps across restarts, killed with SIGKILL, driven over real HTTP. Its open-file limit is
 * raised to the hard limit, so thousands of streams fit. Needs a build (`npm test` builds first).
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnNodeWithRaisedFileLimit } from '../benchmarks/lib/child';
import { ADMIN_TOKEN, HttpPeer, eventually, freePort } from './scale-harness';

export { ADMIN_TOKEN };

const MAIN = fileURLToPath(new URL('../server/dist/main.js', import.meta.url));

export class ServerProcess extends HttpPeer {
  private child: ChildProcess | null = null;
  private readonly logPath: string;

  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    dir: string,
  ) {
    super(`http://127.0.0.1:${port}`);
    this.logPath = join(dir, 'server.log');
  }

  /**
   * A server on a free port with `DATABASE_URL` (plus any other variables); its log goes to
   * `<dir>/server.log`.
   */
  static async start(databaseUrl: string, dir: string, env: Record<string, string> = {}) {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    const server = new ServerProcess(await freePort(), { DATABASE_URL: databaseUrl, ...env }, dir);
    await server.start();
    return server;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the server process wrote so far (all runs). */
  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  /**
   * Starts (or restarts, on the same port and database) and waits until /healthz answers (within
   * `timeoutMs`: longer when a crowd of clients is waiting to reconnect).
   */
  async start(timeoutMs = 30_000): Promise<void> {
    const output = openSync(this.logPath, 'a');
    const child = spawnNodeWithRaisedFileLimit([MAIN], {
      output,
      env: {
        PORT: String(this.port),
        HOST: '127.0.0.1',
        SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
        LOG_LEVEL: 'warn',
        ...this.env,
      },
    });
    closeSync(output);
    this.child = child;
    await eventually(
      async () => {
        if (!this.running) throw new Error(`the server exited:\n${this.log()}`);
        return fetch(`${this.url}/healthz`).then(
          (response) => response.ok,
          () => false,
        );
      },
      'the server process to answer /healthz',
      timeoutMs,
    );
  }

  /** SIGKILL (no shutdown: connections drop as in a crash); resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** The environment's change sequence: the version an up-to-date SDK holds. */
  async environmentSeq(environment = 'production'): Promise<number> {
    const body = await this.expectOk('GET', '/api/v1/environments');
    const found = (body.environments as Array<{ key: string; seq: number }>).find(
      (candidate) => candidate.key === environment,
    );
    if (!found) throw new Error(`no environment ${environment}`);
    return found.seq;
  }

  /** GET /api/v1/audit/verify. */
  async verifyAudit(): Promise<{ ok: boolean; entries?: number; brokenAt?: number }> {
    return this.expectOk('GET', '/api/v1/audit/verify');
  }
}
