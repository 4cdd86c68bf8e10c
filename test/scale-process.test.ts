/**
 * The built binary (`node server/dist/main.js`) in its scale-out roles: a replica on PostgreSQL with
 * Redis, `migrate down|up` on PostgreSQL, and `--relay` in front of it. Needs a build (`npm test`
 * builds first).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema } from '../server/test/postgres-fixture';
import type { TestSchema } from '../server/test/postgres-fixture';
import {
  booleanFlag,
  eventually,
  flagPath,
  freePort,
  HttpPeer,
  postgresAvailable,
  RedisProcess,
  redisServerAvailable,
} from './scale-harness';

const MAIN = fileURLToPath(new URL('../server/dist/main.js', import.meta.url));
const ADMIN = 'sb_admin_scale-process-secret';

const available =
  (await postgresAvailable('the scale-out process tests')) &&
  redisServerAvailable('the scale-out process tests');

interface Child {
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

function run(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    process: child,
    output: () => output,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
}

async function ready(peer: HttpPeer, child: Child): Promise<void> {
  await eventually(
    async () => {
      if (child.process.exitCode !== null) throw new Error(`exited early:\n${child.output()}`);
      return (
        (await peer.request('GET', '/readyz', undefined, null).catch(() => ({ status: 0 }))).status === 200
      );
    },
    'the process to be ready',
    20_000,
  );
}

describe.skipIf(!available)('the built server in its scale-out roles', () => {
  let schema: TestSchema;
  let redis: RedisProcess;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    schema = await createTestSchema();
    redis = await RedisProcess.start();
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await redis?.stop();
    await schema?.drop();
  });

  it('migrates PostgreSQL up and down from the command line', async () => {
    const env = { DATABASE_URL: schema.url };
    const up = run(['migrate', 'up'], env);
    expect(await up.exited).toBe(0);
    expect(up.output()).toMatch(/^up: 0000_initial/m);
    const down = run(['migrate', 'down', '99'], env);
    expect(await down.exited).toBe(0);
    expect(down.output()).toMatch(/^down: .*0000_initial$/m);
    expect(
      await schema.query("SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename = 'flags'", [
        schema.name,
      ]),
    ).toEqual([]);
  });

  it('runs a replica on PostgreSQL and Redis, and a relay that follows it; both stop cleanly on SIGTERM', async () => {
    const serverPort = await freePort();
    const server = run([], {
      PORT: String(serverPort),
      DATABASE_URL: schema.url,
      REDIS_URL: redis.url,
      SWITCHBOARD_ADMIN_TOKEN: ADMIN,
    });
    const upstream = new HttpPeer(`http://127.0.0.1:${serverPort}`);
    await ready(upstream, server);
    expect((await upstream.request('GET', '/readyz', undefined, null)).body).toMatchObject({
      store: 'postgres',
      fanout: { mode: 'redis' },
    });
    const admin = async (method: string, path: string, body?: unknown) => {
      const reply = await upstream.request(method, path, body, ADMIN);
      if (reply.status >= 300)
        throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
      return reply.body;
    };
    const { token } = await admin('POST', '/api/v1/tokens', {
      name: 'relay',
      kind: 'server',
      environment: 'production',
    });
    await admin('PUT', flagPath('edge'), booleanFlag('edge', 'on'));

    const relayPort = await freePort();
    const relay = run(['--relay', '--upstream', upstream.url], {
      PORT: String(relayPort),
      SWITCHBOARD_RELAY_SDK_KEY: token,
    });
    const edge = new HttpPeer(`http://127.0.0.1:${relayPort}`);
    await ready(edge, relay);
    const served = await edge.request('GET', '/sdk/v1/flags', undefined, token);
    expect(served.status).toBe(200);
    expect(served.body.flags.edge).toMatchObject({ enabled: true, fallthrough: { variant: 'on' } });

    await admin('POST', `${flagPath('edge')}/environments/production/kill`, { reason: 'edge test' });
    await eventually(
      async () =>
        (await edge.request('GET', '/sdk/v1/flags', undefined, token)).body.flags?.edge?.killed != null,
      'the relay to receive the kill',
    );

    relay.process.kill('SIGTERM');
    server.process.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
    expect(await server.exited).toBe(0);
  });
});
