/** The OpenFeature provider, driven through the real @openfeature/server-sdk. */
import { ErrorCode, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/server-sdk';
import type { EventDetails } from '@openfeature/server-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../src';
import { SwitchboardProvider } from '../src/openfeature';
import { FakeSdkServer, UNREACHABLE_URL, booleanFlag, ruleset } from './fake-server';

const RULESET = ruleset(4, {
  beta: booleanFlag('beta', false, {
    targets: [{ values: ['alice'], variant: 'on' }],
    rules: [
      {
        id: 'pro-plan',
        clauses: [{ attribute: 'plan', op: 'eq', values: ['pro'] }],
        serve: { variant: 'on' },
      },
    ],
  }),
  theme: {
    key: 'theme',
    version: 1,
    variants: { light: 'light', dark: 'dark' },
    enabled: true,
    offVariant: 'light',
    fallthrough: { variant: 'dark' },
  },
  limit: {
    key: 'limit',
    version: 1,
    variants: { low: 5, high: 50 },
    enabled: true,
    offVariant: 'low',
    fallthrough: { variant: 'high' },
  },
  layout: {
    key: 'layout',
    version: 1,
    variants: { grid: { columns: 3 }, none: 'none' },
    enabled: true,
    offVariant: 'none',
    fallthrough: { variant: 'grid' },
  },
  disabled: { ...booleanFlag('disabled', true), enabled: false },
  killed: {
    ...booleanFlag('killed', true),
    killed: { at: '2030-01-01T00:00:00Z', by: 'oncall', reason: 'outage' },
  },
});

let domain = 0;
afterEach(async () => {
  await OpenFeature.close();
});

async function openFeatureClient(provider: SwitchboardProvider) {
  const name = `switchboard-test-${++domain}`;
  await OpenFeature.setProviderAndWait(name, provider);
  return OpenFeature.getClient(name);
}

const offlineProvider = () =>
  new SwitchboardProvider({
    url: UNREACHABLE_URL,
    sdkKey: 'sb_server_test',
    bootstrap: RULESET,
    metrics: false,
    reconnectBaseMs: 60_000,
  });

describe('SwitchboardProvider resolution', () => {
  it('resolves each type with value, variant, reason and rule metadata', async () => {
    const client = await openFeatureClient(offlineProvider());
    expect(await client.getBooleanDetails('beta', false, { targetingKey: 'bob', plan: 'pro' })).toMatchObject(
      {
        flagKey: 'beta',
        value: true,
        variant: 'on',
        reason: 'TARGETING_MATCH',
        flagMetadata: { ruleId: 'pro-plan' },
      },
    );
    expect(await client.getStringDetails('theme', 'light', {})).toMatchObject({
      value: 'dark',
      variant: 'dark',
      reason: 'DEFAULT',
    });
    expect(await client.getNumberValue('limit', 0, {})).toBe(50);
    expect(await client.getObjectValue('layout', {}, {})).toEqual({ columns: 3 });
    expect(await client.getBooleanDetails('disabled', true, {})).toMatchObject({
      value: false,
      reason: 'DISABLED',
    });
  });

  it('uses the targeting key as userId', async () => {
    const client = await openFeatureClient(offlineProvider());
    expect(await client.getBooleanDetails('beta', false, { targetingKey: 'alice' })).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
    });
    // An explicit userId wins over the targeting key.
    expect(await client.getBooleanValue('beta', true, { targetingKey: 'alice', userId: 'zoe' })).toBe(false);
  });

  it('reports a kill with its reason', async () => {
    const client = await openFeatureClient(offlineProvider());
    expect(await client.getBooleanDetails('killed', true, {})).toMatchObject({
      value: false,
      reason: 'KILLED',
      flagMetadata: { killReason: 'outage' },
    });
  });

  it('answers the default with the error code on type mismatch and unknown flags', async () => {
    const client = await openFeatureClient(offlineProvider());
    expect(await client.getBooleanDetails('theme', true, {})).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
    expect(await client.getObjectDetails('theme', { a: 1 }, {})).toMatchObject({
      value: { a: 1 },
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
    expect(await client.getNumberDetails('nope', 7, {})).toMatchObject({
      value: 7,
      reason: 'ERROR',
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
  });

  it('closes a client it created, but not one it was given', async () => {
    const shared = createClient({ url: UNREACHABLE_URL, sdkKey: 'k', bootstrap: RULESET, metrics: false });
    await openFeatureClient(new SwitchboardProvider(shared));
    const owned = offlineProvider();
    await openFeatureClient(owned);
    await OpenFeature.close();
    expect(shared.status.state).toBe('ready');
    expect(owned.client.status.state).toBe('closed');
    await shared.close();
  });
});

describe('SwitchboardProvider events', () => {
  let server: FakeSdkServer;
  beforeEach(async () => {
    server = new FakeSdkServer();
    server.ruleset = RULESET;
    await server.listen();
  });
  afterEach(() => server.close());

  const provider = (options: { staleAfterMs?: number } = {}) =>
    new SwitchboardProvider({
      url: server.url,
      sdkKey: 'sb_server_test',
      metrics: false,
      reconnectBaseMs: 20,
      reconnectMaxMs: 20,
      ...options,
    });

  function nextProviderEvent(
    client: Awaited<ReturnType<typeof openFeatureClient>>,
    event: ProviderEvents,
  ): Promise<EventDetails> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} within 5 s`)), 5_000);
      const handler = (details?: EventDetails) => {
        clearTimeout(timer);
        client.removeHandler(event, handler);
        resolve(details!);
      };
      client.addHandler(event, handler);
    });
  }

  it('emits PROVIDER_CONFIGURATION_CHANGED with the changed flags', async () => {
    const client = await openFeatureClient(provider());
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    const changed = nextProviderEvent(client, ProviderEvents.ConfigurationChanged);
    server.sendLatest('patch', 5, {
      version: 5,
      kind: 'flag',
      key: 'theme',
      value: { ...RULESET.flags.theme, fallthrough: { variant: 'light' } },
    });
    expect((await changed).flagsChanged).toEqual(['theme']);
    expect(await client.getStringValue('theme', 'x', {})).toBe('light');
  });

  it('emits PROVIDER_STALE when cut off and PROVIDER_READY when back', async () => {
    const client = await openFeatureClient(provider({ staleAfterMs: 40 }));
    server.onStream = (_request, response) => response.writeHead(503).end();
    server.onFlags = (_request, response) => response.writeHead(503).end();
    const stale = nextProviderEvent(client, ProviderEvents.Stale);
    server.dropStreams();
    await stale;
    expect(client.providerStatus).toBe(ProviderStatus.STALE);
    server.onStream = (_request, response) => {
      server.openStream(response);
      server.send(response, 'put', 4, RULESET);
    };
    await nextProviderEvent(client, ProviderEvents.Ready);
    expect(client.providerStatus).toBe(ProviderStatus.READY);
  });

  it('fails initialization for good (FATAL) when the key is refused', async () => {
    server.onStream = (_request, response) => response.writeHead(401).end();
    const name = `switchboard-test-${++domain}`;
    await expect(OpenFeature.setProviderAndWait(name, provider())).rejects.toThrow('401');
    const client = OpenFeature.getClient(name);
    expect(client.providerStatus).toBe(ProviderStatus.FATAL);
    expect(await client.getBooleanDetails('beta', true, {})).toMatchObject({
      value: true,
      errorCode: 'PROVIDER_FATAL',
    });
  });

  it('emits PROVIDER_ERROR when the key is revoked later, and keeps serving the flags it has', async () => {
    const client = await openFeatureClient(provider());
    server.onStream = (_request, response) => response.writeHead(403).end();
    const error = nextProviderEvent(client, ProviderEvents.Error);
    server.dropStreams();
    expect((await error).message).toContain('403');
    expect(client.providerStatus).toBe(ProviderStatus.ERROR);
    expect(await client.getBooleanValue('beta', false, { targetingKey: 'alice' })).toBe(true);
  });
});
