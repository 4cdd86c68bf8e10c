/**
 * The built server as a child process (`node server/dist/main.js`): first start, restart, graceful
 * shutdown, configuration errors, and durability across SIGKILL.
 * Needs a build: `npm run build -w core && npm run build -w server` (`npm test` builds first).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { booleanFlag, flagPath } from './helpers';
import type { RunningServer } from './process-fixture';
import { killServerProcesses, requireBuiltServer, spawnServer, startServerProcess } from './process-fixture';

const ADMIN = 'sb_admin_process-test-secret';

let dir: string;

beforeAll(requireBuiltServer);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-process-'));
});
afterEach(() => {
  killServerProcesses();
  rmSync(dir, { recursive: true, force: true });
});

const startServer = (env: Record<string, string>): Promise<RunningServer> =>
  startServerProcess({ DATABASE_URL: join(dir, 'switchboard.db'), ...env });

const call = (server: RunningServer, method: string, path: string, token: string, body?: unknown) =>
  fetch(server.url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('the server process', () => {
  it('prints a generated admin token once on first start, and not again on restart', async () => {
    const first = await startServer({});
    const printed = first.output().match(/sb_admin_[A-Za-z0-9_-]+/g) ?? [];
    expect(printed).toHaveLength(1);
    const token = printed[0]!;
    expect((await call(first, 'GET', '/api/v1/flags', token)).status).toBe(200);
    first.process.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await startServer({});
    expect(second.output()).not.toMatch(/sb_admin_/);
    expect((await call(second, 'GET', '/api/v1/flags', token)).status).toBe(200);
    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('shuts down cleanly on SIGTERM, keeping what it acknowledged', async () => {
    const server = await startServer({ SWITCHBOARD_ADMIN_TOKEN: ADMIN });
    expect((await call(server, 'PUT', flagPath('kept'), ADMIN, booleanFlag('kept'))).status).toBe(201);
    server.process.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/shutting down/);

    const again = await startServer({ SWITCHBOARD_ADMIN_TOKEN: ADMIN });
    expect((await call(again, 'GET', flagPath('kept'), ADMIN)).status).toBe(200);
    const ready = await fetch(`${again.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', store: 'sqlite', fanout: { mode: 'in-process' } });
  });

  it('refuses an invalid PORT', async () => {
    const child = spawnServer({ DATABASE_URL: join(dir, 'x.db'), PORT: 'eighty' });
    expect(await child.exited).toBe(2);
    expect(child.output()).toMatch(/PORT must be an integer/);
  });
});

describe('two processes on one database file', () => {
  it('serialize their writes: one unbroken audit chain, no sequence number used twice', async () => {
    const first = await startServer({ SWITCHBOARD_ADMIN_TOKEN: ADMIN });
    const second = await startServer({ SWITCHBOARD_ADMIN_TOKEN: ADMIN });
    const writes = Array.from({ length: 60 }, (_, index) => {
      const key = `shared-${index}`;
      return call(index % 2 === 0 ? first : second, 'PUT', flagPath(key), ADMIN, booleanFlag(key));
    });
    const statuses = await Promise.all(writes.map(async (write) => (await write).status));
    expect(statuses).toEqual(Array(60).fill(201));

    const verdict = (await (await call(second, 'GET', '/api/v1/audit/verify', ADMIN)).json()) as {
      ok: boolean;
    };
    expect(verdict.ok).toBe(true);
    const environments = (await (await call(first, 'GET', '/api/v1/environments', ADMIN)).json()) as {
      environments: Array<{ key: string; seq: number }>;
    };
    expect(environments.environments.find((environment) => environment.key === 'production')?.seq).toBe(60);
  });
});

describe('durability', () => {
  it('keeps every acknowledged write across SIGKILL at a random moment, with an intact audit chain', async () => {
    const server = await startServer({ SWITCHBOARD_ADMIN_TOKEN: ADMIN });
    const acknowledged = new Map<string, number>();
    let stopped = false;

    const writer = async (id: number) => {
      for (let n = 0; !stopped; n++) {
        const key = `durable-${id}-${n}`;
        try {
          const created = await call(server, 'PUT', flagPath(key), ADMIN, booleanFlag(key));
          if (created.status !== 201) throw new Error(`create answered ${created.status}`);
          acknowledged.set(key, 1);
          const toggled = await call(
            server,
            'PUT',
            `${flagPath(key)}/environments/production/enabled`,
            ADMIN,
            {
              enabled: false,
              version: 1,
            },
          );
          if (toggled.status !== 200) throw new Error(`toggle answered ${toggled.status}`);
          acknowledged.set(key, 2);
        } catch (error) {
          if (stopped) return; // The connection died with the server: this write is unacknowledged.
          throw error;
        }
      }
    };
    const writers = Promise.all([0, 1, 2, 3].map(writer));

    await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 1200));
    stopped = true;
    server.process.kill('SIGKILL');
    await writers;
    expect(await server.exited).toBeNull();
    expect(acknowledged.size).toBeGreaterThan(0);

    const restarted = await startServer({ SWITCHBOARD_ADMIN_TOKEN: ADMIN });
    for (const [key, version] of acknowledged) {
      const reply = await call(restarted, 'GET', flagPath(key), ADMIN);
      expect(reply.status, key).toBe(200);
      const flag = (await reply.json()) as {
        version: number;
        environments: { production: { enabled: boolean } };
      };
      expect(flag.version, key).toBeGreaterThanOrEqual(version);
      if (version === 2) expect(flag.environments.production.enabled, key).toBe(false);
    }
    const verdict = (await (await call(restarted, 'GET', '/api/v1/audit/verify', ADMIN)).json()) as {
      ok: boolean;
      entries: number;
    };
    expect(verdict.ok).toBe(true);
    const acknowledgedWrites = [...acknowledged.values()].reduce((sum, version) => sum + version, 0);
    expect(verdict.entries).toBeGreaterThanOrEqual(acknowledgedWrites);
  });
});
