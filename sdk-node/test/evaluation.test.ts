/** Evaluation through the public client API: typed variations, and never throwing on bad input. */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../src';
import type { ClientOptions, Context, SwitchboardClient } from '../src';
import { UNREACHABLE_URL, booleanFlag, ruleset } from './fake-server';

const RULESET = ruleset(7, {
  'bool-on': booleanFlag('bool-on', true),
  'bool-off': booleanFlag('bool-off', false),
  'string-flag': {
    key: 'string-flag',
    version: 1,
    variants: { blue: 'blue', green: 'green' },
    enabled: true,
    offVariant: 'blue',
    fallthrough: { variant: 'green' },
  },
  'number-flag': {
    key: 'number-flag',
    version: 1,
    variants: { small: 10, large: 1000 },
    enabled: true,
    offVariant: 'small',
    fallthrough: { variant: 'large' },
  },
  'json-flag': {
    key: 'json-flag',
    version: 1,
    variants: { config: { retries: 3, hosts: ['a', 'b'] }, none: null },
    enabled: true,
    offVariant: 'none',
    fallthrough: { variant: 'config' },
  },
  'targeted-rollout': {
    key: 'targeted-rollout',
    version: 1,
    variants: { on: true, off: false },
    enabled: true,
    offVariant: 'off',
    targets: [{ values: ['alice'], variant: 'on' }],
    rules: [
      {
        id: 'germany',
        clauses: [{ attribute: 'country', op: 'in', values: ['DE'] }],
        serve: { variant: 'on' },
      },
    ],
    fallthrough: {
      rollout: {
        weights: [
          { variant: 'on', weight: 50_000 },
          { variant: 'off', weight: 50_000 },
        ],
      },
    },
  },
});

const clients: SwitchboardClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function offlineClient(options: Partial<ClientOptions> = {}): SwitchboardClient {
  const client = createClient({
    url: UNREACHABLE_URL,
    sdkKey: 'sb_server_test',
    bootstrap: RULESET,
    metrics: false,
    reconnectBaseMs: 60_000,
    ...options,
  });
  clients.push(client);
  return client;
}

const USER = { userId: 'user-1', country: 'FR' };

describe('typed variations', () => {
  it('answer the served value when its type matches', () => {
    const client = offlineClient();
    expect(client.isEnabled('bool-on', USER)).toBe(true);
    expect(client.isEnabled('bool-off', USER, true)).toBe(false);
    expect(client.stringVariation('string-flag', USER, 'red')).toBe('green');
    expect(client.numberVariation('number-flag', USER, -1)).toBe(1000);
    expect(client.jsonVariation('json-flag', USER, {})).toEqual({ retries: 3, hosts: ['a', 'b'] });
    expect(client.jsonVariation('bool-on', USER, null)).toBe(true);
  });

  it('answer targeting, rule and rollout outcomes with their reasons', () => {
    const client = offlineClient();
    expect(client.evaluate('targeted-rollout', { userId: 'alice' })).toEqual({
      value: true,
      variant: 'on',
      reason: 'TARGET_MATCH',
    });
    expect(client.evaluate('targeted-rollout', { userId: 'zed', country: 'DE' })).toEqual({
      value: true,
      variant: 'on',
      reason: 'RULE_MATCH',
      ruleId: 'germany',
    });
    const split = client.evaluate('targeted-rollout', USER);
    expect(split.reason).toBe('SPLIT');
    expect(client.isEnabled('targeted-rollout', USER)).toBe(split.value);
  });

  it('answer the default, with TYPE_MISMATCH in the detailed form, when the type does not match', () => {
    const client = offlineClient();
    expect(client.isEnabled('string-flag', USER)).toBe(false);
    expect(client.isEnabled('string-flag', USER, true)).toBe(true);
    expect(client.stringVariation('bool-on', USER, 'fallback')).toBe('fallback');
    expect(client.numberVariation('string-flag', USER, 5)).toBe(5);
    expect(client.evaluateTyped('string-flag', USER, false, 'boolean')).toEqual({
      value: false,
      reason: 'ERROR',
      errorCode: 'TYPE_MISMATCH',
    });
    expect(client.evaluateTyped('number-flag', USER, 0, 'number')).toMatchObject({
      value: 1000,
      variant: 'large',
    });
  });

  it('answers every flag at once with allFlags', () => {
    const client = offlineClient();
    expect(client.allFlags({ userId: 'alice' })).toEqual({
      'bool-on': true,
      'bool-off': false,
      'string-flag': 'green',
      'number-flag': 1000,
      'json-flag': { retries: 3, hosts: ['a', 'b'] },
      'targeted-rollout': true,
    });
  });

  it('answers allFlags with own keys only, flags named like Object.prototype members included', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '0'];
    const flags = Object.fromEntries(names.map((name, i) => [name, booleanFlag(name, i % 2 === 0)]));
    const client = offlineClient({ bootstrap: ruleset(1, flags) });
    const values = client.allFlags({});
    expect(Object.keys(values).sort()).toEqual([...names].sort());
    expect(JSON.parse(JSON.stringify(values))).toEqual(
      JSON.parse('{"__proto__":true,"constructor":false,"toString":true,"hasOwnProperty":false,"0":true}'),
    );
    expect('valueOf' in values).toBe(false);
    expect(Object.getPrototypeOf(values)).not.toBe(Object.prototype);
    // Each call answers a new object: changing one changes no other.
    values['toString'] = 'changed';
    expect(client.allFlags({})['toString']).toBe(true);
  });

  it('returns shared frozen results that callers cannot corrupt', () => {
    const client = offlineClient();
    const result = client.evaluate('json-flag', USER);
    expect(Object.isFrozen(result)).toBe(true);
    expect(() => ((result.value as { retries: number }).retries = 9)).toThrow(TypeError);
    expect(client.jsonVariation('json-flag', USER, {})).toEqual({ retries: 3, hosts: ['a', 'b'] });
  });
});

describe('evaluation never throws', () => {
  const hostile = new Proxy(
    {},
    {
      get() {
        throw new Error('hostile getter');
      },
    },
  );
  const badContexts: Array<[string, unknown]> = [
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a string', 'user-1'],
    ['an array', ['user-1']],
    ['a throwing proxy', hostile],
  ];

  it.each(badContexts)('with %s as context', (_name, context) => {
    const client = offlineClient();
    const ctx = context as Context;
    for (const key of Object.keys(RULESET.flags)) {
      expect(() => client.evaluate(key, ctx)).not.toThrow();
      expect(typeof client.isEnabled(key, ctx)).toBe('boolean');
      expect(() => client.allFlags(ctx)).not.toThrow();
    }
    // A flag that needs no attribute still serves its value; a rollout needing userId falls back.
    expect(client.isEnabled('bool-on', ctx)).toBe(true);
    expect(client.isEnabled('targeted-rollout', ctx, true)).toBe(true);
    expect(client.evaluate('targeted-rollout', ctx).reason).toBe('ERROR');
  });

  it.each([
    ['an unknown key', 'no-such-flag'],
    ['an empty key', ''],
    ['a number as key', 42],
    ['undefined as key', undefined],
    ['"__proto__" as key', '__proto__'],
  ])('with %s', (_name, key) => {
    const client = offlineClient();
    const flag = key as string;
    expect(client.evaluate(flag, USER)).toEqual({
      value: null,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(client.isEnabled(flag, USER)).toBe(false);
    expect(client.isEnabled(flag, USER, true)).toBe(true);
    expect(client.stringVariation(flag, USER, 'd')).toBe('d');
    expect(client.numberVariation(flag, USER, 3)).toBe(3);
    expect(client.jsonVariation(flag, USER, { d: 1 })).toEqual({ d: 1 });
  });

  it('before any ruleset: defaults, reason ERROR, PROVIDER_NOT_READY', () => {
    const client = offlineClient({ bootstrap: undefined });
    expect(client.status.state).toBe('initializing');
    expect(client.evaluate('bool-on', USER)).toEqual({
      value: null,
      reason: 'ERROR',
      errorCode: 'PROVIDER_NOT_READY',
    });
    expect(client.isEnabled('bool-on', USER)).toBe(false);
    expect(client.isEnabled('bool-on', USER, true)).toBe(true);
    expect(client.stringVariation('string-flag', USER, 'd')).toBe('d');
    expect(client.evaluateTyped('bool-on', USER, true, 'boolean')).toEqual({
      value: true,
      reason: 'ERROR',
      errorCode: 'PROVIDER_NOT_READY',
    });
    expect(client.allFlags(USER)).toEqual({});
  });

  it('after close: still answers from the last ruleset', async () => {
    const client = offlineClient();
    await client.close();
    expect(client.status.state).toBe('closed');
    expect(client.isEnabled('bool-on', USER)).toBe(true);
  });
});
