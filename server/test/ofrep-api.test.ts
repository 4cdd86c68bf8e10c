/** OFREP over plain HTTP: the exact shapes, status codes and headers of open-feature/protocol's openapi.yaml. */
import type { FlagDocument } from '@switchboard/core';
import { describe, expect, it } from 'vitest';
import { EventReader } from './client-sse';
import { ALLOWED_ORIGIN, banner, checkout, kill, putFlag, useClientSuite } from './client-fixture';
import type { Reply, TestServer } from './helpers';
import { startServer } from './helpers';

let server: TestServer;
let clientKey: string;
const readers = useClientSuite((ready, key) => {
  server = ready;
  clientKey = key;
});

function single(
  key: string,
  body: unknown,
  headers: Record<string, string> = {},
  token: string | null = clientKey,
) {
  return server.request('POST', `/ofrep/v1/evaluate/flags/${encodeURIComponent(key)}`, {
    token,
    body,
    headers,
  });
}

function bulk(body: unknown, headers: Record<string, string> = {}, token: string | null = clientKey) {
  return server.request('POST', '/ofrep/v1/evaluate/flags', { token, body, headers });
}

async function events(reply: Reply, headers: Record<string, string> = {}): Promise<EventReader> {
  const [stream] = reply.body.eventStreams;
  const reader = await EventReader.open(server.url + stream.endpoint.requestUri, { headers });
  readers.push(reader);
  return reader;
}

describe('POST /ofrep/v1/evaluate/flags/{key}', () => {
  it('answers evaluationSuccess with OpenFeature reasons; targetingKey is userId', async () => {
    const alice = await single('checkout', { context: { targetingKey: 'alice' } });
    expect(alice.status).toBe(200);
    expect(alice.headers.get('content-type')).toMatch(/^application\/json/);
    expect(alice.body).toEqual({ key: 'checkout', value: true, variant: 'on', reason: 'TARGETING_MATCH' });
    expect((await single('banner', {})).body).toEqual({
      key: 'banner',
      value: 'green',
      variant: 'green',
      reason: 'DEFAULT',
    });
    const split = await single('rollout', { context: { targetingKey: 'user-1' } });
    expect(split.body).toMatchObject({ key: 'rollout', reason: 'SPLIT' });
    // A context naming its own userId keeps it.
    const own = await single('checkout', { context: { targetingKey: 'bob', userId: 'alice' } });
    expect(own.body.reason).toBe('TARGETING_MATCH');
  });

  it('FLAG_NOT_FOUND is a 404', async () => {
    const reply = await single('no-such-flag', { context: {} });
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({
      key: 'no-such-flag',
      errorCode: 'FLAG_NOT_FOUND',
      errorDetails: 'flag "no-such-flag" does not exist in environment "production"',
    });
  });

  it('TARGETING_KEY_MISSING, INVALID_CONTEXT and PARSE_ERROR are 400s naming the flag', async () => {
    const missing = await single('rollout', { context: { country: 'DE' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ key: 'rollout', errorCode: 'TARGETING_KEY_MISSING' });
    for (const context of ['alice', [1, 2], 42, null]) {
      const invalid = await single('checkout', { context });
      expect(invalid.status, JSON.stringify(context)).toBe(400);
      expect(invalid.body).toMatchObject({ key: 'checkout', errorCode: 'INVALID_CONTEXT' });
      expect(typeof invalid.body.errorDetails).toBe('string');
    }
    const tooMany = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`attribute${i}`, i]));
    expect((await single('checkout', { context: tooMany })).body.errorCode).toBe('INVALID_CONTEXT');
    const parse = await server.request('POST', '/ofrep/v1/evaluate/flags/checkout', {
      token: clientKey,
      rawBody: '{"context": {',
      headers: { 'content-type': 'application/json' },
    });
    expect(parse.status).toBe(400);
    expect(parse.body).toMatchObject({ key: 'checkout', errorCode: 'PARSE_ERROR' });
  });

  it('accepts no body at all (the context is optional)', async () => {
    const reply = await server.request('POST', '/ofrep/v1/evaluate/flags/banner', { token: clientKey });
    expect(reply.status).toBe(200);
    expect(reply.body.value).toBe('green');
  });

  it('GENERAL for a flag whose stored configuration cannot be evaluated', async () => {
    const broken: FlagDocument = {
      key: 'broken',
      variants: { on: true, off: false },
      environments: {
        development: { enabled: true, offVariant: 'off', fallthrough: { variant: 'missing' } },
      },
      version: 1,
    };
    // Written past validation (as a hand-edited database row would be), before development is loaded.
    await server.app.store.transaction((tx) => tx.putFlag(broken));
    const developmentKey = await server.token('client', 'development');
    const reply = await single('broken', { context: {} }, {}, developmentKey);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ key: 'broken', errorCode: 'GENERAL' });
    const all = await bulk({ context: {} }, {}, developmentKey);
    expect(all.body.flags).toContainEqual(expect.objectContaining({ key: 'broken', errorCode: 'GENERAL' }));
  });
});

describe('POST /ofrep/v1/evaluate/flags (bulk)', () => {
  it('answers every flag (failures included), eventStreams and a strong ETag', async () => {
    const reply = await bulk({ context: { country: 'DE' } });
    expect(reply.status).toBe(200);
    expect(reply.body.flags).toEqual(
      expect.arrayContaining([
        { key: 'checkout', value: false, variant: 'off', reason: 'DEFAULT' },
        { key: 'banner', value: 'green', variant: 'green', reason: 'DEFAULT' },
        { key: 'upsell', value: false, variant: 'off', reason: 'PREREQUISITE_FAILED' },
        expect.objectContaining({ key: 'rollout', errorCode: 'TARGETING_KEY_MISSING' }),
      ]),
    );
    expect(reply.body.flags).toHaveLength(4);
    expect(reply.body.eventStreams).toEqual([
      { type: 'sse', endpoint: { requestUri: expect.stringMatching(/^\/ofrep\/v1\/events\?ticket=/) } },
    ]);
    expect(reply.headers.get('etag')).toMatch(/^"[\w-]+"$/);
    // The ticket is not the key.
    expect(JSON.stringify(reply.body)).not.toContain(clientKey);
  });

  it('304 on If-None-Match until a change alters this context’s values', async () => {
    const first = await bulk({ context: { targetingKey: 'carol' } });
    const etag = first.headers.get('etag') as string;
    const again = await bulk({ context: { targetingKey: 'carol' } }, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect(
      (await bulk({ context: { targetingKey: 'carol' } }, { 'if-none-match': `W/${etag}, "x"` })).status,
    ).toBe(304);
    // Another user's values differ: a different ETag.
    expect((await bulk({ context: { targetingKey: 'alice' } }, { 'if-none-match': etag })).status).toBe(200);

    // A change for someone else (targeting dave) leaves carol's answer as it was.
    const production = checkout.environments.production!;
    await putFlag(server, {
      ...checkout,
      environments: {
        ...checkout.environments,
        production: { ...production, targets: [{ values: ['alice', 'dave'], variant: 'on' }] },
      },
    });
    expect((await bulk({ context: { targetingKey: 'carol' } }, { 'if-none-match': etag })).status).toBe(304);
    await putFlag(server, { ...banner, variants: { ...banner.variants, green: 'lime' } });
    const changed = await bulk({ context: { targetingKey: 'carol' } }, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    await putFlag(server, banner);
    await putFlag(server, checkout);
  });

  it('INVALID_CONTEXT and PARSE_ERROR are 400s without a key', async () => {
    const invalid = await bulk({ context: 'alice' });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({ errorCode: 'INVALID_CONTEXT', errorDetails: expect.any(String) });
    const parse = await server.request('POST', '/ofrep/v1/evaluate/flags', {
      token: clientKey,
      rawBody: 'not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(parse.status).toBe(400);
    expect(parse.body).toEqual({ errorCode: 'PARSE_ERROR', errorDetails: expect.any(String) });
  });
});

describe('authentication', () => {
  it('takes client and server keys as Bearer or X-API-Key; 401 without, 403 for other kinds', async () => {
    const serverKey = await server.token('server', 'production');
    expect((await single('banner', {}, {}, serverKey)).status).toBe(200);
    expect((await single('banner', {}, { 'x-api-key': clientKey }, null)).status).toBe(200);
    expect((await single('banner', {}, {}, null)).status).toBe(401);
    expect((await bulk({}, {}, 'sb_client_unknown')).status).toBe(401);
    expect((await single('banner', {}, {}, await server.token('viewer'))).status).toBe(403);
    expect((await bulk({}, {}, await server.token('admin'))).status).toBe(403);
  });

  it('429 with Retry-After once an address failed too often', async () => {
    const limited = await startServer({ authFailureLimit: { max: 3, windowMs: 60_000 } });
    try {
      const key = await limited.token('client', 'production');
      for (let i = 0; i < 3; i++)
        expect(
          (await limited.request('POST', '/ofrep/v1/evaluate/flags', { token: 'sb_client_wrong' })).status,
        ).toBe(401);
      const refused = await limited.request('POST', '/ofrep/v1/evaluate/flags', { token: key });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('change notifications (eventStreams)', () => {
  it('sends refetchEvaluation with the version as id after a change, nothing for an unused segment', async () => {
    const reader = await events(await bulk({ context: {} }));
    expect(reader.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await server.request('PUT', '/api/v1/segments/unused', { body: { key: 'unused', included: ['x'] } });
    await kill(server, 'banner', 'testing notifications');
    const event = await reader.next();
    expect(event.type).toBe('message');
    expect(event.data).toEqual({ type: 'refetchEvaluation', etag: event.id });
    const killed = await bulk({ context: {} });
    expect(killed.body.flags).toContainEqual({
      key: 'banner',
      value: 'none',
      variant: 'off',
      reason: 'KILLED',
    });
    await server.request('POST', '/api/v1/flags/banner/environments/production/unkill', { body: {} });
    const unkilled = await reader.next();
    expect(Number(unkilled.id)).toBeGreaterThan(Number(event.id));
  });

  it('tells a reconnecting provider that is behind to re-fetch at once', async () => {
    const reply = await bulk({ context: {} });
    const current = await events(reply);
    const behind = await events(reply, { 'last-event-id': '1' });
    expect((await behind.next()).data.type).toBe('refetchEvaluation');
    await expect(current.next(300)).rejects.toThrow('no event');
  });

  it('refuses forged, malformed and revoked tickets; revocation closes open streams', async () => {
    const created = await server.request('POST', '/api/v1/tokens', {
      body: { name: 'ofrep-doomed', kind: 'client', environment: 'production' },
    });
    const reply = await bulk({ context: {} }, {}, created.body.token);
    const requestUri: string = reply.body.eventStreams[0].endpoint.requestUri;
    const reader = await events(reply);
    const forged = requestUri.slice(0, -4) + (requestUri.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const uri of [forged, '/ofrep/v1/events', '/ofrep/v1/events?ticket=nonsense'])
      await expect(EventReader.open(server.url + uri)).rejects.toThrow('the stream answered 401');
    await server.request('DELETE', `/api/v1/tokens/${created.body.id}`);
    await reader.closed();
    await expect(EventReader.open(server.url + requestUri)).rejects.toThrow('the stream answered 401');
  });
});

describe('CORS', () => {
  it('answers preflights on the evaluation routes and adds the headers to answers and the event stream', async () => {
    const preflight = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('if-none-match');
    const reply = await bulk({ context: {} }, { origin: ALLOWED_ORIGIN });
    expect(reply.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(reply.headers.get('access-control-expose-headers')).toContain('etag');
    const reader = await events(reply, { origin: ALLOWED_ORIGIN });
    expect(reader.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
  });
});
