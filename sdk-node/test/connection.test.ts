/** The SDK's side of the stream protocol, against a scripted server. */
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../src';
import type { ClientOptions, SwitchboardClient } from '../src';
import { FakeSdkServer, booleanFlag, ruleset } from './fake-server';
import { eventually, nextEvent } from './wait';

let server: FakeSdkServer;
const clients: SwitchboardClient[] = [];
beforeEach(async () => {
  server = new FakeSdkServer();
  await server.listen();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await server.close();
});

function client(options: Partial<ClientOptions> = {}): SwitchboardClient {
  const created = createClient({
    url: server.url,
    sdkKey: 'sb_server_test',
    metrics: false,
    reconnectBaseMs: 20,
    reconnectMaxMs: 50,
    ...options,
  });
  clients.push(created);
  return created;
}

describe('stream events', () => {
  it('sends the key and asks for an event stream', async () => {
    await client().ready();
    const [request] = server.requestsTo('/sdk/v1/stream');
    expect(request?.headers).toMatchObject({
      authorization: 'Bearer sb_server_test',
      accept: 'text/event-stream',
    });
    expect(request?.headers['last-event-id']).toBeUndefined();
  });

  it('applies patches and deletes in order and ignores events not newer than its version', async () => {
    const sdk = client();
    await sdk.ready();
    expect(sdk.isEnabled('welcome', {})).toBe(true);

    const stale = { version: 1, kind: 'flag', key: 'welcome', value: booleanFlag('welcome', false) };
    const newer = { version: 2, kind: 'flag', key: 'added', value: booleanFlag('added', true) };
    const changes: string[][] = [];
    sdk.on('change', (keys) => changes.push(keys));
    const applied = nextEvent(sdk, 'change');
    server.sendLatest('patch', 1, stale);
    server.sendLatest('patch', 2, newer);
    await applied;
    expect(changes).toEqual([['added']]);
    expect(sdk.isEnabled('welcome', {})).toBe(true);
    expect(sdk.isEnabled('added', {})).toBe(true);
    expect(sdk.allFlags({})).toMatchObject({ welcome: true, added: true });

    const removed = nextEvent(sdk, 'change');
    server.sendLatest('delete', 3, { version: 3, kind: 'flag', key: 'added' });
    expect(await removed).toEqual([['added']]);
    expect(sdk.evaluate('added', {}).errorCode).toBe('FLAG_NOT_FOUND');
    expect(Object.keys(sdk.allFlags({}))).not.toContain('added');
    expect(sdk.version).toBe(3);
  });

  it('replaces everything on a put and reports only the flags that differ', async () => {
    server.ruleset = ruleset(5, {
      a: booleanFlag('a', true),
      b: booleanFlag('b', true),
      c: booleanFlag('c', true),
    });
    const sdk = client();
    await sdk.ready();
    const change = nextEvent(sdk, 'change');
    server.sendLatest(
      'put',
      9,
      ruleset(9, { a: booleanFlag('a', true), b: booleanFlag('b', false), d: booleanFlag('d', true) }),
    );
    const [keys] = await change;
    expect([...keys].sort()).toEqual(['b', 'c', 'd']);
    expect(sdk.allFlags({})).toEqual({ a: true, b: false, d: true });
  });

  it('survives a put with a malformed flag: that flag answers an error, the others work', async () => {
    const sdk = client();
    await sdk.ready();
    const change = nextEvent(sdk, 'change');
    const broken = { ...booleanFlag('broken', true), rules: 5, fallthrough: { variant: 'missing' } };
    server.sendLatest(
      'put',
      2,
      ruleset(2, { welcome: booleanFlag('welcome', false), broken: broken as never }),
    );
    await change;
    expect(sdk.evaluate('broken', {})).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
    expect(sdk.isEnabled('broken', {}, true)).toBe(true);
    expect(sdk.isEnabled('welcome', {}, true)).toBe(false);
  });

  it('ignores unknown event types and comments', async () => {
    const sdk = client();
    await sdk.ready();
    const stream = server.streams[0]!;
    stream.write(': keep-alive\n\nevent: future-thing\ndata: {"x":1}\n\n');
    const change = nextEvent(sdk, 'change');
    server.sendLatest('patch', 2, {
      version: 2,
      kind: 'flag',
      key: 'welcome',
      value: booleanFlag('welcome', false),
    });
    await change;
    expect(sdk.isEnabled('welcome', {})).toBe(false);
    expect(server.requestsTo('/sdk/v1/stream')).toHaveLength(1);
  });
});

describe('reconnecting', () => {
  it('resumes with Last-Event-ID = its version after the stream drops', async () => {
    const sdk = client();
    await sdk.ready();
    const change = nextEvent(sdk, 'change');
    server.sendLatest('patch', 4, {
      version: 4,
      kind: 'flag',
      key: 'welcome',
      value: booleanFlag('welcome', false),
    });
    await change;
    server.dropStreams();
    const [, second] = await server.waitForRequests('/sdk/v1/stream', 2);
    expect(second?.headers['last-event-id']).toBe('4');
  });

  it('asks for a fresh put (no Last-Event-ID) after a malformed event', async () => {
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (message: string) => warnings.push(message),
      error: () => {},
    };
    const warnings: string[] = [];
    const sdk = client({ logger });
    await sdk.ready();
    server.streams[0]!.write('event: patch\nid: 5\ndata: {"version":5,"kind":\n\n');
    const [, second] = await server.waitForRequests('/sdk/v1/stream', 2);
    expect(second?.headers['last-event-id']).toBeUndefined();
    expect(warnings.some((warning) => warning.includes('not valid JSON'))).toBe(true);
    expect(sdk.isEnabled('welcome', {})).toBe(true);
  });

  it('reconnects a stream that goes silent (no event, no heartbeat)', async () => {
    server.onStream = (_request, response) => server.openStream(response); // never sends anything
    client({ streamIdleTimeoutMs: 100 });
    await server.waitForRequests('/sdk/v1/stream', 2);
  });

  it("emits 'stale' while cut off and 'recovered' once back, serving the last flags throughout", async () => {
    const sdk = client({ staleAfterMs: 50, reconnectBaseMs: 20, reconnectMaxMs: 20 });
    await sdk.ready();
    const refusing = (_request: unknown, response: ServerResponse) => response.writeHead(503).end();
    server.onStream = refusing;
    server.onFlags = refusing;
    const stale = nextEvent(sdk, 'stale');
    server.dropStreams();
    await stale;
    expect(sdk.status).toMatchObject({ state: 'stale', connection: 'disconnected' });
    expect(sdk.isEnabled('welcome', {})).toBe(true);

    server.onStream = (_request, response) => {
      server.openStream(response);
      server.send(response, 'put', 1, server.ruleset);
    };
    await nextEvent(sdk, 'recovered');
    expect(sdk.status).toMatchObject({ state: 'ready', connection: 'streaming', disconnectedSince: null });
  });

  it('stops for good on 401/403 and rejects ready()', async () => {
    server.onStream = (_request, response) => response.writeHead(403).end();
    const sdk = client({ readyTimeoutMs: 5_000 });
    const error = nextEvent(sdk, 'error');
    await expect(sdk.ready()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await error)[0].message).toContain('403');
    expect(sdk.status).toMatchObject({ state: 'error', connection: 'stopped' });
    expect(server.requestsTo('/sdk/v1/stream')).toHaveLength(1);
    expect(server.requestsTo('/sdk/v1/flags')).toHaveLength(0);
  });

  it('rejects ready() after readyTimeoutMs but becomes ready when the server answers later', async () => {
    let release: () => void = () => {};
    server.onStream = (_request, response) => {
      server.openStream(response);
      release = () => server.send(response, 'put', 1, server.ruleset);
    };
    const sdk = client({ readyTimeoutMs: 30 });
    await expect(sdk.ready()).rejects.toMatchObject({ code: 'READY_TIMEOUT' });
    await eventually(() => server.streams.length === 1, 'the stream to be open');
    const ready = nextEvent(sdk, 'ready');
    release();
    await ready;
    await expect(sdk.ready()).resolves.toBeUndefined();
    expect(sdk.isEnabled('welcome', {})).toBe(true);
  });
});
