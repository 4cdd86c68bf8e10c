import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers';
import { ADMIN_TOKEN, startServer } from './helpers';

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

describe('GET /api/v1/events', () => {
  it('streams one change event per committed audit entry', async () => {
    const abort = new AbortController();
    const response = await fetch(`${server.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const readUntil = async (needle: string) => {
      while (!received.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        received += decoder.decode(value, { stream: true });
      }
    };
    await readUntil(':\n\n');

    const put = await server.request('PUT', '/api/v1/flags/live-feed', {
      body: {
        key: 'live-feed',
        variants: { on: true, off: false },
        environments: {
          production: { enabled: false, offVariant: 'off', fallthrough: { variant: 'on' } },
        },
      },
    });
    expect(put.status).toBeLessThan(300);
    await readUntil('"live-feed"');
    const event = received.split('\n\n').find((block) => block.includes('event: change'));
    expect(event).toBeDefined();
    const data = JSON.parse(
      event!
        .split('\n')
        .find((line) => line.startsWith('data: '))!
        .slice(6),
    );
    expect(data).toMatchObject({
      action: expect.stringContaining('flag'),
      target: { kind: 'flag', key: 'live-feed' },
    });
    expect(data).not.toHaveProperty('before');
    abort.abort();
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
