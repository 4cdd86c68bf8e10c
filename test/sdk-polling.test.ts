/** Polling fallback: a proxy in front of the real server breaks the stream endpoint on demand. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@switchboard/sdk-node';
import type { SwitchboardClient } from '@switchboard/sdk-node';
import { SdkTestServer, booleanFlag, eventually, nextEvent } from './sdk-harness';

/** Forwards to the server, except that `/sdk/v1/stream` answers 503 while `streamBroken`. */
class BreakingProxy {
  streamBroken = false;
  /** `<path> <status>` of every answered request, in order. */
  readonly answered: string[] = [];
  private readonly server: http.Server;

  constructor(upstreamPort: () => number) {
    this.server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/sdk/v1/stream' && this.streamBroken) {
        this.answered.push(`${path} 503`);
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
        return;
      }
      const upstream = http.request(
        { host: '127.0.0.1', port: upstreamPort(), path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          this.answered.push(`${path} ${answer.statusCode}`);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.flushHeaders();
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  count(entry: string): number {
    return this.answered.filter((answered) => answered === entry).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const server = new SdkTestServer();
const proxy = new BreakingProxy(() => server.port);
let proxyUrl = '';
const clients: SwitchboardClient[] = [];

beforeAll(async () => {
  await server.start();
  proxyUrl = await proxy.listen();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});
afterAll(async () => {
  await proxy.close();
  await server.dispose();
});

describe('SDK polling fallback', () => {
  it('polls with ETags while the stream keeps failing, and goes back to the stream when it recovers', async () => {
    await server.putFlag(booleanFlag('polled', 'off'));
    const { token } = await server.serverKey();
    proxy.streamBroken = true;
    const client = createClient({
      url: proxyUrl,
      sdkKey: token,
      metrics: false,
      reconnectBaseMs: 10,
      reconnectMaxMs: 40,
      streamFailuresBeforePolling: 2,
      pollIntervalMs: 50,
      logger: console,
    });
    clients.push(client);
    await client.ready();
    expect(client.status.connection).toBe('polling');
    expect(proxy.count('/sdk/v1/stream 503')).toBeGreaterThanOrEqual(2);

    const polledChange = nextEvent(client, 'change');
    await server.putFlag(booleanFlag('polled', 'on'));
    expect(await polledChange).toEqual([['polled']]);
    expect(client.isEnabled('polled', {})).toBe(true);
    await eventually(() => proxy.count('/sdk/v1/flags 304') > 0, 'a poll answered 304 Not Modified');

    proxy.streamBroken = false;
    await eventually(() => client.status.connection === 'streaming', 'the SDK to return to the stream');
    const streamedChange = nextEvent(client, 'change');
    await server.putFlag(booleanFlag('polled', 'off'));
    expect(await streamedChange).toEqual([['polled']]);
    expect(client.isEnabled('polled', {})).toBe(false);

    // Polling stopped: over ten polling intervals at most the poll in flight at the switch completes.
    const polls = proxy.count('/sdk/v1/flags 200') + proxy.count('/sdk/v1/flags 304');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(proxy.count('/sdk/v1/flags 200') + proxy.count('/sdk/v1/flags 304')).toBeLessThanOrEqual(
      polls + 1,
    );
  });

  it('with streaming disabled, only polls (and never opens the stream)', async () => {
    await server.putFlag(booleanFlag('poll-only', 'off'));
    const { token } = await server.serverKey();
    const streamsBefore = proxy.answered.filter((entry) => entry.startsWith('/sdk/v1/stream')).length;
    const client = createClient({
      url: proxyUrl,
      sdkKey: token,
      metrics: false,
      streaming: false,
      pollIntervalMs: 50,
    });
    clients.push(client);
    await client.ready();
    const change = nextEvent(client, 'change');
    await server.putFlag(booleanFlag('poll-only', 'on'));
    expect(await change).toEqual([['poll-only']]);
    expect(client.status.connection).toBe('polling');
    expect(proxy.answered.filter((entry) => entry.startsWith('/sdk/v1/stream')).length).toBe(streamsBefore);
  });

  it('stops polling and reports the error when polling is refused (a revoked key)', async () => {
    const { id, token } = await server.serverKey();
    const client = createClient({
      url: proxyUrl,
      sdkKey: token,
      metrics: false,
      streaming: false,
      pollIntervalMs: 50,
    });
    clients.push(client);
    await client.ready();
    const error = nextEvent(client, 'error');
    await server.revoke(id);
    expect((await error)[0].code).toBe('UNAUTHORIZED');
    expect(client.status).toMatchObject({ state: 'error', connection: 'stopped' });
  });
});
