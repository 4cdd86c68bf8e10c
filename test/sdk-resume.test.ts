/** The SDK across server restarts: Last-Event-ID resume, a fresh put when the log is gone, SIGKILL. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '@switchboard/sdk-node';
import type { SwitchboardClient } from '@switchboard/sdk-node';
import type { FastifyInstance } from 'fastify';
import { ADMIN_TOKEN, SdkTestServer, booleanFlag, eventually, flagPath, nextEvent } from './sdk-harness';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function sdk(url: string, sdkKey: string): SwitchboardClient {
  // Short reconnect delays: the server is back within a second in these tests.
  const client = createClient({ url, sdkKey, metrics: false, reconnectBaseMs: 50, reconnectMaxMs: 200 });
  cleanups.push(() => client.close());
  return client;
}

async function flagOn(app: FastifyInstance, key: string): Promise<void> {
  const current = await app.inject({
    method: 'GET',
    url: flagPath(key),
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const reply = await app.inject({
    method: 'PUT',
    url: flagPath(key),
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { ...booleanFlag(key, 'on'), version: current.json().version },
  });
  expect(reply.statusCode).toBe(200);
}

describe('SDK resume after a server restart (same port, same database file)', () => {
  async function connectedThenStopped(retention?: number) {
    const server = new SdkTestServer(retention === undefined ? {} : { changeLogRetention: retention });
    cleanups.push(() => server.dispose());
    await server.start();
    await server.putFlag(booleanFlag('first', 'off'));
    await server.putFlag(booleanFlag('second', 'off'));
    const { token } = await server.serverKey();
    const client = sdk(server.url, token);
    await client.ready();
    const version = client.version!;
    await server.stop();
    await eventually(
      () => client.status.connection === 'disconnected',
      'the SDK to notice the server is gone',
    );
    return { server, client, version };
  }

  it('resumes with Last-Event-ID: only the missed changes are sent, then live changes flow again', async () => {
    const { server, client, version } = await connectedThenStopped();
    let changesSince: ReturnType<typeof vi.spyOn> | undefined;
    let getRuleset: ReturnType<typeof vi.spyOn> | undefined;
    const missed = nextEvent(client, 'change');
    await server.start({}, async (app) => {
      changesSince = vi.spyOn(app.store, 'changesSince');
      getRuleset = vi.spyOn(app.store, 'getRuleset');
      await flagOn(app, 'first'); // committed while the SDK is away
    });
    expect(await missed).toEqual([['first']]);
    expect(client.isEnabled('first', {})).toBe(true);
    expect(changesSince).toHaveBeenCalledWith('production', version);
    expect(getRuleset).not.toHaveBeenCalled();

    await eventually(() => client.status.connection === 'streaming', 'the stream to be back');
    const live = nextEvent(client, 'change');
    await flagOn(server.app!, 'second');
    expect(await live).toEqual([['second']]);
    expect(client.isEnabled('second', {})).toBe(true);
    expect(client.version).toBe(version + 2);
  });

  it('gets a fresh put when the change log no longer reaches back to its version', async () => {
    const { server, client, version } = await connectedThenStopped(1);
    let getRuleset: ReturnType<typeof vi.spyOn> | undefined;
    const caughtUp = nextEvent(client, 'change');
    await server.start({}, async (app) => {
      getRuleset = vi.spyOn(app.store, 'getRuleset');
      await flagOn(app, 'first');
      await flagOn(app, 'second'); // with a retention of 1 the log now only holds this change
    });
    const [keys] = await caughtUp;
    expect([...keys].sort()).toEqual(['first', 'second']);
    expect(getRuleset).toHaveBeenCalledWith('production');
    expect(client.version).toBe(version + 2);
    expect(client.allFlags({})).toMatchObject({ first: true, second: true });
  });
});

/** The server as its own process (`server/src/main.ts` under tsx), so it can be SIGKILLed. */
class ServerProcess {
  private child: ChildProcess | null = null;

  constructor(
    readonly port: number,
    private readonly databasePath: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        DATABASE_URL: this.databasePath,
        SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${stderr}`);
        return fetch(`${this.url}/healthz`).then(
          (res) => res.ok,
          () => false,
        );
      },
      'the server process to answer /healthz',
      30_000,
    );
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async admin(method: string, path: string, body?: unknown) {
    const response = await fetch(this.url + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok)
      throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  }

  async setFlag(key: string, serve: 'on' | 'off'): Promise<void> {
    const current = await fetch(this.url + flagPath(key), {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const version = current.ok ? ((await current.json()) as { version: number }).version : undefined;
    await this.admin('PUT', flagPath(key), { ...booleanFlag(key, serve), version });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

describe('SDK and a server process killed with SIGKILL', () => {
  it('keeps serving while the server is dead, then sees a change made after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-sdk-kill-'));
    const server = new ServerProcess(await freePort(), join(dir, 'switchboard.db'));
    cleanups.push(async () => {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    });
    await server.start();
    await server.setFlag('survivor', 'on');
    const { token } = await server.admin('POST', '/api/v1/tokens', {
      name: 'sdk',
      kind: 'server',
      environment: 'production',
    });
    const client = sdk(server.url, token as string);
    await client.ready();

    await server.kill();
    await eventually(() => client.status.connection === 'disconnected', 'the SDK to notice the dead server');
    expect(client.isEnabled('survivor', { userId: 'x' })).toBe(true);

    await server.start();
    await eventually(() => client.status.connection === 'streaming', 'the SDK to reconnect', 15_000);
    const change = nextEvent(client, 'change');
    await server.setFlag('survivor', 'off');
    expect(await change).toEqual([['survivor']]);
    expect(client.isEnabled('survivor', { userId: 'x' })).toBe(false);
  }, 90_000);
});
