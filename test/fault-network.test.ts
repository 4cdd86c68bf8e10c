/**
 * The Node SDK behind a TCP proxy that delays, drops, cuts mid-event and black-holes its
 * connections to a real server process: it keeps serving the last complete ruleset, never applies
 * half an event, backs off instead of spinning, and notices a silent stream.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FlagDocument } from '@switchboard/core';
import { createClient } from '@switchboard/sdk-node';
import type { ClientOptions, SwitchboardClient } from '@switchboard/sdk-node';
import { ServerProcess } from './fault-harness';
import { eventually, flagPath } from './scale-harness';
import { TcpProxy } from './tcp-proxy';

const FLAG = 'counter';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let dir: string;
let server: ServerProcess;
let sdkKey: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-fault-network-'));
  server = await ServerProcess.start(join(dir, 'switchboard.db'), dir);
  sdkKey = await server.serverKey();
  await setCounter(1);
});
afterAll(async () => {
  await server.kill();
  rmSync(dir, { recursive: true, force: true });
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Sets the number flag every context gets; answers the environment version it produced. */
async function setCounter(value: number): Promise<number> {
  const current = await server.request('GET', flagPath(FLAG));
  const environment = { enabled: true, offVariant: 'off', fallthrough: { variant: 'current' } };
  const document: Omit<FlagDocument, 'version'> = {
    key: FLAG,
    variants: { current: value, off: -1 },
    environments: { production: environment, staging: environment },
  };
  await server.expectOk('PUT', flagPath(FLAG), {
    ...document,
    version: current.status === 200 ? current.body.version : undefined,
  });
  return server.environmentSeq();
}

const counter = (client: SwitchboardClient) => client.numberVariation(FLAG, {}, -2);

/** A proxy in front of the server and an SDK connected through it, ready. */
async function sdkBehindProxy(options: Partial<ClientOptions> = {}) {
  const proxy = await TcpProxy.start(server.port);
  cleanups.push(() => proxy.close());
  const client = createClient({
    url: proxy.url,
    sdkKey,
    metrics: false,
    events: false,
    reconnectBaseMs: 200,
    reconnectMaxMs: 2_000,
    ...options,
  });
  cleanups.push(() => client.close());
  await client.ready();
  await eventually(() => client.status.connection === 'streaming', 'the SDK to stream');
  const changes: number[] = [];
  client.on('change', () => changes.push(counter(client)));
  return { proxy, client, changes };
}

describe('the Node SDK behind a faulty network', () => {
  it('serves the previous value until a delayed change arrives, then the new one', async () => {
    const { proxy, client, changes } = await sdkBehindProxy();
    const before = counter(client);
    proxy.delayMs = 400;
    const acknowledgedAt = Date.now();
    const version = await setCounter(before + 1);
    expect(counter(client)).toBe(before);
    await eventually(() => client.version === version, 'the delayed change to arrive');
    expect(Date.now() - acknowledgedAt).toBeGreaterThanOrEqual(300);
    expect(counter(client)).toBe(before + 1);
    expect(changes).toEqual([before + 1]);
  });

  it('keeps serving through dropped connections and catches up after reconnecting', async () => {
    const { proxy, client } = await sdkBehindProxy();
    const before = counter(client);
    proxy.mode = 'refuse';
    proxy.dropAll();
    await eventually(() => client.status.connection === 'disconnected', 'the SDK to notice the drop');
    const version = await setCounter(before + 1);
    await sleep(500);
    expect(counter(client)).toBe(before); // the last known value, not a default
    proxy.mode = 'forward';
    await eventually(() => client.version === version, 'the SDK to catch up', 15_000);
    expect(counter(client)).toBe(before + 1);
  });

  it('never applies an event cut in the middle: it keeps the last complete version, then converges', async () => {
    const { proxy, client, changes } = await sdkBehindProxy();
    const before = counter(client);
    const beforeVersion = client.version;
    proxy.cutMidEvent();
    proxy.mode = 'refuse'; // keep the SDK away for a moment, holding whatever it applied
    const version = await setCounter(before + 1);
    await eventually(() => proxy.cuts === 1 && proxy.open === 0, 'the proxy to cut the stream mid-event');
    await eventually(() => client.status.connection === 'disconnected', 'the SDK to notice the cut');
    await sleep(300);
    expect(client.version).toBe(beforeVersion);
    expect(counter(client)).toBe(before);
    expect(changes).toEqual([]);

    proxy.mode = 'forward';
    await eventually(() => client.version === version, 'the SDK to converge after reconnecting', 15_000);
    expect(counter(client)).toBe(before + 1);
    expect(changes).toEqual([before + 1]);
  });

  it('backs off while the upstream refuses connections: a bounded number of attempts, no spin', async () => {
    const { proxy, client } = await sdkBehindProxy({ pollIntervalMs: 2_000 });
    const before = counter(client);
    proxy.mode = 'refuse';
    proxy.dropAll();
    proxy.accepted = 0;
    await sleep(5_000);
    const attempts = proxy.accepted;
    console.log(`fault-network: ${attempts} connection attempts in 5 s of refused upstream`);
    // Backoff 200 ms doubling to 2 s with full jitter, plus polling every 2 s after 3 failed
    // streams: about 8–12 attempts expected. A reconnect loop without backoff makes thousands.
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(30);
    expect(counter(client)).toBe(before);
  }, 20_000);

  it('notices a black-holed stream by its silence and reconnects once the network is back', async () => {
    // Changes every 300 ms keep a healthy stream busier than the 3 s idle timeout (the server's
    // 15 s heartbeat is longer than this test should take).
    let writes = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await setCounter(1_000 + ++writes);
        await sleep(300);
      }
    })();
    cleanups.push(async () => {
      writing = false;
      await writer;
    });
    const { proxy, client } = await sdkBehindProxy({ streamIdleTimeoutMs: 3_000 });

    proxy.accepted = 0;
    await sleep(4_000);
    expect(proxy.accepted).toBe(0); // a healthy stream is left alone
    expect(client.status.connection).toBe('streaming');

    proxy.mode = 'blackhole';
    proxy.silence();
    const servedWhenSilenced = counter(client);
    await eventually(
      () => client.status.connection === 'disconnected',
      'the SDK to give up on the silent stream',
      10_000,
    );
    proxy.accepted = 0;
    await sleep(5_000);
    // Each black-holed attempt waits out the 3 s idle timeout, then backs off: 2–3 streams in 5 s,
    // and one poll once three streams have failed.
    expect(proxy.accepted).toBeGreaterThanOrEqual(1);
    expect(proxy.accepted).toBeLessThanOrEqual(5);
    expect(counter(client)).toBe(servedWhenSilenced);

    proxy.mode = 'forward';
    proxy.dropAll();
    await eventually(() => client.status.connection === 'streaming', 'the stream to come back', 10_000);
    const version = await server.environmentSeq();
    await eventually(() => (client.version ?? 0) >= version, 'the SDK to catch up');
  }, 45_000);
});
