/** The Node SDK against the real server over real HTTP: live changes, the kill switch, revocation. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@switchboard/sdk-node';
import type { ClientOptions, SwitchboardClient } from '@switchboard/sdk-node';
import { SdkTestServer, booleanFlag, eventually, flagPath, nextEvent } from './sdk-harness';

const server = new SdkTestServer();
const clients: SwitchboardClient[] = [];

beforeAll(() => server.start());
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});
afterAll(() => server.dispose());

async function connectedClient(
  sdkKey: string,
  options: Partial<ClientOptions> = {},
): Promise<SwitchboardClient> {
  const client = createClient({ url: server.url, sdkKey, metrics: false, ...options });
  clients.push(client);
  await client.ready();
  return client;
}

describe('SDK streaming with the real server', () => {
  it('sees a flag change, with the new version and only that flag in the change event', async () => {
    await server.putFlag(booleanFlag('checkout', 'off'));
    await server.putFlag(booleanFlag('unrelated', 'off'));
    const { token } = await server.serverKey();
    const client = await connectedClient(token);
    expect(client.isEnabled('checkout', { userId: 'alice' })).toBe(false);
    expect(client.status).toMatchObject({ state: 'ready', connection: 'streaming', source: 'server' });
    const before = client.version!;

    const change = nextEvent(client, 'change');
    await server.putFlag(booleanFlag('checkout', 'on'));
    expect(await change).toEqual([['checkout']]);
    expect(client.isEnabled('checkout', { userId: 'alice' })).toBe(true);
    expect(client.evaluate('checkout', { userId: 'alice' })).toMatchObject({
      value: true,
      reason: 'FALLTHROUGH',
    });
    // The flag change touched production and staging: production's sequence moved by one.
    expect(client.version).toBe(before + 1);
  });

  it('delivers a kill with its reason, and the server counts the SDKs that got it', async () => {
    await server.putFlag(booleanFlag('payments', 'on'));
    const { token } = await server.serverKey();
    const [first, second] = await Promise.all([connectedClient(token), connectedClient(token)]);
    expect(first.isEnabled('payments', { userId: 'bob' })).toBe(true);

    const killed = Promise.all([first, second].map((client) => nextEvent(client, 'change')));
    await server.kill('payments', 'card processor outage');
    await killed;
    for (const client of [first, second]) {
      expect(client.isEnabled('payments', { userId: 'bob' })).toBe(false);
      expect(client.evaluate('payments', { userId: 'bob' })).toMatchObject({
        value: false,
        variant: 'off',
        reason: 'KILLED',
        killReason: 'card processor outage',
      });
    }
    const version = first.version!;
    await eventually(
      () => server.app!.sdkStreams.deliveredCount('production', version) >= 2,
      'the server to count both streams as delivered',
    );
    expect(server.app!.sdkStreams.versions('production').get(version)).toBeGreaterThanOrEqual(2);
  });

  it('reports the flags depending on a changed segment or prerequisite, and sees deletes', async () => {
    const segment = { key: 'beta-testers', included: ['carol'], version: undefined };
    expect((await server.admin('PUT', '/api/v1/segments/beta-testers', segment)).status).toBeLessThan(300);
    const env = {
      enabled: true,
      offVariant: 'off',
      rules: [{ id: 'beta', clauses: [{ segment: 'beta-testers' }], serve: { variant: 'on' } }],
      fallthrough: { variant: 'off' },
    };
    await server.putFlag({
      key: 'beta-ui',
      variants: { on: true, off: false },
      environments: { production: env },
    });
    await server.putFlag({
      key: 'beta-ui-extras',
      variants: { on: true, off: false },
      prerequisites: [{ flag: 'beta-ui', variants: ['on'] }],
      environments: { production: { enabled: true, offVariant: 'off', fallthrough: { variant: 'on' } } },
    });
    const { token } = await server.serverKey();
    const client = await connectedClient(token);
    expect(client.isEnabled('beta-ui-extras', { userId: 'dave' })).toBe(false);

    const segmentChange = nextEvent(client, 'change');
    const current = (await server.admin('GET', '/api/v1/segments/beta-testers')).body;
    await server.admin('PUT', '/api/v1/segments/beta-testers', { ...current, included: ['carol', 'dave'] });
    const [keys] = await segmentChange;
    expect([...keys].sort()).toEqual(['beta-ui', 'beta-ui-extras']);
    expect(client.isEnabled('beta-ui-extras', { userId: 'dave' })).toBe(true);

    const deleted = nextEvent(client, 'change');
    expect((await server.admin('DELETE', flagPath('beta-ui-extras'))).status).toBe(204);
    expect(await deleted).toEqual([['beta-ui-extras']]);
    expect(client.evaluate('beta-ui-extras', { userId: 'dave' })).toMatchObject({
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(client.isEnabled('beta-ui-extras', { userId: 'dave' }, true)).toBe(true);
  });

  it("closes a revoked key's stream; the SDK reports the error, stops, and keeps serving", async () => {
    await server.putFlag(booleanFlag('revocation', 'on'));
    const { id, token } = await server.serverKey();
    const client = await connectedClient(token, { reconnectBaseMs: 10 });
    await eventually(() => server.app!.sdkStreams.connectionCount('production') > 0, 'the stream to be open');
    const before = server.app!.sdkStreams.connectionCount('production');

    const error = nextEvent(client, 'error');
    await server.revoke(id);
    const [reported] = await error;
    expect(reported.code).toBe('UNAUTHORIZED');
    expect(client.status.state).toBe('error');
    expect(client.status.connection).toBe('stopped');
    expect(server.app!.sdkStreams.connectionCount('production')).toBe(before - 1);
    expect(client.isEnabled('revocation', { userId: 'erin' })).toBe(true);
  });

  it('answers 401 to an unknown key and 403 to tokens that are not server SDK keys', async () => {
    const clientKey = (
      await server.admin('POST', '/api/v1/tokens', { name: 'web', kind: 'client', environment: 'production' })
    ).body.token as string;
    const viewer = (await server.admin('POST', '/api/v1/tokens', { name: 'viewer', kind: 'viewer' })).body
      .token as string;
    for (const path of ['/sdk/v1/stream', '/sdk/v1/flags']) {
      const status = async (token: string) =>
        (await fetch(server.url + path, { headers: { authorization: `Bearer ${token}` } })).status;
      expect(await status('sb_server_not-a-real-key')).toBe(401);
      expect(await status(clientKey)).toBe(403);
      expect(await status(viewer)).toBe(403);
    }

    const client = createClient({ url: server.url, sdkKey: clientKey, metrics: false });
    clients.push(client);
    const failure = nextEvent(client, 'error');
    await expect(client.ready()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await failure)[0].code).toBe('UNAUTHORIZED');
  });

  it('ends every stream when the server closes, without waiting for the SDKs', async () => {
    const own = new SdkTestServer();
    await own.start();
    try {
      const { token } = await own.serverKey();
      const client = createClient({ url: own.url, sdkKey: token, metrics: false, reconnectBaseMs: 60_000 });
      clients.push(client);
      await client.ready();
      await eventually(() => own.app!.sdkStreams.connectionCount() === 1, 'the stream to be open');
      const started = Date.now();
      await own.stop();
      // Well under the hub's 2 s grace period: the SDK closed its side as soon as the stream ended.
      expect(Date.now() - started).toBeLessThan(1_500);
      await eventually(() => client.status.connection === 'disconnected', 'the SDK to notice the disconnect');
    } finally {
      await own.dispose();
    }
  });
});
