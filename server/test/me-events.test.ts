import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app';
import type { TestServer } from './helpers';
import { ADMIN_TOKEN, startServer, testConfig } from './helpers';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('GET /api/v1/me', () => {
  it('names the presented token and its role, never its secret', async () => {
    const responder = await server.token('responder');
    const me = await server.request('GET', '/api/v1/me', { token: responder });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'responder', environment: null });
    expect(JSON.stringify(me.body)).not.toContain(responder);

    const sdkKey = await server.token('server', 'staging');
    expect((await server.request('GET', '/api/v1/me', { token: sdkKey })).body).toMatchObject({
      kind: 'server',
      environment: 'staging',
    });
  });

  it('answers 401 without a valid token', async () => {
    expect((await server.request('GET', '/api/v1/me', { token: null })).status).toBe(401);
    expect((await server.request('GET', '/api/v1/me', { token: 'sb_admin_nope' })).status).toBe(401);
  });
});

interface Feed {
  /** Resolves with the `change` events received so far once one of them names `key`. */
  until(key: string): Promise<Array<{ id: number; target: { key: string } }>>;
  close(): void;
}

async function openFeed(url: string, headers: Record<string, string> = {}): Promise<Feed> {
  const abort = new AbortController();
  const response = await fetch(`${url}/api/v1/events`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
    signal: abort.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let received = '';
  const changes = () =>
    received
      .split('\n\n')
      .filter((block) => block.includes('event: change'))
      .map((block) => {
        const id = Number(/^id: (\d+)$/m.exec(block)![1]);
        const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]!);
        expect(data.id).toBe(id);
        return data;
      });
  const readUntil = async (needle: string) => {
    while (!received.includes(needle)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${needle}`);
      received += decoder.decode(value, { stream: true });
    }
  };
  await readUntil(':\n\n');
  return {
    async until(key) {
      await readUntil(`"key":"${key}"`);
      await readUntil('\n\n');
      return changes();
    },
    close: () => abort.abort(),
  };
}

const flagBody = (key: string) => ({
  key,
  variants: { on: true, off: false },
  environments: { production: { enabled: false, offVariant: 'off', fallthrough: { variant: 'on' } } },
});

async function newestAuditId(): Promise<number> {
  const page = await server.request<{ entries: Array<{ id: number }> }>('GET', '/api/v1/audit?limit=1');
  return page.body.entries[0]?.id ?? 0;
}

describe('GET /api/v1/events', () => {
  it('streams one change event per committed audit entry, without the documents', async () => {
    const feed = await openFeed(server.url);
    const put = await server.request('PUT', '/api/v1/flags/live-feed', { body: flagBody('live-feed') });
    expect(put.status).toBeLessThan(300);
    const [change] = await feed.until('live-feed');
    expect(change).toMatchObject({
      action: expect.stringContaining('flag'),
      target: { kind: 'flag', key: 'live-feed' },
    });
    expect(change).not.toHaveProperty('before');
    feed.close();
  });

  it('first sends what was committed after the Last-Event-ID, in order', async () => {
    const before = await newestAuditId();
    for (const key of ['missed-1', 'missed-2', 'missed-3'])
      expect((await server.request('PUT', `/api/v1/flags/${key}`, { body: flagBody(key) })).status).toBe(201);

    const feed = await openFeed(server.url, { 'last-event-id': String(before) });
    const replayed = await feed.until('missed-3');
    expect(replayed.map((change) => change.target.key)).toEqual(['missed-1', 'missed-2', 'missed-3']);
    expect(replayed.map((change) => change.id)).toEqual([before + 1, before + 2, before + 3]);

    // Then live, with nothing sent twice.
    await server.request('PUT', '/api/v1/flags/after-replay', { body: flagBody('after-replay') });
    const all = await feed.until('after-replay');
    expect(all.map((change) => change.id)).toEqual([before + 1, before + 2, before + 3, before + 4]);
    feed.close();
  });

  it('carries changes committed by another replica of the same store', async () => {
    const feed = await openFeed(server.url);
    const other = await buildApp(testConfig(server.databasePath), { adminUiRoot: join(server.dir, 'none') });
    try {
      const put = await other.inject({
        method: 'PUT',
        url: '/api/v1/flags/from-other-replica',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: flagBody('from-other-replica'),
      });
      expect(put.statusCode).toBe(201);
      const changes = await feed.until('from-other-replica');
      expect(changes.at(-1)).toMatchObject({ target: { kind: 'flag', key: 'from-other-replica' } });
    } finally {
      feed.close();
      await other.close();
    }
  });

  it('is closed to SDK keys', async () => {
    const sdkKey = await server.token('server', 'production');
    const response = await fetch(`${server.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${sdkKey}` },
    });
    expect(response.status).toBe(403);
    await response.body?.cancel();
  });
});
