/**
 * Relay mode: a relay follows an upstream server's stream and serves SDKs (and browsers) from memory,
 * through an upstream outage and after it.
 */
import { buildRelayApp, loadRelayConfig } from '@switchboard/server';
import { createClient } from '@switchboard/sdk-node';
import type { SwitchboardClient } from '@switchboard/sdk-node';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { booleanFlag, eventually, SdkTestServer } from './sdk-harness';
import { freePort, HttpPeer, StreamRecorder } from './scale-harness';

const context = { userId: 'user-1' };

interface Relay {
  app: FastifyInstance;
  peer: HttpPeer;
}

async function startRelay(upstream: string, sdkKey: string, extra: string[] = []): Promise<Relay> {
  const config = loadRelayConfig(['--relay', '--upstream', upstream, '--sdk-key', sdkKey, ...extra], {
    LOG_LEVEL: 'silent',
  });
  const app = await buildRelayApp(config);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, peer: new HttpPeer(url) };
}

function sdk(url: string, sdkKey: string, streaming = true): SwitchboardClient {
  return createClient({
    url,
    sdkKey,
    streaming,
    pollIntervalMs: 100,
    reconnectBaseMs: 50,
    reconnectMaxMs: 500,
    metrics: false,
  });
}

describe('a relay', () => {
  let upstream: SdkTestServer;
  let relay: Relay | undefined;
  let key: { id: string; token: string };
  let clients: SwitchboardClient[];
  let recorder: StreamRecorder | undefined;

  beforeEach(async () => {
    clients = [];
    upstream = new SdkTestServer();
    await upstream.start();
    key = await upstream.serverKey('production');
    await upstream.putFlag(booleanFlag('checkout', 'on'));
  });
  afterEach(async () => {
    recorder?.close();
    recorder = undefined;
    await Promise.all(clients.map((client) => client.close()));
    await relay?.app.close();
    relay = undefined;
    await upstream.dispose();
  });

  const ready = (peer: HttpPeer) =>
    eventually(
      async () => (await peer.request('GET', '/readyz', undefined, null)).status === 200,
      'the relay to be ready',
    );

  it("serves the upstream's ruleset and changes to streaming and polling SDKs, with the upstream's versions", async () => {
    relay = await startRelay(upstream.url, key.token);
    await ready(relay.peer);
    expect((await relay.peer.request('GET', '/readyz', undefined, null)).body).toMatchObject({
      status: 'ready',
      mode: 'relay',
      environment: 'production',
      version: 1,
      upstream: { url: `${upstream.url}/`, connection: 'streaming' },
    });

    clients = [sdk(relay.peer.url, key.token), sdk(relay.peer.url, key.token, false)];
    await Promise.all(clients.map((client) => client.ready()));
    expect(clients.map((client) => client.isEnabled('checkout', context))).toEqual([true, true]);

    await upstream.kill('checkout', 'incident');
    await eventually(
      () => clients.every((client) => client.evaluate('checkout', context).reason === 'KILLED'),
      'the SDKs behind the relay to see the kill',
    );
    const seq = (await upstream.admin('GET', '/api/v1/environments')).body.environments.find(
      (environment: { key: string }) => environment.key === 'production',
    ).seq as number;
    expect(clients.map((client) => client.version)).toEqual([seq, seq]);

    const polled = await relay.peer.request('GET', '/sdk/v1/flags', undefined, key.token);
    expect(polled.status).toBe(200);
    expect(polled.body).toEqual(await upstream.app!.store.getRuleset('production'));
  });

  it('accepts only its own SDK key and client keys, and has no admin API', async () => {
    const clientKey = (
      await upstream.admin('POST', '/api/v1/tokens', {
        name: 'browser',
        kind: 'client',
        environment: 'production',
      })
    ).body.token as string;
    relay = await startRelay(upstream.url, key.token, ['--client-key', clientKey]);
    await ready(relay.peer);
    const other = await upstream.serverKey('production');
    expect((await relay.peer.request('GET', '/sdk/v1/flags', undefined, other.token)).status).toBe(401);
    expect((await relay.peer.request('GET', '/sdk/v1/flags', undefined, null)).status).toBe(401);
    expect((await relay.peer.request('GET', '/sdk/v1/flags', undefined, clientKey)).status).toBe(403);
    expect((await relay.peer.request('GET', '/api/v1/flags', undefined, key.token)).status).toBe(404);

    const evaluated = await relay.peer.request('POST', '/client/v1/evaluate', { context }, clientKey);
    expect(evaluated.status).toBe(200);
    expect(evaluated.body.flags.checkout).toMatchObject({ value: true, variant: 'on' });
  });

  it('evaluates over OFREP and notifies OFREP event streams of changes', async () => {
    relay = await startRelay(upstream.url, key.token);
    await ready(relay.peer);
    const single = await relay.peer.request(
      'POST',
      '/ofrep/v1/evaluate/flags/checkout',
      { context: { targetingKey: 'u' } },
      key.token,
    );
    expect(single.status).toBe(200);
    expect(single.body).toMatchObject({ key: 'checkout', value: true, variant: 'on' });

    const bulk = await relay.peer.request('POST', '/ofrep/v1/evaluate/flags', { context: {} }, key.token);
    const events = await fetch(relay.peer.url + bulk.body.eventStreams[0].endpoint.requestUri);
    expect(events.status).toBe(200);
    const reader = events.body!.getReader();
    await upstream.kill('checkout', 'ofrep');
    let received = '';
    while (!/^data:/m.test(received)) received += new TextDecoder().decode((await reader.read()).value);
    expect(received).toMatch(/^data: \{"type":"refetchEvaluation","etag":"2"\}$/m);
    const evaluated = await relay.peer.request(
      'POST',
      '/ofrep/v1/evaluate/flags/checkout',
      { context: {} },
      key.token,
    );
    expect(evaluated.body).toMatchObject({ key: 'checkout', value: false, reason: 'KILLED' });
    await reader.cancel();
  });

  it('keeps serving while the upstream is stopped and catches up when it returns', async () => {
    relay = await startRelay(upstream.url, key.token);
    await ready(relay.peer);
    clients = [sdk(relay.peer.url, key.token)];
    await clients[0]!.ready();
    recorder = new StreamRecorder(relay.peer.url, key.token);
    await eventually(() => recorder!.lastId === 1, 'the recorder to receive the ruleset');

    await upstream.stop();
    await eventually(
      async () => (await relay!.peer.request('GET', '/readyz', undefined, null)).body.status === 'degraded',
      'the relay to notice that the upstream is gone',
    );
    // Still served: to the SDK already connected, to a new one, and to polling.
    expect(clients[0]!.isEnabled('checkout', context)).toBe(true);
    const late = sdk(relay.peer.url, key.token);
    clients.push(late);
    await late.ready();
    expect(late.isEnabled('checkout', context)).toBe(true);
    expect((await relay.peer.request('GET', '/sdk/v1/flags', undefined, key.token)).body.version).toBe(1);

    // Changed while the relay cannot see it, and after the upstream is back.
    await upstream.start({}, async () => {
      await upstream.putFlag({
        ...booleanFlag('checkout', 'off'),
        description: 'while the relay was cut off',
      });
    });
    await upstream.putFlag(booleanFlag('search', 'on'));
    await eventually(
      () =>
        clients.every(
          (client) =>
            client.version === 3 &&
            !client.isEnabled('checkout', context) &&
            client.isEnabled('search', context),
        ),
      'the SDKs behind the relay to catch up',
      15_000,
    );
    await eventually(() => recorder!.lastId === 3, 'the raw stream to catch up');
    // Resumed with the missed changes only: the first put, then each change once, in order.
    expect(recorder.events).toEqual([
      { type: 'put', id: 1 },
      { type: 'patch', id: 2 },
      { type: 'patch', id: 3 },
    ]);
  });

  it('answers 503 until it has a ruleset', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    relay = await startRelay(nowhere, key.token);
    const flags = await relay.peer.request('GET', '/sdk/v1/flags', undefined, key.token);
    expect(flags.status).toBe(503);
    expect(flags.body).toMatchObject({ error: 'unavailable' });
    const readiness = await relay.peer.request('GET', '/readyz', undefined, null);
    expect(readiness.status).toBe(503);
    expect(readiness.body).toMatchObject({ status: 'unavailable', version: null });
  });

  it('stops serving and closes its streams once the upstream refuses its key', async () => {
    relay = await startRelay(upstream.url, key.token);
    await ready(relay.peer);
    recorder = new StreamRecorder(relay.peer.url, key.token);
    await eventually(() => recorder!.lastId === 1, 'the stream to start');
    expect(relay.app.sdkStreams.connectionCount('production')).toBe(1);

    await upstream.revoke(key.id);
    await eventually(
      async () => (await relay!.peer.request('GET', '/readyz', undefined, null)).status === 503,
      'the relay to learn that its key was revoked',
    );
    expect((await relay.peer.request('GET', '/readyz', undefined, null)).body.upstream.refused).toMatch(
      /401/,
    );
    await eventually(() => relay!.app.sdkStreams.connectionCount() === 0, 'the relay to close its streams');
    expect((await relay.peer.request('GET', '/sdk/v1/flags', undefined, key.token)).status).toBe(401);
  });

  it('reports its stream count and version in /metrics', async () => {
    relay = await startRelay(upstream.url, key.token);
    await ready(relay.peer);
    clients = [sdk(relay.peer.url, key.token)];
    await clients[0]!.ready();
    const text = await (await fetch(`${relay.peer.url}/metrics`)).text();
    expect(text).toMatch(/^switchboard_sdk_streams\{environment="production"\} 1$/m);
    expect(text).toMatch(/^switchboard_environment_seq\{environment="production"\} 1$/m);
    expect(text).toMatch(/^switchboard_fanout_connected 1$/m);
  });
});
