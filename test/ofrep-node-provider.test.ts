/**
 * The official server-side OFREP provider (`@openfeature/ofrep-provider`, unmodified) with the real
 * `@openfeature/server-sdk` against our server: single-flag evaluation and every error code.
 */
import type { FlagDocument } from '@switchboard/core';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { ErrorCode, OpenFeature } from '@openfeature/server-sdk';
import type { Client } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SdkTestServer } from './sdk-harness';

const flags: Array<Omit<FlagDocument, 'version'>> = [
  {
    key: 'checkout',
    variants: { on: true, off: false },
    environments: {
      production: {
        enabled: true,
        offVariant: 'off',
        targets: [{ values: ['alice'], variant: 'on' }],
        fallthrough: { variant: 'off' },
      },
    },
  },
  {
    key: 'banner',
    variants: { green: 'green', hidden: 'hidden' },
    environments: { production: { enabled: true, offVariant: 'hidden', fallthrough: { variant: 'green' } } },
  },
  {
    key: 'page-size',
    variants: { small: 10, large: 50 },
    environments: { production: { enabled: true, offVariant: 'small', fallthrough: { variant: 'large' } } },
  },
  {
    key: 'layout',
    variants: { grid: { columns: 3, dense: true }, list: { columns: 1, dense: false } },
    environments: { production: { enabled: true, offVariant: 'list', fallthrough: { variant: 'grid' } } },
  },
  {
    key: 'rollout',
    variants: { on: true, off: false },
    environments: {
      production: {
        enabled: true,
        offVariant: 'off',
        fallthrough: {
          rollout: {
            weights: [
              { variant: 'on', weight: 50_000 },
              { variant: 'off', weight: 50_000 },
            ],
          },
        },
      },
    },
  },
];

const server = new SdkTestServer({ authFailureLimit: { max: 1_000, windowMs: 60_000 } });
let clientKey: string;
let client: Client;

async function newKey(kind: 'client' | 'server', environment = 'production'): Promise<string> {
  const created = await server.admin('POST', '/api/v1/tokens', {
    name: `ofrep-${Math.random()}`,
    kind,
    environment,
  });
  return created.body.token as string;
}

async function providerClient(
  domain: string,
  options: ConstructorParameters<typeof OFREPProvider>[0],
): Promise<Client> {
  await OpenFeature.setProviderAndWait(domain, new OFREPProvider(options));
  return OpenFeature.getClient(domain);
}

beforeAll(async () => {
  await server.start();
  for (const flag of flags) await server.putFlag(flag);
  clientKey = await newKey('client');
  client = await providerClient('switchboard', {
    baseUrl: server.url,
    headers: [['Authorization', `Bearer ${clientKey}`]],
  });
});

afterAll(async () => {
  await OpenFeature.close();
  await server.dispose();
});

describe('@openfeature/ofrep-provider against Switchboard', () => {
  it('resolves every type with variant and reason; targetingKey targets like userId', async () => {
    expect(await client.getBooleanDetails('checkout', false, { targetingKey: 'alice' })).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
    });
    expect(await client.getBooleanDetails('checkout', true, { targetingKey: 'bob' })).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'DEFAULT',
    });
    expect(await client.getStringValue('banner', 'none', {})).toBe('green');
    expect(await client.getNumberValue('page-size', 0, {})).toBe(50);
    expect(await client.getObjectValue('layout', {}, {})).toEqual({ columns: 3, dense: true });
    expect(await client.getBooleanDetails('rollout', false, { targetingKey: 'user-1' })).toMatchObject({
      reason: 'SPLIT',
    });
  });

  it('sees changes at once (nothing cached between evaluations)', async () => {
    await server.kill('banner', 'provider test');
    expect(await client.getStringDetails('banner', 'none', {})).toMatchObject({
      value: 'hidden',
      reason: 'KILLED',
    });
    await server.admin('POST', '/api/v1/flags/banner/environments/production/unkill', {});
    expect(await client.getStringValue('banner', 'none', {})).toBe('green');
  });

  it('works with a server SDK key too, and with X-API-Key', async () => {
    const viaServerKey = await providerClient('server-key', {
      baseUrl: server.url,
      headers: { Authorization: `Bearer ${await newKey('server')}` },
    });
    expect(await viaServerKey.getStringValue('banner', 'none', {})).toBe('green');
    const viaApiKey = await providerClient('api-key', {
      baseUrl: server.url,
      headers: { 'X-API-Key': clientKey },
    });
    expect(await viaApiKey.getStringValue('banner', 'none', {})).toBe('green');
  });

  describe('error codes', () => {
    it('FLAG_NOT_FOUND', async () => {
      expect(await client.getBooleanDetails('no-such-flag', true, {})).toMatchObject({
        value: true,
        reason: 'ERROR',
        errorCode: ErrorCode.FLAG_NOT_FOUND,
        errorMessage: 'flag "no-such-flag" does not exist in environment "production"',
      });
    });

    it('TARGETING_KEY_MISSING', async () => {
      expect(await client.getBooleanDetails('rollout', true, { country: 'DE' })).toMatchObject({
        value: true,
        reason: 'ERROR',
        errorCode: ErrorCode.TARGETING_KEY_MISSING,
      });
    });

    it('INVALID_CONTEXT', async () => {
      const oversized = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`attribute${i}`, i]));
      expect(await client.getBooleanDetails('checkout', true, oversized)).toMatchObject({
        value: true,
        reason: 'ERROR',
        errorCode: ErrorCode.INVALID_CONTEXT,
      });
    });

    it('PARSE_ERROR (a request body that is not JSON)', async () => {
      const garbling = await providerClient('garbling', {
        baseUrl: server.url,
        headers: [['Authorization', `Bearer ${clientKey}`]],
        fetchImplementation: (input: RequestInfo | URL, init?: RequestInit) =>
          fetch(new Request(input as Request, { body: '{"context": ' }), init),
      });
      expect(await garbling.getBooleanDetails('checkout', true, {})).toMatchObject({
        value: true,
        reason: 'ERROR',
        errorCode: ErrorCode.PARSE_ERROR,
      });
    });

    it('GENERAL (a stored configuration that cannot be evaluated)', async () => {
      const broken: FlagDocument = {
        key: 'broken',
        variants: { on: true },
        environments: {
          development: { enabled: true, offVariant: 'on', fallthrough: { variant: 'missing' } },
        },
        version: 1,
      };
      // Written past the API's validation, as a hand-edited database row would be.
      await server.app!.store.transaction((tx) => tx.putFlag(broken));
      const development = await providerClient('development', {
        baseUrl: server.url,
        headers: [['Authorization', `Bearer ${await newKey('client', 'development')}`]],
      });
      expect(await development.getBooleanDetails('broken', false, {})).toMatchObject({
        value: false,
        reason: 'ERROR',
        errorCode: ErrorCode.GENERAL,
      });
    });

    it('401 and 403 give the default value with an error', async () => {
      const unknownKey = await providerClient('unknown-key', {
        baseUrl: server.url,
        headers: [['Authorization', 'Bearer sb_client_not-a-key']],
      });
      const adminToken = await server.admin('POST', '/api/v1/tokens', {
        name: 'ofrep-viewer',
        kind: 'viewer',
      });
      const wrongKind = await providerClient('wrong-kind', {
        baseUrl: server.url,
        headers: [['Authorization', `Bearer ${adminToken.body.token as string}`]],
      });
      for (const refused of [unknownKey, wrongKind]) {
        expect(await refused.getBooleanDetails('checkout', true, {})).toMatchObject({
          value: true,
          reason: 'ERROR',
          errorCode: ErrorCode.GENERAL,
        });
      }
    });
  });
});

describe('429 with Retry-After', () => {
  it('makes the provider pause until the time the server named', async () => {
    const limited = new SdkTestServer({ authFailureLimit: { max: 2, windowMs: 60_000 } });
    await limited.start();
    try {
      const key = (
        await limited.admin('POST', '/api/v1/tokens', {
          name: 'k',
          kind: 'client',
          environment: 'production',
        })
      ).body.token as string;
      const wrong = await providerClient('limited-wrong', {
        baseUrl: limited.url,
        headers: [['Authorization', 'Bearer sb_client_wrong']],
      });
      await wrong.getBooleanValue('x', false, {});
      await wrong.getBooleanValue('x', false, {});
      const right = await providerClient('limited-right', {
        baseUrl: limited.url,
        headers: [['Authorization', `Bearer ${key}`]],
      });
      expect(await right.getBooleanDetails('checkout', true, {})).toMatchObject({
        value: true,
        errorCode: ErrorCode.GENERAL,
        errorMessage: expect.stringMatching(/rate limit exceeded, try again after/),
      });
      // The provider honours Retry-After: it does not even ask until then.
      expect(await right.getBooleanDetails('checkout', true, {})).toMatchObject({
        errorMessage: expect.stringMatching(/OFREP evaluation paused due to TooManyRequests/),
      });
    } finally {
      await limited.dispose();
    }
  });
});
