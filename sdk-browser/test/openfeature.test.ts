import { ClientProviderStatus, ErrorCode, OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SwitchboardWebProvider, toSwitchboardContext } from '../src/openfeature';
import type { FlagResult } from '../src';
import { StubServer, openStream, respondWith } from './stub-server';

const FLAGS: Record<string, FlagResult> = {
  checkout: { value: true, variant: 'on', reason: 'RULE_MATCH' },
  banner: { value: 'blue', variant: 'blue', reason: 'FALLTHROUGH' },
  limit: { value: 25, variant: 'high', reason: 'SPLIT' },
  layout: { value: { columns: 3 }, variant: 'grid', reason: 'KILLED' },
  rollout: { value: null, reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' },
};

let stub: StubServer;

beforeEach(async () => {
  stub = new StubServer();
  await stub.start();
});

afterEach(async () => {
  await OpenFeature.close();
  await stub.stop();
});

function provider(): SwitchboardWebProvider {
  return new SwitchboardWebProvider({ url: stub.url, clientKey: 'sb_client_test', storage: null });
}

describe('SwitchboardWebProvider with @openfeature/web-sdk', () => {
  it('maps targetingKey to userId unless the context has its own userId', () => {
    expect(toSwitchboardContext({ targetingKey: 'u1', plan: 'pro' })).toEqual({ userId: 'u1', plan: 'pro' });
    expect(toSwitchboardContext({ targetingKey: 'u1', userId: 'u2' })).toEqual({ userId: 'u2' });
  });

  it('resolves every type with variants and OpenFeature reasons; errors give the default', async () => {
    stub.fallback = openStream(stub, { flags: FLAGS, version: 1 });
    await OpenFeature.setContext({ targetingKey: 'alice', country: 'DE' });
    await OpenFeature.setProviderAndWait(provider());
    expect(stub.requests[0]?.body).toEqual({ context: { userId: 'alice', country: 'DE' } });
    const client = OpenFeature.getClient();
    expect(client.getBooleanDetails('checkout', false)).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
    });
    expect(client.getStringDetails('banner', 'red')).toMatchObject({ value: 'blue', reason: 'DEFAULT' });
    expect(client.getNumberDetails('limit', 0)).toMatchObject({ value: 25, reason: 'SPLIT' });
    expect(client.getObjectDetails('layout', {})).toMatchObject({ value: { columns: 3 }, reason: 'KILLED' });
    expect(client.getStringDetails('checkout', 'x')).toMatchObject({
      value: 'x',
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
    expect(client.getBooleanDetails('missing', true)).toMatchObject({
      value: true,
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
    expect(client.getBooleanDetails('rollout', true)).toMatchObject({
      value: true,
      errorCode: ErrorCode.TARGETING_KEY_MISSING,
    });
  });

  it('emits ConfigurationChanged with the changed keys when the stream patches', async () => {
    stub.fallback = openStream(stub, { flags: FLAGS, version: 1 });
    await OpenFeature.setContext({ targetingKey: 'alice' });
    await OpenFeature.setProviderAndWait(provider());
    const changed = new Promise<string[] | undefined>((resolve) =>
      OpenFeature.getClient().addHandler(ProviderEvents.ConfigurationChanged, (details) =>
        resolve(details?.flagsChanged),
      ),
    );
    stub.streams[0]?.patch({ checkout: { value: false, variant: 'off', reason: 'KILLED' } }, 2);
    expect(await changed).toEqual(['checkout']);
    expect(OpenFeature.getClient().getBooleanValue('checkout', true)).toBe(false);
  });

  it('re-evaluates on setContext (one new stream for the new context)', async () => {
    stub.fallback = openStream(stub, { flags: FLAGS, version: 1 });
    await OpenFeature.setContext({ targetingKey: 'alice' });
    await OpenFeature.setProviderAndWait(provider());
    stub.fallback = openStream(stub, {
      flags: { ...FLAGS, checkout: { value: false, variant: 'off', reason: 'FALLTHROUGH' } },
      version: 1,
    });
    await OpenFeature.setContext({ targetingKey: 'bob' });
    expect(stub.requests.at(-1)?.body).toEqual({ context: { userId: 'bob' } });
    expect(OpenFeature.getClient().getBooleanValue('checkout', true)).toBe(false);
  });

  it('a refused key fails initialisation as fatal', async () => {
    stub.fallback = respondWith(401, { error: 'unauthorized' });
    await expect(OpenFeature.setProviderAndWait(provider())).rejects.toThrow();
    expect(OpenFeature.getClient().providerStatus).toBe(ClientProviderStatus.FATAL);
  });
});
