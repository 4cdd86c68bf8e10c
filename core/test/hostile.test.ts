/**
 * Evaluation under hostile contexts and rules: every evaluation answers (never throws), in bounded
 * time, reports problems as ERROR reasons, and leaves Object.prototype untouched.
 */
import { performance } from 'node:perf_hooks';
import {
  buildRuleset,
  compileRuleset,
  EVALUATION_REASONS,
  validateFlag,
  validateSegment,
} from '@switchboard/core';
import type { CompiledRuleset, Context, FlagDocument, SegmentDocument } from '@switchboard/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  hostileContexts,
  hostileFlag,
  hostileSegment,
  inProcessContexts,
  PROTO_TARGET,
} from './hostile-inputs';

const segment: SegmentDocument = { ...hostileSegment(), version: 1 };
const flag: FlagDocument = { ...hostileFlag(), version: 1 };
// A flag and variant named `__proto__` exist only as own keys, as JSON.parse makes them.
const protoFlag = JSON.parse(
  JSON.stringify({ ...hostileFlag('__proto__'), version: 1 }).replace(
    '"variants":{',
    '"variants":{"__proto__":"proto-variant",',
  ),
) as FlagDocument;
const flags = [flag, protoFlag];

function compile(): CompiledRuleset {
  return compileRuleset(buildRuleset('production', 1, flags, [segment]));
}

/** Worst single-evaluation time (ms) over `repeat` rounds of every context. */
function worstTime(ruleset: CompiledRuleset, contexts: unknown[], keys: string[], repeat: number): number {
  let worst = 0;
  for (let round = 0; round < repeat; round++) {
    for (const context of contexts) {
      for (const key of keys) {
        const started = performance.now();
        ruleset.evaluate(key, context as Context);
        worst = Math.max(worst, performance.now() - started);
      }
    }
  }
  return worst;
}

afterAll(() => {
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('hostile rules', () => {
  it('are valid documents: the schema and validation accept them', () => {
    const references = {
      segments: new Set([segment.key]),
      flags: new Map(flags.map((doc) => [doc.key, doc])),
    };
    expect(validateSegment(segment)).toEqual([]);
    for (const doc of flags) expect(validateFlag(doc, references)).toEqual([]);
  });

  it('still serve the right variants: the last of 10,000 values, a 10,000-id segment, an own __proto__ attribute', () => {
    const ruleset = compile();
    expect(ruleset.evaluate('hostile', { userId: 'member-9999' })).toMatchObject({
      reason: 'RULE_MATCH',
      ruleId: 'many-values',
    });
    expect(ruleset.evaluate('hostile', { country: 'MEMBER-9999' })).toMatchObject({
      ruleId: 'many-values-folded',
    });
    expect(
      ruleset.evaluate('hostile', { country: 'NL', userId: 'nobody', constructor: 'segment-member' }),
    ).toMatchObject({ ruleId: 'segment' });
    const [, target] = hostileContexts().find(([name]) => name === PROTO_TARGET)!;
    expect(ruleset.evaluate('hostile', target)).toMatchObject({
      reason: 'TARGET_MATCH',
      variant: 'constructor',
      value: 'constructor-variant',
    });
    // Inherited names are not attributes: a plain context has no `constructor` or `__proto__` value.
    expect(ruleset.evaluate('hostile', { userId: 'u-1' }).ruleId).toBeUndefined();
    expect(ruleset.evaluate('__proto__', { userId: 'member-1' })).toMatchObject({
      reason: 'RULE_MATCH',
      value: true,
    });
  });

  it('leave keys of Object.prototype unknown flags', () => {
    const ruleset = compile();
    for (const key of ['constructor', 'toString', 'hasOwnProperty', 'prototype']) {
      expect(ruleset.evaluate(key, { userId: 'u-1' })).toMatchObject({
        reason: 'ERROR',
        errorCode: 'FLAG_NOT_FOUND',
      });
    }
  });
});

describe('hostile contexts', () => {
  const contexts = [...hostileContexts(), ...inProcessContexts()];

  it.each(contexts)(
    '%s: evaluation answers with a known reason, an ERROR naming any problem',
    (_, context) => {
      const ruleset = compile();
      for (const doc of flags) {
        const result = ruleset.evaluate(doc.key, context as Context);
        expect(EVALUATION_REASONS).toContain(result.reason);
        if (result.reason === 'ERROR') expect(result.errorCode).toEqual(expect.any(String));
        else expect(Object.prototype.hasOwnProperty.call(doc.variants, result.variant!)).toBe(true);
      }
      expect(() => ruleset.evaluateAll(context as Context)).not.toThrow();
    },
  );

  it('are evaluated in bounded time: the worst of many evaluations stays far from a backtracking blow-up', () => {
    const ruleset = compile();
    const keys = flags.map((doc) => doc.key);
    // Same machine, same moment: ordinary contexts give the scale of scheduling and GC noise.
    const ordinary = [{ userId: 'u-1', email: 'a@example.com', country: 'DE', age: 30, appVersion: '2.1.0' }];
    worstTime(ruleset, ordinary, keys, 100); // warm-up: compilation by the JIT is not what is measured
    const baseline = worstTime(ruleset, ordinary, keys, 500);
    const hostile = worstTime(
      ruleset,
      contexts.map(([, context]) => context),
      keys,
      5,
    );
    // A correctness bound, not a performance target: exponential regex backtracking or quadratic list
    // scans over these inputs take seconds.
    const bound = Math.max(50, 10 * baseline);
    console.log(
      `hostile evaluation: worst ${hostile.toFixed(2)} ms, ordinary worst ${baseline.toFixed(3)} ms`,
    );
    expect(hostile).toBeLessThan(bound);
  });

  it('leave Object.prototype untouched', () => {
    const ruleset = compile();
    for (const [, context] of contexts) ruleset.evaluateAll(context as Context);
    expect(Object.getOwnPropertyNames(Object.prototype).includes('polluted')).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });
});
