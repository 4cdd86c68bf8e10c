import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, jsonEqual } from '../src/audit/canonical';

/** A JSON-like value, with undefined members and values that JSON writes alike (NaN, -0). */
const value = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, undefined, true, false, 0, -0, 1, NaN, '', 'a', 'b'),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'constructor'), tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** The same value with object keys in another order, so that equal pairs come up often. */
function reordered(input: unknown): unknown {
  if (input === null || typeof input !== 'object') return input;
  if (Array.isArray(input)) return input.map(reordered);
  return Object.fromEntries(
    Object.entries(input)
      .reverse()
      .map(([key, member]) => [key, reordered(member)]),
  );
}

describe('jsonEqual', () => {
  it('answers exactly whether the canonical JSON of both values is the same', () => {
    fc.assert(
      fc.property(value, value, fc.boolean(), (a, other, same) => {
        const b = same ? reordered(a) : other;
        expect(jsonEqual(a, b)).toBe(canonicalJson(a) === canonicalJson(b));
      }),
      { numRuns: 2_000 },
    );
  });

  it('tells a member that is null from one that is missing, undefined or inherited', () => {
    expect(jsonEqual({ a: null }, {})).toBe(false);
    expect(jsonEqual({ a: null }, { a: undefined })).toBe(false);
    expect(jsonEqual({ a: null }, { a: undefined, b: 1 })).toBe(false);
    expect(jsonEqual({ constructor: null }, { b: 1 })).toBe(false);
    expect(jsonEqual({ a: undefined }, {})).toBe(true);
    expect(jsonEqual([undefined], [null])).toBe(true);
    expect(jsonEqual({}, [])).toBe(false);
    expect(jsonEqual({ constructor: 1 }, {})).toBe(false);
  });
});
