import { describe, expect, it } from 'vitest';
import type { Context, FlagConfig } from '@switchboard/core';
import { booleanFlag, compile, percentageFlag } from './helpers';

describe('evaluate', () => {
  it('returns one shared, frozen result object for a constant outcome (no allocation per call)', () => {
    const ruleset = compile([booleanFlag('plain', { fallthrough: { variant: 'on' } })]);
    const first = ruleset.evaluate('plain', { userId: 'a' });
    expect(ruleset.evaluate('plain', { userId: 'b' })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('shares one result per variant of a rollout', () => {
    const ruleset = compile([percentageFlag('half', 50_000)]);
    const results = new Set(
      Array.from({ length: 200 }, (_, i) => ruleset.evaluate('half', { userId: `u${i}` })),
    );
    expect(results.size).toBe(2);
  });

  it('isolates JSON variant values from the ruleset they were compiled from and from callers', () => {
    const config = booleanFlag('json', {
      variants: { on: { limits: [1, 2] }, off: {} },
      fallthrough: { variant: 'on' },
    });
    const ruleset = compile([config]);
    (config.variants.on as { limits: number[] }).limits.push(3);
    const value = ruleset.evaluate('json', {}).value as { limits: number[] };
    expect(value).toEqual({ limits: [1, 2] });
    expect(() => value.limits.push(4)).toThrow(TypeError);
  });

  it('treats a context that is not an object as empty', () => {
    const ruleset = compile([percentageFlag('rollout', 100_000)]);
    for (const context of [null, undefined, 'alice', 42]) {
      expect(ruleset.evaluate('rollout', context as unknown as Context)).toMatchObject({
        errorCode: 'TARGETING_KEY_MISSING',
      });
    }
  });

  it('answers GENERAL for a context whose attribute getter throws', () => {
    const ruleset = compile([percentageFlag('rollout', 100_000)]);
    const hostile = Object.defineProperty({}, 'userId', {
      get() {
        throw new Error('boom');
      },
    });
    expect(ruleset.evaluate('rollout', hostile)).toEqual({
      value: null,
      reason: 'ERROR',
      errorCode: 'GENERAL',
    });
  });

  it('answers GENERAL for a malformed flag without affecting the others', () => {
    const broken: FlagConfig = booleanFlag('broken', { fallthrough: { variant: 'missing' } });
    const unbalanced = percentageFlag('unbalanced', 10);
    unbalanced.fallthrough = { rollout: { weights: [{ variant: 'on', weight: 10 }] } };
    const ruleset = compile([broken, unbalanced, booleanFlag('fine')]);
    expect(ruleset.evaluate('broken', {})).toEqual({ value: null, reason: 'ERROR', errorCode: 'GENERAL' });
    expect(ruleset.evaluate('unbalanced', { userId: 'a' })).toEqual({
      value: null,
      reason: 'ERROR',
      errorCode: 'GENERAL',
    });
    expect(ruleset.evaluate('fine', {})).toEqual({ value: false, variant: 'off', reason: 'FALLTHROUGH' });
  });

  it('fails a prerequisite cycle that slipped past validation instead of overflowing the stack', () => {
    const a = booleanFlag('a', {
      prerequisites: [{ flag: 'b', variants: ['on'] }],
      fallthrough: { variant: 'on' },
    });
    const b = booleanFlag('b', {
      prerequisites: [{ flag: 'a', variants: ['on'] }],
      fallthrough: { variant: 'on' },
    });
    const ruleset = compile([a, b]);
    expect(ruleset.evaluate('a', {})).toEqual({
      value: false,
      variant: 'off',
      reason: 'PREREQUISITE_FAILED',
    });
  });

  it('reports the kill reason', () => {
    const ruleset = compile([
      booleanFlag('k', { killed: { at: '2025-01-31T12:00:00Z', by: 'ops', reason: 'checkout errors' } }),
    ]);
    expect(ruleset.evaluate('k', {})).toEqual({
      value: false,
      variant: 'off',
      reason: 'KILLED',
      killReason: 'checkout errors',
    });
  });

  it('answers FLAG_NOT_FOUND for unknown keys, including Object.prototype names', () => {
    const ruleset = compile([booleanFlag('known')]);
    for (const key of ['unknown', 'constructor', '__proto__', 'toString', 'Known']) {
      expect(ruleset.evaluate(key, {})).toEqual({
        value: null,
        reason: 'ERROR',
        errorCode: 'FLAG_NOT_FOUND',
      });
      expect(ruleset.has(key)).toBe(false);
    }
  });

  it('evaluateAll, has and keys cover every flag', () => {
    const ruleset = compile([booleanFlag('a', { fallthrough: { variant: 'on' } }), booleanFlag('__proto__')]);
    expect(ruleset.keys().sort()).toEqual(['__proto__', 'a']);
    expect(ruleset.has('a')).toBe(true);
    const all = ruleset.evaluateAll({});
    expect(Object.keys(all).sort()).toEqual(['__proto__', 'a']);
    expect(all.a).toEqual({ value: true, variant: 'on', reason: 'FALLTHROUGH' });
    expect(all['__proto__']).toEqual({ value: false, variant: 'off', reason: 'FALLTHROUGH' });
  });

  it('evaluateEach hands over every flag in keys() order with the results evaluateAll has', () => {
    const ruleset = compile([
      booleanFlag('7', { fallthrough: { variant: 'on' } }),
      percentageFlag('half', 50_000),
      booleanFlag('off', { enabled: false }),
      booleanFlag('pro', {
        rules: [
          { id: 'r', clauses: [{ attribute: 'plan', op: 'eq', values: ['pro'] }], serve: { variant: 'on' } },
        ],
      }),
    ]);
    // A throwing getter fails only the flags that read the context.
    const hostile = Object.defineProperty({ userId: 'u-1' }, 'plan', {
      get: () => {
        throw new Error('boom');
      },
    });
    for (const context of [{ userId: 'u-1', plan: 'pro' }, { plan: 'free' }, hostile]) {
      const visited: Array<[string, unknown]> = [];
      ruleset.evaluateEach(context, (key, result) => visited.push([key, result]));
      const all = ruleset.evaluateAll(context);
      expect(visited.map(([key]) => key)).toEqual(ruleset.keys());
      for (const [key, result] of visited) {
        expect(result).toBe(all[key]);
        expect(result).toBe(ruleset.evaluate(key, context));
      }
    }
    expect(ruleset.evaluate('pro', hostile)).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
    expect(ruleset.evaluate('7', hostile)).toMatchObject({ value: true, reason: 'FALLTHROUGH' });
  });

  it('exposes the environment and version', () => {
    const ruleset = compile([]);
    expect([ruleset.environment, ruleset.version]).toEqual(['test', 1]);
  });
});
