/**
 * Webhooks against a real receiver on 127.0.0.1: HMAC-signed JSON for changes and kills, retries
 * with backoff and a delivery log, giving up, event filters, who may manage webhooks — and, with
 * two replicas on PostgreSQL, every audit entry delivered once.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app';
import { SIGNATURE_HEADER, verifySignature } from '../src/webhooks/signing';
import type { Json, TestServer } from './helpers';
import { ADMIN_TOKEN, booleanFlag, flagPath, startServer, testConfig } from './helpers';
import { createTestSchema, postgresAvailable } from './postgres-fixture';

interface Received {
  path: string;
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP receiver: answers each path with the statuses scripted for it (the last one repeats). */
class Receiver {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, number[]>();
  private server: Server | null = null;
  url = '';

  script(path: string, statuses: number[]): string {
    this.scripts.set(path, [...statuses]);
    return `${this.url}${path}`;
  }

  at(path: string): Received[] {
    return this.received.filter((request) => request.path === path);
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        this.received.push({
          path,
          at: Date.now(),
          headers: request.headers,
          body: Buffer.concat(chunks).toString(),
        });
        const script = this.scripts.get(path) ?? [200];
        const status = script.length > 1 ? script.shift()! : script[0]!;
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** A port nothing listens on (one the system just handed out and took back). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function eventually<T>(
  read: () => T | Promise<T>,
  check: (value: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 8_000;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const receiver = new Receiver();
let server: TestServer;

beforeAll(async () => {
  await receiver.start();
  server = await startServer({
    delivery: { tickMs: 50, webhookRetryBaseMs: 100, webhookMaxAttempts: 3, webhookTimeoutMs: 1000 },
  });
});

afterAll(async () => {
  await server.close();
  await receiver.stop();
});

async function register(url: string, events?: string[]): Promise<{ id: string; secret: string }> {
  const reply = await server.request('POST', '/api/v1/webhooks', {
    body: { url, ...(events ? { events } : {}) },
  });
  expect(reply.status).toBe(201);
  return reply.body;
}

const deliveriesOf = async (id: string) =>
  (await server.request('GET', `/api/v1/webhooks/${id}/deliveries`)).body.deliveries as Json[];

describe('webhooks', () => {
  it('receive signed JSON for changes and kills made after they were registered', async () => {
    await server.request('PUT', flagPath('hooked-before'), { body: booleanFlag('hooked-before') });
    const url = receiver.script('/signed', [200]);
    const { id, secret } = await register(url);
    expect(secret).toMatch(/^whsec_/);
    const listed = (await server.request('GET', '/api/v1/webhooks')).body.webhooks;
    expect(listed.find((webhook: Json) => webhook.id === id)).toEqual({
      id,
      url,
      events: ['flag.*', 'segment.*', 'plan.*'],
      description: '',
      afterAuditId: expect.any(Number),
      createdAt: expect.any(String),
      createdBy: 'admin (SWITCHBOARD_ADMIN_TOKEN)',
    });

    await server.request('PUT', flagPath('hooked'), { body: booleanFlag('hooked') });
    await server.request('POST', `${flagPath('hooked')}/environments/production/kill`, {
      body: { reason: 'on fire' },
    });
    const requests = await eventually(
      () => receiver.at('/signed'),
      (list) => list.length >= 2,
      'two deliveries',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.at('/signed')).toHaveLength(2);

    const payloads = requests.map((request) => JSON.parse(request.body) as Json);
    expect(payloads.map((payload) => [payload.event, payload.entry.target.key]).sort()).toEqual([
      ['flag.create', 'hooked'],
      ['flag.kill', 'hooked'],
    ]);
    for (const [index, request] of requests.entries()) {
      const payload = payloads[index];
      expect(verifySignature(secret, request.headers[SIGNATURE_HEADER] as string, request.body)).toBe(true);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-switchboard-event']).toBe(payload.event);
      expect(request.headers['x-switchboard-delivery']).toBe(payload.delivery);
      expect(payload.webhook).toBe(id);
    }
    const kill = payloads.find((payload) => payload.event === 'flag.kill');
    expect(kill.entry).toMatchObject({
      environment: 'production',
      reason: 'on fire',
      actor: { name: expect.any(String) },
    });
    expect(kill.entry.after.environments.production.killed.reason).toBe('on fire');

    // What a receiver must refuse: another secret, a changed body, an old signature.
    const [request] = requests;
    const header = request!.headers[SIGNATURE_HEADER] as string;
    expect(verifySignature('whsec_other', header, request!.body)).toBe(false);
    expect(verifySignature(secret, header, request!.body.replace('hooked', 'hacked'))).toBe(false);
    expect(verifySignature(secret, header, request!.body, Math.floor(Date.now() / 1000) + 3600)).toBe(false);

    const log = await deliveriesOf(id);
    expect(log.map((delivery) => [delivery.event, delivery.status, delivery.attempts])).toEqual([
      ['flag.kill', 'delivered', 1],
      ['flag.create', 'delivered', 1],
    ]);
    expect(log[0].log).toEqual([
      { attempt: 1, at: expect.any(String), statusCode: 200, error: null, durationMs: expect.any(Number) },
    ]);
  });

  it('retry with growing delays until the receiver takes the delivery, logging every attempt', async () => {
    const url = receiver.script('/flaky', [500, 502, 204]);
    const { id, secret } = await register(url, ['flag.create']);
    await server.request('PUT', flagPath('retried'), { body: booleanFlag('retried') });

    const [delivery] = await eventually(
      () => deliveriesOf(id),
      (list) => list[0]?.status === 'delivered',
      'delivery',
    );
    expect(delivery).toMatchObject({ event: 'flag.create', attempts: 3, nextAttemptAt: null });
    expect(delivery.log.map((attempt: Json) => [attempt.attempt, attempt.statusCode, attempt.error])).toEqual(
      [
        [1, 500, 'HTTP 500'],
        [2, 502, 'HTTP 502'],
        [3, 204, null],
      ],
    );
    const attempts = receiver.at('/flaky');
    expect(attempts).toHaveLength(3);
    // The same delivery each time, each signed afresh; 100 ms, then 400 ms apart at least.
    expect(new Set(attempts.map((attempt) => attempt.headers['x-switchboard-delivery']))).toEqual(
      new Set([delivery.id]),
    );
    for (const attempt of attempts) {
      expect(verifySignature(secret, attempt.headers[SIGNATURE_HEADER] as string, attempt.body)).toBe(true);
    }
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(100);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(400);
  });

  it('give up after the last attempt, and log why for an unreachable receiver', async () => {
    const down = await register(receiver.script('/down', [503]), ['flag.create']);
    const nowhere = await register(`http://127.0.0.1:${await closedPort()}/nobody-listens`, ['flag.create']);
    await server.request('PUT', flagPath('undeliverable'), { body: booleanFlag('undeliverable') });

    const [failed] = await eventually(
      () => deliveriesOf(down.id),
      (list) => list[0]?.status === 'failed',
      'giving up',
    );
    expect(failed.log.map((attempt: Json) => attempt.statusCode)).toEqual([503, 503, 503]);
    expect(failed.finishedAt).not.toBeNull();
    const [refused] = await eventually(
      () => deliveriesOf(nowhere.id),
      (list) => list[0]?.status === 'failed',
      'giving up on the closed port',
    );
    expect(refused.log).toHaveLength(3);
    expect(refused.log[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('send only the events asked for', async () => {
    const { id } = await register(receiver.script('/kills', [200]), ['flag.kill']);
    await server.request('PUT', flagPath('filtered'), { body: booleanFlag('filtered') });
    await server.request('POST', `${flagPath('filtered')}/environments/staging/kill`, {
      body: { reason: 'test' },
    });
    await eventually(
      () => deliveriesOf(id),
      (list) => list.length === 1 && list[0].status === 'delivered',
      'the kill',
    );
    expect(receiver.at('/kills').map((request) => JSON.parse(request.body).event)).toEqual(['flag.kill']);
  });

  it('are managed by admins only, validated, audited without their secret, and removable', async () => {
    const editor = await server.token('editor');
    expect((await server.request('GET', '/api/v1/webhooks', { token: editor })).status).toBe(403);
    expect(
      (await server.request('POST', '/api/v1/webhooks', { token: editor, body: { url: receiver.url } }))
        .status,
    ).toBe(403);
    const badUrl = await server.request('POST', '/api/v1/webhooks', {
      body: { url: 'ftp://example.com/hook' },
    });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.details).toEqual([{ path: '/body/url', problem: 'not an http(s) URL' }]);
    const badEvent = await server.request('POST', '/api/v1/webhooks', {
      body: { url: receiver.url, events: ['Flag Kill'] },
    });
    expect(badEvent.status).toBe(400);

    const { id, secret } = await register(receiver.script('/removed', [200]));
    expect((await server.request('DELETE', `/api/v1/webhooks/${id}`)).status).toBe(204);
    expect((await server.request('DELETE', `/api/v1/webhooks/${id}`)).status).toBe(404);
    expect((await server.request('GET', `/api/v1/webhooks/${id}/deliveries`)).status).toBe(404);
    const audit = (await server.request('GET', '/api/v1/audit?action=webhook.create')).body.entries;
    const created = audit.find((entry: Json) => entry.target.key === id);
    expect(created.target).toEqual({ kind: 'webhook', key: id });
    expect(JSON.stringify(created)).not.toContain(secret);
    const deleted = (await server.request('GET', '/api/v1/audit?action=webhook.delete')).body.entries[0];
    expect(deleted).toMatchObject({ target: { kind: 'webhook', key: id }, after: null });
  });
});

const postgres = await postgresAvailable('the webhook replica test');

describe.skipIf(!postgres)('webhooks with two replicas on PostgreSQL', () => {
  it('deliver every audit entry once, whichever replica wrote it', async () => {
    const schema = await createTestSchema();
    const replicas: FastifyInstance[] = [];
    const call = (app: FastifyInstance, method: string, url: string, body?: Json) =>
      app.inject({
        method: method as 'PUT',
        url,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        ...(body === undefined ? {} : { payload: body }),
      });
    try {
      for (let index = 0; index < 2; index++) {
        const config = {
          ...testConfig('unused', { delivery: { tickMs: 20 } }),
          database: { kind: 'postgres' as const, url: schema.url },
        };
        replicas.push(await buildApp(config, { adminUiRoot: join(tmpdir(), 'no-admin-ui') }));
      }
      const [first, second] = replicas as [FastifyInstance, FastifyInstance];
      const hook = (
        await call(first, 'POST', '/api/v1/webhooks', { url: receiver.script('/replicas', [200]) })
      ).json();
      for (let index = 0; index < 10; index++) {
        const replica = index % 2 === 0 ? first : second;
        await call(replica, 'PUT', flagPath(`replicated-${index}`), booleanFlag(`replicated-${index}`));
      }
      await eventually(
        () => receiver.at('/replicas'),
        (list) => list.length >= 10,
        'ten deliveries',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const entries = receiver.at('/replicas').map((request) => JSON.parse(request.body).entry.id as number);
      expect(entries).toHaveLength(10);
      expect(new Set(entries).size).toBe(10);
      const log = (await call(second, 'GET', `/api/v1/webhooks/${hook.id}/deliveries`)).json().deliveries;
      expect(log.every((delivery: Json) => delivery.status === 'delivered' && delivery.attempts === 1)).toBe(
        true,
      );
    } finally {
      for (const replica of replicas) await replica.close();
      await schema.drop();
    }
  });
});
