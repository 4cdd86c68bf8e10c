import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../src';
import type { ClientEvents, ClientOptions, FlagResult, SwitchboardClient } from '../src';
import { MemoryStorage, StubServer, openStream, respondWith } from './stub-server';

const on: FlagResult = { value: true, variant: 'on', reason: 'FALLTHROUGH' };
const off: FlagResult = { value: false, variant: 'off', reason: 'DISABLED' };
const FLAGS: Record<string, FlagResult> = {
  checkout: on,
  banner: { value: 'blue', variant: 'blue', reason: 'RULE_MATCH' },
  limit: { value: 25, variant: 'high', reason: 'SPLIT' },
  layout: { value: { columns: 3 }, variant: 'grid', reason: 'TARGET_MATCH' },
  broken: { value: null, reason: 'ERROR', errorCode: 'GENERAL' },
};

function nextEvent<E extends keyof ClientEvents>(
  client: SwitchboardClient,
  event: E,
  timeoutMs = 5_000,
): Promise<Parameters<ClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event within ${timeoutMs} ms`)), timeoutMs);
    const listener = ((argument: Parameters<ClientEvents[E]>[0]) => {
      clearTimeout(timer);
      client.off(event, listener);
      resolve(argument);
    }) as ClientEvents[E];
    client.on(event, listener);
  });
}

let stub: StubServer;
const clients: SwitchboardClient[] = [];

function client(options: Partial<ClientOptions> = {}): SwitchboardClient {
  const created = createClient({
    url: stub.url,
    clientKey: 'sb_client_test',
    context: { userId: 'alice', country: 'DE' },
    storage: null,
    ...options,
  });
  clients.push(created);
  return created;
}

beforeEach(async () => {
  stub = new StubServer();
  await stub.start();
});

afterEach(async () => {
  for (const created of clients.splice(0)) created.close();
  await stub.stop();
});

describe('reading values', () => {
  beforeEach(() => {
    stub.fallback = openStream(stub, { flags: FLAGS, version: 7 });
  });

  it('serves each type from the first put and defaults for unknown keys and wrong types', async () => {
    const flags = client();
    await flags.ready();
    expect(flags.isEnabled('checkout')).toBe(true);
    expect(flags.stringVariation('banner', 'red')).toBe('blue');
    expect(flags.numberVariation('limit', 10)).toBe(25);
    expect(flags.jsonVariation('layout', { columns: 1 })).toEqual({ columns: 3 });
    expect(flags.isEnabled('missing', true)).toBe(true);
    expect(flags.isEnabled('missing')).toBe(false);
    expect(flags.stringVariation('checkout', 'fallback')).toBe('fallback');
    expect(flags.numberVariation('banner', 1)).toBe(1);
    expect(flags.jsonVariation('broken', { safe: true })).toEqual({ safe: true });
    expect(flags.isEnabled('__proto__', true)).toBe(true);
  });

  it('evaluate() gives the detail, and FLAG_NOT_FOUND for an unknown key', async () => {
    const flags = client();
    await flags.ready();
    expect(flags.evaluate('banner')).toEqual({ value: 'blue', variant: 'blue', reason: 'RULE_MATCH' });
    expect(flags.evaluate('nope')).toEqual({ value: null, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(flags.evaluate('constructor')).toEqual({
      value: null,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(flags.allFlags()).toEqual({
      checkout: true,
      banner: 'blue',
      limit: 25,
      layout: { columns: 3 },
      broken: null,
    });
  });

  it('sends the key only in the Authorization header and the context in the body', async () => {
    const flags = client();
    await flags.ready();
    const [request] = stub.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/client/v1/stream');
    expect(request?.headers.authorization).toBe('Bearer sb_client_test');
    expect(request?.body).toEqual({ context: { userId: 'alice', country: 'DE' } });
    expect(request?.headers['last-event-id']).toBeUndefined();
  });
});

describe('live updates', () => {
  it('applies a patch and announces exactly the keys whose outcome changed', async () => {
    stub.fallback = openStream(stub, { flags: FLAGS, version: 7 });
    const flags = client();
    await flags.ready();
    const changed = nextEvent(flags, 'change');
    stub.streams[0]?.patch({ checkout: off, banner: null }, 8);
    expect((await changed).sort()).toEqual(['banner', 'checkout']);
    expect(flags.isEnabled('checkout', true)).toBe(false);
    expect(flags.evaluate('checkout').reason).toBe('DISABLED');
    expect(flags.stringVariation('banner', 'red')).toBe('red');
    expect(flags.numberVariation('limit', 0)).toBe(25);
  });

  it('a put replaces everything; unchanged outcomes are not announced', async () => {
    stub.fallback = openStream(stub, { flags: FLAGS, version: 7 });
    const flags = client();
    await flags.ready();
    const changed = nextEvent(flags, 'change');
    stub.streams[0]?.put({ ...FLAGS, limit: { value: 5, variant: 'low', reason: 'SPLIT' } }, 9);
    expect(await changed).toEqual(['limit']);
  });

  it('reconnects when the stream ends and resumes from the version it holds', async () => {
    stub.fallback = openStream(stub, { flags: FLAGS, version: 7 });
    const flags = client();
    await flags.ready();
    stub.fallback = openStream(stub);
    stub.streams[0]?.end();
    await stub.waitForRequests(2);
    expect(stub.requests[1]?.headers['last-event-id']).toBe('7');
    // The server says nothing changed: an empty patch; values stay.
    const changes: string[][] = [];
    flags.on('change', (keys) => changes.push(keys));
    stub.streams[1]?.patch({}, 7);
    const changed = nextEvent(flags, 'change');
    stub.streams[1]?.patch({ limit: { value: 1, variant: 'one', reason: 'SPLIT' } }, 8);
    expect(await changed).toEqual(['limit']);
    expect(changes).toEqual([['limit']]);
    expect(flags.isEnabled('checkout')).toBe(true);
  });

  it('retries after a server error, honouring Retry-After on 429', async () => {
    stub.script.push(respondWith(500, { error: 'internal' }));
    stub.script.push(respondWith(429, { error: 'rate_limited' }, { 'retry-after': '1' }));
    stub.fallback = openStream(stub, { flags: FLAGS, version: 3 });
    const flags = client();
    const errors: unknown[] = [];
    flags.on('error', (error) => errors.push(error));
    const changed = nextEvent(flags, 'change', 5_000);
    await stub.waitForRequests(2, 3_000);
    const rateLimitedAt = Date.now();
    await stub.waitForRequests(3, 3_000);
    expect(Date.now() - rateLimitedAt).toBeGreaterThanOrEqual(900);
    await changed;
    expect(flags.isEnabled('checkout')).toBe(true);
    expect(errors).toEqual([
      { code: 'HTTP', status: 500, message: 'the server answered 500' },
      { code: 'HTTP', status: 429, message: 'the server answered 429' },
    ]);
  });

  it('stops on 401: reports UNAUTHORIZED, serves defaults, does not retry', async () => {
    stub.fallback = respondWith(401, { error: 'unauthorized' });
    const flags = client();
    const error = await nextEvent(flags, 'error');
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    await flags.ready();
    expect(flags.isEnabled('checkout', true)).toBe(true);
    // A retryable failure would come back within the first backoff ceiling (1 s).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(stub.requests).toHaveLength(1);
  });
});

describe('identify', () => {
  it('switches context with one request and announces what differs', async () => {
    stub.fallback = openStream(stub, { flags: FLAGS, version: 7 });
    const flags = client();
    await flags.ready();
    stub.fallback = openStream(stub, { flags: { ...FLAGS, checkout: off }, version: 7 });
    const changed = nextEvent(flags, 'change');
    await flags.identify({ userId: 'bob' });
    expect(await changed).toEqual(['checkout']);
    expect(flags.isEnabled('checkout', true)).toBe(false);
    expect(stub.requests).toHaveLength(2);
    expect(stub.requests[1]?.body).toEqual({ context: { userId: 'bob' } });
    // Values of alice's version are not bob's: no resume header.
    expect(stub.requests[1]?.headers['last-event-id']).toBeUndefined();
  });

  it('ignores a late answer for the previous context', async () => {
    stub.fallback = openStream(stub);
    const flags = client();
    await stub.waitForRequests(1);
    stub.fallback = openStream(stub, { flags: { checkout: off }, version: 2 });
    await flags.identify({ userId: 'bob' });
    stub.streams[0]?.put({ checkout: on }, 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(flags.isEnabled('checkout', true)).toBe(false);
  });
});

describe('cache, bootstrap and no network', () => {
  it('a second page load renders from the cache with the server gone', async () => {
    const storage = new MemoryStorage();
    stub.fallback = openStream(stub, { flags: FLAGS, version: 7 });
    const first = client({ storage });
    await first.ready();
    first.close();
    const url = stub.url;
    await stub.stop();

    const offline = client({ storage, url });
    const error = nextEvent(offline, 'error');
    await offline.ready();
    expect(offline.isEnabled('checkout')).toBe(true);
    expect(offline.numberVariation('limit', 0)).toBe(25);
    expect(await error).toMatchObject({ code: 'NETWORK' });

    // Another user on the same device has no cache entry: defaults.
    const stranger = client({ storage, url, context: { userId: 'mallory' }, readyTimeoutMs: 50 });
    await stranger.ready();
    expect(stranger.isEnabled('checkout')).toBe(false);
  });

  it('sends the cached version as Last-Event-ID so an unchanged server sends nothing new', async () => {
    const storage = new MemoryStorage();
    stub.fallback = openStream(stub, { flags: FLAGS, version: 7 });
    const first = client({ storage });
    await first.ready();
    first.close();
    stub.fallback = openStream(stub);
    const second = client({ storage });
    await second.ready();
    await stub.waitForRequests(2);
    expect(stub.requests[1]?.headers['last-event-id']).toBe('7');
  });

  it('keeps the cache per client key and per context (key order does not matter)', async () => {
    const storage = new MemoryStorage();
    stub.fallback = openStream(stub, { flags: FLAGS, version: 7 });
    const first = client({ storage, context: { userId: 'alice', country: 'DE' } });
    await first.ready();
    first.close();
    await stub.stop();
    const sameContext = client({ storage, context: { country: 'DE', userId: 'alice' }, readyTimeoutMs: 50 });
    const otherKey = client({ storage, clientKey: 'sb_client_other', readyTimeoutMs: 50 });
    await Promise.all([sameContext.ready(), otherKey.ready()]);
    expect(sameContext.isEnabled('checkout')).toBe(true);
    expect(otherKey.isEnabled('checkout')).toBe(false);
    expect(
      [...storage.entries.keys()].every((key) => !key.includes('alice') && !key.includes('sb_client')),
    ).toBe(true);
  });

  it('serves a bootstrap with no server, and prefers it to the cache', async () => {
    const storage = new MemoryStorage();
    stub.fallback = openStream(stub, { flags: FLAGS, version: 7 });
    const first = client({ storage });
    await first.ready();
    first.close();
    await stub.stop();
    const flags = client({ storage, bootstrap: { flags: { checkout: off } } });
    await flags.ready();
    expect(flags.isEnabled('checkout', true)).toBe(false);
    expect(flags.stringVariation('banner', 'red')).toBe('red');
  });

  it('never throws: malformed bootstrap, broken storage, corrupt cache entry', async () => {
    stub.fallback = openStream(stub);
    const throwing = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    const a = client({ storage: throwing, readyTimeoutMs: 50 });
    const b = client({ bootstrap: { flags: 'nonsense' as unknown as Record<string, FlagResult> } });
    const corrupt = new MemoryStorage();
    corrupt.getItem = () => '{not json';
    const c = client({ storage: corrupt, readyTimeoutMs: 50 });
    await Promise.all([a.ready(), b.ready(), c.ready()]);
    for (const flags of [a, b, c]) {
      expect(flags.isEnabled('checkout', true)).toBe(true);
      expect(flags.evaluate('checkout').errorCode).toBe('FLAG_NOT_FOUND');
    }
    // Once the server answers, all three serve its values (the throwing storage only loses the cache).
    await stub.waitForRequests(3);
    const changes = [a, b, c].map((flags) => nextEvent(flags, 'change'));
    for (const stream of stub.streams) stream.put({ checkout: off }, 1);
    await Promise.all(changes);
    for (const flags of [a, b, c]) expect(flags.isEnabled('checkout', true)).toBe(false);
  });

  it('ready() resolves after readyTimeoutMs when the server never answers', async () => {
    stub.fallback = openStream(stub);
    const flags = client({ readyTimeoutMs: 100 });
    await flags.ready();
    expect(flags.isEnabled('checkout')).toBe(false);
  });
});

describe('without streaming', () => {
  it('fetches once from /client/v1/evaluate and again on identify', async () => {
    stub.fallback = respondWith(200, { flags: FLAGS, version: 4 });
    const flags = client({ stream: false });
    await flags.ready();
    expect(flags.isEnabled('checkout')).toBe(true);
    stub.fallback = respondWith(200, { flags: { checkout: off }, version: 4 });
    await flags.identify({ userId: 'bob' });
    expect(flags.isEnabled('checkout', true)).toBe(false);
    expect(stub.requests.map((request) => request.url)).toEqual([
      '/client/v1/evaluate',
      '/client/v1/evaluate',
    ]);
  });
});
