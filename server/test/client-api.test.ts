import { describe, expect, it, vi } from 'vitest';
import { EventReader } from './client-sse';
import {
  ALLOWED_ORIGIN,
  banner,
  checkout,
  deleteFlag,
  environmentVersion,
  kill,
  putFlag,
  putSegment,
  staff,
  useClientSuite,
} from './client-fixture';
import type { TestServer } from './helpers';

let server: TestServer;
let clientKey: string;
const readers = useClientSuite((ready, key) => {
  server = ready;
  clientKey = key;
});

const evaluate = (context: unknown, token: string | null = clientKey) =>
  server.request('POST', '/client/v1/evaluate', { token, body: { context } });

async function openStream(
  context: Record<string, unknown>,
  headers: Record<string, string> = {},
  token = clientKey,
): Promise<EventReader> {
  const reader = await EventReader.open(`${server.url}/client/v1/stream`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ context }),
  });
  readers.push(reader);
  return reader;
}

describe('POST /client/v1/evaluate', () => {
  it("answers every flag's outcome for the context, and the environment's version", async () => {
    const version = await environmentVersion(server);
    const alice = await evaluate({ userId: 'alice' });
    expect(alice.status).toBe(200);
    expect(alice.headers.get('cache-control')).toBe('no-store');
    expect(alice.body).toEqual({
      flags: {
        checkout: { value: true, variant: 'on', reason: 'TARGET_MATCH' },
        banner: { value: 'green', variant: 'green', reason: 'FALLTHROUGH' },
        upsell: { value: true, variant: 'on', reason: 'FALLTHROUGH' },
        rollout: { value: expect.any(Boolean), variant: expect.any(String), reason: 'SPLIT' },
      },
      version,
    });
    const staffer = await evaluate({ userId: 'zoe', email: 'zoe@example.com' });
    expect(staffer.body.flags.checkout).toEqual({ value: true, variant: 'on', reason: 'RULE_MATCH' });
    const anonymous = await evaluate({});
    expect(anonymous.body.flags.checkout).toEqual({ value: false, variant: 'off', reason: 'FALLTHROUGH' });
    expect(anonymous.body.flags.upsell).toEqual({
      value: false,
      variant: 'off',
      reason: 'PREREQUISITE_FAILED',
    });
    expect(anonymous.body.flags.rollout).toEqual({
      value: false,
      variant: 'off',
      reason: 'ERROR',
      errorCode: 'TARGETING_KEY_MISSING',
    });
  });

  it('never reveals rules, rule ids, segments, targets or kill reasons', async () => {
    await kill(server, 'banner', 'incident #4711: banner breaks checkout');
    try {
      const reply = await server.request('POST', '/client/v1/evaluate', {
        token: clientKey,
        body: { context: { userId: 'zoe', email: 'zoe@example.com' } },
      });
      expect(reply.body.flags.banner).toEqual({ value: 'none', variant: 'off', reason: 'KILLED' });
      const text = JSON.stringify(reply.body);
      for (const secret of ['staff', 'staff-rule', 'alice', 'example.com', 'incident', 'clauses', 'weights'])
        expect(text).not.toContain(secret);
    } finally {
      await server.request('POST', '/api/v1/flags/banner/environments/production/unkill', { body: {} });
    }
  });

  it('evaluates in the key’s own environment only', async () => {
    const stagingKey = await server.token('client', 'staging');
    const reply = await evaluate({ userId: 'nobody' }, stagingKey);
    expect(reply.body.flags).toEqual({ checkout: { value: true, variant: 'on', reason: 'FALLTHROUGH' } });
    expect(reply.body.version).toBe(await environmentVersion(server, 'staging'));
  });

  it('rejects bad bodies with 400 and the field at fault', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, '/body/context'],
      [{ context: [] }, '/body/context'],
      [{ context: 'alice' }, '/body/context'],
      [{ context: {}, extra: 1 }, '/body/extra'],
      [{ context: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, i])) }, '/body/context'],
    ];
    for (const [body, path] of cases) {
      const reply = await server.request('POST', '/client/v1/evaluate', { token: clientKey, body });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error).toBe('bad_request');
      expect(reply.body.details.map((detail: { path: string }) => detail.path)).toContain(path);
    }
    const notJson = await server.request('POST', '/client/v1/evaluate', {
      token: clientKey,
      rawBody: '{"context":',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ error: 'bad_request', details: [] });
  });

  it('needs a client key: 401 without or with an unknown one, 403 for other kinds', async () => {
    expect((await evaluate({}, null)).status).toBe(401);
    expect((await evaluate({}, 'sb_client_not-a-real-key')).status).toBe(401);
    for (const kind of ['server', 'viewer', 'admin'] as const) {
      const token = await server.token(kind, kind === 'server' ? 'production' : undefined);
      expect((await evaluate({}, token)).status, kind).toBe(403);
    }
  });

  it('costs no store read per request once the environment is loaded', async () => {
    await evaluate({ userId: 'warm-up' });
    const reads = vi.spyOn(server.app.store, 'getRuleset');
    try {
      for (let i = 0; i < 20; i++) expect((await evaluate({ userId: `user-${i}` })).status).toBe(200);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
  });
});

describe('POST /client/v1/stream', () => {
  it('starts with a put of the context’s values', async () => {
    const reader = await openStream({ userId: 'alice' });
    expect(reader.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const put = await reader.next();
    const version = await environmentVersion(server);
    expect(put).toMatchObject({ type: 'put', id: String(version), data: { version } });
    expect(put.data.flags.checkout).toEqual({ value: true, variant: 'on', reason: 'TARGET_MATCH' });
  });

  it('pushes only the values that changed, and only to the contexts they changed for', async () => {
    const alice = await openStream({ userId: 'alice' });
    const bob = await openStream({ userId: 'bob' });
    await alice.next();
    await bob.next();
    // Targeting bob changes checkout (and, through the prerequisite, upsell) for bob alone.
    await putFlag(server, {
      ...checkout,
      environments: {
        ...checkout.environments,
        production: {
          ...checkout.environments.production!,
          targets: [{ values: ['alice', 'bob'], variant: 'on' }],
        },
      },
    });
    const bobPatch = await bob.next();
    expect(bobPatch.type).toBe('patch');
    expect(bobPatch.data.flags).toEqual({
      checkout: { value: true, variant: 'on', reason: 'TARGET_MATCH' },
      upsell: { value: true, variant: 'on', reason: 'FALLTHROUGH' },
    });
    expect(bobPatch.id).toBe(String(bobPatch.data.version));

    // alice's values did not change: her next event is the kill below, not the targeting change.
    await kill(server, 'checkout', 'checkout outage');
    const killed = await alice.next();
    expect(killed.data.flags).toEqual({
      checkout: { value: false, variant: 'off', reason: 'KILLED' },
      upsell: { value: false, variant: 'off', reason: 'PREREQUISITE_FAILED' },
    });
    expect((await bob.next()).data.flags.checkout.reason).toBe('KILLED');
    await server.request('POST', '/api/v1/flags/checkout/environments/production/unkill', { body: {} });
    await putFlag(server, checkout);
  });

  it('follows segment changes and deletions', async () => {
    const zoe = await openStream({ userId: 'zoe', email: 'zoe@example.org' });
    await zoe.next();
    await putSegment(server, {
      ...staff,
      rules: [{ clauses: [{ attribute: 'email', op: 'endsWith', values: ['@example.org'] }] }],
    });
    expect((await zoe.next()).data.flags).toEqual({
      checkout: { value: true, variant: 'on', reason: 'RULE_MATCH' },
      upsell: { value: true, variant: 'on', reason: 'FALLTHROUGH' },
    });
    await putSegment(server, staff);
    await zoe.next();

    await putFlag(server, { ...banner, key: 'short-lived' });
    expect((await zoe.next()).data.flags).toEqual({
      'short-lived': { value: 'green', variant: 'green', reason: 'FALLTHROUGH' },
    });
    await deleteFlag(server, 'short-lived');
    expect((await zoe.next()).data.flags).toEqual({ 'short-lived': null });
  });

  it('resumes: Last-Event-ID at the current version gets an empty patch, an older one a put', async () => {
    const version = await environmentVersion(server);
    const current = await openStream({ userId: 'alice' }, { 'last-event-id': String(version) });
    expect(await current.next()).toEqual({
      type: 'patch',
      id: String(version),
      data: { flags: {}, version },
    });
    const behind = await openStream({ userId: 'alice' }, { 'last-event-id': String(version - 1) });
    expect((await behind.next()).type).toBe('put');
  });

  it('serves many contexts after a change without a store read', async () => {
    const streams = await Promise.all(
      Array.from({ length: 25 }, (_, i) => openStream({ userId: `user-${i}`, email: `u${i}@example.com` })),
    );
    await Promise.all(streams.map((stream) => stream.next()));
    const reads = vi.spyOn(server.app.store, 'getRuleset');
    const logReads = vi.spyOn(server.app.store, 'changesSince');
    try {
      await putFlag(server, { ...banner, variants: { ...banner.variants, green: 'lime' } });
      const patches = await Promise.all(streams.map((stream) => stream.next()));
      for (const patch of patches)
        expect(patch.data.flags).toEqual({
          banner: { value: 'lime', variant: 'green', reason: 'FALLTHROUGH' },
        });
      expect(reads).not.toHaveBeenCalled();
      expect(logReads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
      logReads.mockRestore();
      await putFlag(server, banner);
    }
  });

  it('is closed when its key is revoked', async () => {
    const created = await server.request('POST', '/api/v1/tokens', {
      body: { name: 'doomed', kind: 'client', environment: 'production' },
    });
    const reader = await openStream({ userId: 'alice' }, {}, created.body.token);
    await reader.next();
    await server.request('DELETE', `/api/v1/tokens/${created.body.id}`);
    await reader.closed();
    await expect(openStream({}, {}, created.body.token)).rejects.toThrow('the stream answered 401');
  });
});

describe('CORS', () => {
  it('answers preflights and responses for configured origins on client routes only', async () => {
    const preflight = await fetch(`${server.url}/client/v1/stream`, {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');

    const answer = await server.request('POST', '/client/v1/evaluate', {
      token: clientKey,
      body: { context: {} },
      headers: { origin: ALLOWED_ORIGIN },
    });
    expect(answer.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(answer.headers.get('vary')).toContain('origin');

    const refused = await server.request('POST', '/client/v1/evaluate', {
      token: clientKey,
      body: { context: {} },
      headers: { origin: 'https://evil.example.net' },
    });
    expect(refused.status).toBe(200);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const unauthorized = await server.request('POST', '/client/v1/evaluate', {
      token: null,
      body: { context: {} },
      headers: { origin: ALLOWED_ORIGIN },
    });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);

    const admin = await server.request('GET', '/api/v1/flags', { headers: { origin: ALLOWED_ORIGIN } });
    expect(admin.headers.get('access-control-allow-origin')).toBeNull();
    const adminPreflight = await fetch(`${server.url}/api/v1/flags`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'GET' },
    });
    expect(adminPreflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends the CORS headers on the stream too', async () => {
    const reader = await openStream({}, { origin: ALLOWED_ORIGIN });
    expect(reader.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
  });
});
