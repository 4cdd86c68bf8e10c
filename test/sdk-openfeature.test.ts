/** The OpenFeature provider end to end: real @openfeature/server-sdk, real server, real HTTP. */
import { OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/server-sdk';
import type { Client, EventDetails } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchboardProvider } from '@switchboard/sdk-node/openfeature';
import { SdkTestServer, booleanFlag } from './sdk-harness';

const server = new SdkTestServer();
beforeAll(() => server.start());
afterAll(async () => {
  await OpenFeature.close();
  await server.dispose();
});

function nextProviderEvent(client: Client, event: ProviderEvents, timeoutMs = 10_000): Promise<EventDetails> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    const handler = (details?: EventDetails) => {
      clearTimeout(timer);
      client.removeHandler(event, handler);
      resolve(details!);
    };
    client.addHandler(event, handler);
  });
}

describe('OpenFeature provider against the real server', () => {
  it('evaluates, announces changes with the flags changed, carries a kill reason, and reports revocation', async () => {
    await server.putFlag({
      key: 'new-search',
      variants: { on: true, off: false },
      environments: {
        production: {
          enabled: true,
          offVariant: 'off',
          targets: [{ values: ['tester'], variant: 'on' }],
          fallthrough: { variant: 'off' },
        },
      },
    });
    const { id, token } = await server.serverKey();
    const provider = new SwitchboardProvider({ url: server.url, sdkKey: token, metrics: false });
    await OpenFeature.setProviderAndWait('e2e', provider);
    const client = OpenFeature.getClient('e2e');
    expect(client.providerStatus).toBe(ProviderStatus.READY);

    expect(await client.getBooleanDetails('new-search', false, { targetingKey: 'tester' })).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
    });
    expect(await client.getBooleanValue('new-search', true, { targetingKey: 'someone' })).toBe(false);

    const changed = nextProviderEvent(client, ProviderEvents.ConfigurationChanged);
    await server.putFlag(booleanFlag('new-search', 'on'));
    expect((await changed).flagsChanged).toEqual(['new-search']);
    expect(await client.getBooleanValue('new-search', false, { targetingKey: 'someone' })).toBe(true);

    const killed = nextProviderEvent(client, ProviderEvents.ConfigurationChanged);
    await server.kill('new-search', 'search cluster overloaded');
    await killed;
    expect(await client.getBooleanDetails('new-search', true, { targetingKey: 'someone' })).toMatchObject({
      value: false,
      reason: 'KILLED',
      flagMetadata: { killReason: 'search cluster overloaded' },
    });

    const error = nextProviderEvent(client, ProviderEvents.Error);
    await server.revoke(id);
    expect((await error).message).toMatch(/401|403/);
    expect(client.providerStatus).toBe(ProviderStatus.ERROR);
  });
});
