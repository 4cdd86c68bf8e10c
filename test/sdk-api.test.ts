/** The SDK API over HTTP: polling with ETags, the stream's headers, metrics into the store. */
import http from 'node:http';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@switchboard/sdk-node';
import { SdkTestServer, booleanFlag } from './sdk-harness';

const server = new SdkTestServer();
let sdkKey = '';
beforeAll(async () => {
  await server.start();
  await server.putFlag(booleanFlag('polled', 'on'));
  sdkKey = (await server.serverKey()).token;
});
afterAll(() => server.dispose());

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(server.url + path, { headers: { authorization: `Bearer ${sdkKey}`, ...headers } });

const postMetrics = (body: unknown, key = sdkKey) =>
  fetch(`${server.url}/sdk/v1/metrics`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

function readDatabase<T>(read: (db: Database.Database) => T): T {
  const db = new Database(server.databasePath, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const storedMetricRows = () =>
  readDatabase(
    (db) => (db.prepare('SELECT COUNT(*) AS rows FROM evaluation_metrics').get() as { rows: number }).rows,
  );

describe('GET /sdk/v1/flags', () => {
  it("answers the key's environment ruleset with a strong ETag, and 304 while it is current", async () => {
    const first = await get('/sdk/v1/flags');
    expect(first.status).toBe(200);
    const ruleset = await first.json();
    expect(ruleset).toMatchObject({
      environment: 'production',
      flags: { polled: { fallthrough: { variant: 'on' } } },
    });
    const etag = first.headers.get('etag')!;
    expect(etag).toBe(`"production-${ruleset.version}"`);

    const unchanged = await get('/sdk/v1/flags', { 'if-none-match': etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get('etag')).toBe(etag);
    expect(await unchanged.text()).toBe('');
    expect((await get('/sdk/v1/flags', { 'if-none-match': `"other", W/${etag}` })).status).toBe(304);

    await server.putFlag(booleanFlag('polled', 'off'));
    const changed = await get('/sdk/v1/flags', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect((await changed.json()).flags.polled.fallthrough).toEqual({ variant: 'off' });
  });
});

describe('GET /sdk/v1/stream', () => {
  it('answers an event stream with no-cache, no proxy buffering, and a put first', async () => {
    const { headers, firstEvent } = await new Promise<{
      headers: http.IncomingHttpHeaders;
      firstEvent: string;
    }>((resolve, reject) => {
      const req = http.get(
        `${server.url}/sdk/v1/stream`,
        { headers: { authorization: `Bearer ${sdkKey}` } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
            const put = /event: put\n[^]*?\n\n/.exec(text);
            if (put) {
              req.destroy();
              resolve({ headers: res.headers, firstEvent: put[0] });
            }
          });
        },
      );
      req.on('error', reject);
    });
    expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(headers['cache-control']).toBe('no-cache');
    expect(headers['x-accel-buffering']).toBe('no');
    const [, id, data] = /^event: put\nid: (\d+)\ndata: (.*)\n\n$/.exec(firstEvent)!;
    expect(JSON.parse(data!)).toMatchObject({ environment: 'production', version: Number(id) });
  });
});

describe('POST /sdk/v1/metrics', () => {
  const window = { windowStart: '2030-01-01T00:00:00.000Z', windowEnd: '2030-01-01T00:01:00.000Z' };

  it('stores the evaluation counts the SDK sends', async () => {
    const client = createClient({ url: server.url, sdkKey, flushIntervalMs: 60_000 });
    await client.ready();
    for (let i = 0; i < 7; i++) client.isEnabled('polled', { userId: `user-${i}` });
    client.isEnabled('missing-flag', {});
    await client.close(); // sends the last window

    const rows = readDatabase((db) =>
      db
        .prepare(
          'SELECT flag, variant, reason, SUM(count) AS count FROM evaluation_metrics ' +
            'WHERE environment = ? GROUP BY flag, variant, reason ORDER BY flag',
        )
        .all('production'),
    );
    expect(rows).toEqual([
      { flag: 'missing-flag', variant: '', reason: 'ERROR', count: 1 },
      { flag: 'polled', variant: 'off', reason: 'FALLTHROUGH', count: 7 },
    ]);
  });

  it('answers 202 to a valid batch', async () => {
    const reply = await postMetrics({
      ...window,
      counts: [{ flag: 'polled', variant: 'on', reason: 'SPLIT', count: 3 }],
    });
    expect(reply.status).toBe(202);
  });

  const count = { flag: 'polled', variant: 'on', reason: 'FALLTHROUGH', count: 1 };
  it.each([
    ['not JSON', '{"windowStart": '],
    ['no counts', { ...window }],
    ['an unknown field', { ...window, counts: [], extra: 1 }],
    ['an unknown reason', { ...window, counts: [{ ...count, reason: 'MAYBE' }] }],
    ['a negative count', { ...window, counts: [{ ...count, count: -1 }] }],
    ['a fractional count', { ...window, counts: [{ ...count, count: 1.5 }] }],
    ['an empty flag key', { ...window, counts: [{ ...count, flag: '' }] }],
    ['a field too many in a count', { ...window, counts: [{ ...count, ruleId: 'x' }] }],
    ['a window that is not a date', { ...window, windowStart: 'yesterday at noon' }],
    [
      'a window ending before it starts',
      { windowStart: window.windowEnd, windowEnd: window.windowStart, counts: [] },
    ],
    [
      'too many counts',
      { ...window, counts: Array.from({ length: 10_001 }, (_, i) => ({ ...count, flag: `f${i}` })) },
    ],
  ])('answers 400 with problem details to %s, storing nothing', async (_name, body) => {
    const before = storedMetricRows();
    const reply = await postMetrics(body);
    expect(reply.status).toBe(400);
    const problem = await reply.json();
    expect(problem).toMatchObject({ error: 'bad_request', message: expect.any(String) });
    expect(Array.isArray(problem.details)).toBe(true);
    expect(storedMetricRows()).toBe(before);
  });

  it('refuses tokens that are not server SDK keys', async () => {
    expect((await postMetrics({ ...window, counts: [] }, 'sb_server_unknown')).status).toBe(401);
    const viewer = (await server.admin('POST', '/api/v1/tokens', { name: 'v', kind: 'viewer' })).body
      .token as string;
    expect((await postMetrics({ ...window, counts: [] }, viewer)).status).toBe(403);
  });
});
