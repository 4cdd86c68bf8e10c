import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRuleset, compileRuleset, projectFlag } from '@switchboard/core';
import type { CompiledRuleset, FlagConfig, SegmentDocument } from '@switchboard/core';
import {
  context,
  ENVIRONMENT,
  flagDocuments,
  SEGMENT_KEYS,
  segmentDocument,
  segmentDocuments,
} from './arbitraries';
import { booleanFlag, compile } from './helpers';

type Change =
  | { kind: 'flag'; key: string; value: FlagConfig | null }
  | { kind: 'segment'; key: string; value: SegmentDocument | null };

const flagChanges: fc.Arbitrary<Change[]> = flagDocuments(6).map((docs) =>
  docs.map((doc) => ({ kind: 'flag', key: doc.key, value: projectFlag(doc, ENVIRONMENT) ?? null })),
);
const deletions: fc.Arbitrary<Change[]> = fc.array(
  fc.oneof(
    fc.constantFrom('f0', 'f1', 'f2', 'f5').map((key): Change => ({ kind: 'flag', key, value: null })),
    fc.constantFrom(...SEGMENT_KEYS).map((key): Change => ({ kind: 'segment', key, value: null })),
  ),
  { maxLength: 3 },
);
const segmentChanges: fc.Arbitrary<Change[]> = fc.array(
  fc
    .constantFrom(...SEGMENT_KEYS)
    .chain((key) => segmentDocument(key).map((value): Change => ({ kind: 'segment', key, value }))),
  { maxLength: 3 },
);
const changes = fc
  .tuple(flagChanges, deletions, segmentChanges)
  .chain((lists) => fc.shuffledSubarray(lists.flat(), { minLength: lists.flat().length }));

/** The ruleset's plain form after `changes`, as a server would send it in a `put`. */
function applyToPlain(initial: ReturnType<typeof buildRuleset>, list: Change[]) {
  const flags = { ...initial.flags };
  const segments = { ...initial.segments };
  for (const change of list) {
    const table: Record<string, unknown> = change.kind === 'flag' ? flags : segments;
    if (change.value === null) delete table[change.key];
    else table[change.key] = change.value;
  }
  return { ...initial, flags, segments };
}

const evaluateAll = (ruleset: CompiledRuleset, ctx: Record<string, unknown>) => ({
  ...ruleset.evaluateAll(ctx),
});

describe('withChange', () => {
  it('gives the same results as compiling the final ruleset from scratch', () => {
    fc.assert(
      fc.property(
        flagDocuments(),
        segmentDocuments,
        changes,
        fc.array(context, { minLength: 1, maxLength: 4 }),
        (docs, segments, list, contexts) => {
          const initial = buildRuleset(ENVIRONMENT, 1, docs, segments);
          let incremental = compileRuleset(initial);
          // Records made along the way: a change that keeps the keys hands its record builder on.
          incremental.evaluateAll({});
          list.forEach((change, i) => {
            incremental = incremental.withChange(change, 2 + i);
            incremental.evaluateAll({});
          });
          const fromScratch = compileRuleset(applyToPlain(initial, list));
          expect(incremental.keys().sort()).toEqual(fromScratch.keys().sort());
          expect(incremental.size).toBe(fromScratch.size);
          expect(Object.keys(incremental.evaluateAll({})).sort()).toEqual(fromScratch.keys().sort());
          expect(incremental.version).toBe(1 + list.length);
          for (const ctx of contexts)
            expect(evaluateAll(incremental, ctx)).toEqual(evaluateAll(fromScratch, ctx));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps unchanged flags compiled (same result objects) and recompiles flags using a changed segment', () => {
    const usesSegment = booleanFlag('uses-segment', {
      rules: [{ id: 'beta', clauses: [{ segment: 'beta' }], serve: { variant: 'on' } }],
    });
    const untouched = booleanFlag('untouched', { fallthrough: { variant: 'on' } });
    const before = compile([usesSegment, untouched], [{ key: 'beta', included: ['alice'], version: 1 }]);
    const after = before.withChange(
      { kind: 'segment', key: 'beta', value: { key: 'beta', included: ['bob'], version: 2 } },
      9,
    );

    expect(after.evaluate('untouched', {})).toBe(before.evaluate('untouched', {}));
    expect(before.evaluate('uses-segment', { userId: 'bob' }).variant).toBe('off');
    expect(after.evaluate('uses-segment', { userId: 'bob' }).variant).toBe('on');
    expect(after.evaluate('uses-segment', { userId: 'alice' }).variant).toBe('off');
    expect(after.version).toBe(9);
  });

  it('leaves the original ruleset unchanged', () => {
    const before = compile([booleanFlag('a')]);
    const after = before.withChange({ kind: 'flag', key: 'a', value: null }, 2);
    expect(before.has('a')).toBe(true);
    expect(after.has('a')).toBe(false);
    expect(after.evaluate('a', {})).toEqual({ value: null, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
  });

  it('keeps keys() in the order compiling the changed plain ruleset gives, and each flag under its key', () => {
    const on = { fallthrough: { variant: 'on' } } as const;
    let rules = compile([booleanFlag('b'), booleanFlag('a'), booleanFlag('c')]);
    rules = rules.withChange({ kind: 'flag', key: '7', value: booleanFlag('7', on) }, 2);
    rules = rules.withChange({ kind: 'flag', key: 'a', value: booleanFlag('a', on) }, 3);
    rules = rules.withChange({ kind: 'flag', key: 'b', value: null }, 4);
    rules = rules.withChange({ kind: 'flag', key: 'z', value: booleanFlag('z', on) }, 5);
    // Integer-like keys come first in a JavaScript object, as in the plain ruleset.
    expect(rules.keys()).toEqual(['7', 'a', 'c', 'z']);
    expect(Object.keys(rules.evaluateAll({}))).toEqual(['7', 'a', 'c', 'z']);
    expect(['7', 'a', 'c', 'z'].map((key) => rules.evaluate(key, {}).value)).toEqual([
      true,
      true,
      false,
      true,
    ]);
    expect(rules.has('b')).toBe(false);
  });

  it('lets a prerequisite change reach the flags that depend on it', () => {
    const parent = booleanFlag('parent', { fallthrough: { variant: 'on' } });
    const child = booleanFlag('child', {
      prerequisites: [{ flag: 'parent', variants: ['on'] }],
      fallthrough: { variant: 'on' },
    });
    const before = compile([parent, child]);
    const after = before.withChange({ kind: 'flag', key: 'parent', value: { ...parent, enabled: false } }, 2);
    expect(before.evaluate('child', {}).reason).toBe('FALLTHROUGH');
    expect(after.evaluate('child', {}).reason).toBe('PREREQUISITE_FAILED');
  });
});
