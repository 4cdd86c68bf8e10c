/** unleashCompat: Unleash's context reading, fallbacks and answer shapes over a Switchboard client. */
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, toSwitchboardContext, unleashCompat, unleashShadow } from '@switchboard/sdk-node';
import type { Context, EvaluationResult, ShadowMismatch } from '@switchboard/sdk-node';
import { translateUnleash } from '../server/src/importers/unleash';
import { bootstrappedClient, comparable, compatOver, offlineUnleash } from './unleash-harness';

/** An evaluator that records the context it was given and answers `result`. */
function recording(result: Partial<EvaluationResult>) {
  const seen: Context[] = [];
  return {
    seen,
    evaluate(_key: string, context: Context): EvaluationResult {
      seen.push(context);
      return { reason: 'RULE_MATCH', value: null, ...result } as EvaluationResult;
    },
  };
}

describe('Unleash contexts as Switchboard contexts', () => {
  it('flattens properties, lets top-level fields win, stringifies, and leaves out null and undefined', () => {
    const context = toSwitchboardContext(
      {
        userId: 'u1',
        country: null,
        properties: { country: 'NO', age: 42, beta: true, userId: 'ignored', empty: null, gone: undefined },
        currentTime: '2022-01-29T13:00:00.000Z',
      },
      'host-1',
    );
    expect(context).toEqual({
      userId: 'u1',
      country: 'NO',
      age: '42',
      beta: 'true',
      currentTime: Date.UTC(2022, 0, 29, 13),
      hostname: 'host-1',
    });
  });

  it('reads currentTime as Unleash does: now when absent, NaN when invalid', () => {
    const before = Date.now();
    const now = toSwitchboardContext({}, 'h').currentTime as number;
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    expect(toSwitchboardContext({ currentTime: 'garbage' }, 'h').currentTime).toBeNaN();
    expect(toSwitchboardContext({ currentTime: new Date(5) }, 'h').currentTime).toBe(5);
  });

  it('keeps a hostname the context gives, and reads "__proto__" as a plain field', () => {
    expect(toSwitchboardContext({ properties: { hostname: 'mine' } }, 'machine').hostname).toBe('mine');
    const context = toSwitchboardContext(JSON.parse('{"properties":{"__proto__":"x"}}') as never, 'h');
    expect(Object.getOwnPropertyDescriptor(context, '__proto__')?.value).toBe('x');
  });

  it('fills in the static appName and environment (default "default") unless the call overrides them', () => {
    const evaluator = recording({ value: true });
    const compat = unleashCompat(evaluator, { appName: 'shop', hostname: 'h' });
    compat.isEnabled('f', { userId: 'u' });
    compat.isEnabled('f', { appName: 'other', environment: 'prod' });
    compat.isEnabled('f', { appName: undefined });
    expect(evaluator.seen.map((c) => [c.appName, c.environment])).toEqual([
      ['shop', 'default'],
      ['other', 'prod'],
      [undefined, 'default'],
    ]);
  });
});

describe('isEnabled and getVariant answers', () => {
  const answer = (value: EvaluationResult['value'], extra: Partial<EvaluationResult> = {}) =>
    unleashCompat(recording({ value, variant: 'v', ...extra }), { hostname: 'h' });

  it('is enabled unless the flag serves false', () => {
    expect(answer(false).isEnabled('f')).toBe(false);
    expect(answer(true).isEnabled('f')).toBe(true);
    expect(answer({ name: 'blue' }).isEnabled('f')).toBe(true);
  });

  it('answers the fallback for an unknown flag, calling a fallback function with the merged context', () => {
    const unknown = answer(null, { reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(unknown.isEnabled('f')).toBe(false);
    expect(unknown.isEnabled('f', {}, true)).toBe(true);
    const calls: unknown[] = [];
    expect(
      unknown.isEnabled('f', { userId: 'u' }, (name, context) => {
        calls.push([name, context]);
        return true;
      }),
    ).toBe(true);
    expect(calls).toEqual([['f', { environment: 'default', userId: 'u' }]]);
  });

  it('shapes getVariant as Unleash does, feature_enabled and its deprecated alias included', () => {
    expect(answer(false).getVariant('f')).toEqual({
      name: 'disabled',
      enabled: false,
      feature_enabled: false,
      featureEnabled: false,
    });
    expect(answer(true).getVariant('f')).toEqual({
      name: 'disabled',
      enabled: false,
      feature_enabled: true,
      featureEnabled: true,
    });
    expect(answer({ name: 'blue', payload: { type: 'json', value: '{}' } }).getVariant('f')).toEqual({
      name: 'blue',
      enabled: true,
      payload: { type: 'json', value: '{}' },
      feature_enabled: true,
      featureEnabled: true,
    });
    expect(answer({ name: 'plain' }).getVariant('f')).not.toHaveProperty('payload');
  });

  it('uses the fallback variant where Unleash does', () => {
    const fallback = { name: 'fallback', enabled: true, payload: { type: 'string', value: 'x' } };
    expect(
      answer(null, { reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' }).getVariant('f', {}, fallback),
    ).toEqual({
      ...fallback,
      feature_enabled: false,
      featureEnabled: false,
    });
    expect(answer(true).getVariant('f', {}, fallback)).toEqual({
      ...fallback,
      feature_enabled: true,
      featureEnabled: true,
    });
  });

  it('serves the values of flags made in Switchboard as payloads of their variant', () => {
    expect(answer('red').getVariant('f')).toMatchObject({
      name: 'v',
      payload: { type: 'string', value: 'red' },
    });
    expect(answer(1.5).getVariant('f')).toMatchObject({ payload: { type: 'number', value: '1.5' } });
    expect(answer({ a: [1] }).getVariant('f')).toMatchObject({
      payload: { type: 'json', value: '{"a":[1]}' },
    });
  });

  describe('over a client without a ruleset yet', () => {
    const client = createClient({
      url: 'http://127.0.0.1:9',
      sdkKey: 'sb_server_x',
      metrics: false,
      reconnectBaseMs: 60_000,
    });
    afterAll(() => client.close());

    it('answers the fallbacks, as Unleash does before it is ready', () => {
      const compat = unleashCompat(client);
      expect(compat.isEnabled('f', {}, true)).toBe(true);
      expect(compat.getVariant('f')).toEqual({
        name: 'disabled',
        enabled: false,
        feature_enabled: false,
        featureEnabled: false,
      });
    });
  });
});

describe('unleashShadow: both side by side', () => {
  const features = [
    {
      name: 'exp',
      enabled: true,
      strategies: [
        { name: 'flexibleRollout', parameters: { rollout: '50', stickiness: 'userId', groupId: 'exp' } },
      ],
      variants: [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 1 },
      ],
    },
  ];

  it('answers what Unleash answers and reports every answer Switchboard gives differently', async () => {
    const unleash = await offlineUnleash(features, []);
    const translation = translateUnleash({ features }, { environment: 'production' });
    const client = bootstrappedClient(translation);
    try {
      const mismatches: ShadowMismatch[] = [];
      const agreeing = unleashShadow(unleash, compatOver(client), (m) => mismatches.push(m));
      for (const userId of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']) {
        expect(agreeing.isEnabled('exp', { userId })).toBe(unleash.isEnabled('exp', { userId }));
        expect(comparable(agreeing.getVariant('exp', { userId }))).toEqual(
          comparable(unleash.getVariant('exp', { userId })),
        );
      }
      expect(mismatches).toEqual([]);

      // A Switchboard that always says yes: every "no" of Unleash is reported, and Unleash's answer served.
      const alwaysOn = unleashShadow(
        unleash,
        unleashCompat({ evaluate: () => ({ value: true, variant: 'on', reason: 'FALLTHROUGH' }) }),
        (m) => mismatches.push(m),
      );
      const off = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].filter(
        (userId) => !unleash.isEnabled('exp', { userId }),
      );
      expect(off.length).toBeGreaterThan(0);
      for (const userId of off) expect(alwaysOn.isEnabled('exp', { userId })).toBe(false);
      expect(mismatches.map((m) => [m.call, m.name, m.context?.userId, m.unleash, m.switchboard])).toEqual(
        off.map((userId) => ['isEnabled', 'exp', userId, false, true]),
      );
    } finally {
      unleash.destroy();
      await client.close();
    }
  });
});
