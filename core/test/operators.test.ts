import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttributeClause, Context, Operator } from '@switchboard/core';
import { compileAttributeClause } from '../src/operators';
import { booleanFlag, compile } from './helpers';

const matches = (clause: AttributeClause, context: Context): boolean =>
  compileAttributeClause(clause)(context);

const OPERATORS: Operator[] = [
  'in',
  'notIn',
  'eq',
  'neq',
  'contains',
  'startsWith',
  'endsWith',
  'matches',
  'lt',
  'lte',
  'gt',
  'gte',
  'before',
  'after',
  'semverEq',
  'semverLt',
  'semverLte',
  'semverGt',
  'semverGte',
  'exists',
];
const ORDERING: Operator[] = [
  'lt',
  'lte',
  'gt',
  'gte',
  'before',
  'after',
  'semverEq',
  'semverLt',
  'semverLte',
  'semverGt',
  'semverGte',
];

const semver = fc
  .tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.constantFrom('', '-rc.1', '-alpha', '-1'))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre}`);
const isoDate = fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString());
/** Values for an operator's clause, and plausible (sometimes mistyped) context values for it. */
function valuesFor(op: Operator): fc.Arbitrary<string | number | boolean> {
  switch (op) {
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return fc.integer({ min: -5, max: 5 });
    case 'before':
    case 'after':
      return fc.oneof(isoDate, fc.integer({ min: 0, max: 4_102_444_800_000 }));
    case 'matches':
      return fc.constantFrom('^a', 'b$', 'a|c', '[0-9]+', '^$');
    case 'semverEq':
    case 'semverLt':
    case 'semverLte':
    case 'semverGt':
    case 'semverGte':
      return semver;
    default:
      return fc.oneof(fc.constantFrom('a', 'b', 'ab', ''), fc.integer({ min: -2, max: 2 }), fc.boolean());
  }
}
const contextValue = (op: Operator): fc.Arbitrary<unknown> =>
  fc.oneof(valuesFor(op), fc.string({ maxLength: 3 }), fc.constantFrom(null, undefined, {}, 1.5, true));

describe('attribute clauses', () => {
  it('negate inverts every operator, missing attributes included', () => {
    for (const op of OPERATORS) {
      fc.assert(
        fc.property(
          fc.array(valuesFor(op), { minLength: 1, maxLength: 3 }),
          contextValue(op),
          (values, value) => {
            const clause: AttributeClause = { attribute: 'x', op, values };
            const context = value === undefined ? {} : { x: value };
            expect(matches({ ...clause, negate: true }, context)).toBe(!matches(clause, context));
          },
        ),
        { numRuns: 50 },
      );
    }
  });

  it('several values: any matches (notIn and neq: none matches)', () => {
    for (const op of OPERATORS.filter((o) => o !== 'exists')) {
      fc.assert(
        fc.property(valuesFor(op), valuesFor(op), contextValue(op), (first, second, value) => {
          const one = (values: Array<string | number | boolean>) =>
            matches({ attribute: 'x', op, values }, { x: value });
          const both = one([first, second]);
          if (op === 'notIn' || op === 'neq') expect(both).toBe(one([first]) && one([second]));
          else expect(both).toBe(one([first]) || one([second]));
        }),
        { numRuns: 50 },
      );
    }
  });

  it('array attributes: any element matches (notIn and neq: no element equals a value)', () => {
    for (const op of OPERATORS.filter((o) => o !== 'exists')) {
      fc.assert(
        fc.property(
          fc.array(valuesFor(op), { minLength: 1, maxLength: 2 }),
          valuesFor(op),
          valuesFor(op),
          (values, a, b) => {
            const on = (x: unknown) => matches({ attribute: 'x', op, values }, { x });
            if (op === 'notIn' || op === 'neq') expect(on([a, b])).toBe(on(a) && on(b));
            else expect(on([a, b])).toBe(on(a) || on(b));
          },
        ),
        { numRuns: 50 },
      );
    }
  });

  it('a missing or null attribute never matches (before negate)', () => {
    for (const op of OPERATORS) {
      for (const context of [{}, { x: null }, { x: undefined }]) {
        expect(matches({ attribute: 'x', op, values: ['a'] }, context)).toBe(false);
        expect(matches({ attribute: 'x', op, values: ['a'], negate: true }, context)).toBe(true);
      }
    }
  });

  it('ordering operators compare with the extreme value: lt 18 or 21 is lt 21', () => {
    for (const op of ORDERING.filter((o) => o.startsWith('l') || o.startsWith('g'))) {
      for (const x of [17, 18, 19, 20, 21, 22]) {
        expect(matches({ attribute: 'x', op, values: [18, 21] }, { x })).toBe(
          matches({ attribute: 'x', op, values: [18] }, { x }) ||
            matches({ attribute: 'x', op, values: [21] }, { x }),
        );
      }
    }
  });

  it('numbers: context numeric strings are not coerced, clause numeric strings are', () => {
    expect(matches({ attribute: 'n', op: 'gt', values: [1] }, { n: '2' })).toBe(false);
    expect(matches({ attribute: 'n', op: 'gt', values: ['1'] }, { n: 2 })).toBe(true);
    expect(matches({ attribute: 'n', op: 'lt', values: [1] }, { n: Number.NaN })).toBe(false);
  });

  it('dates accept ISO-8601 strings and epoch milliseconds on both sides', () => {
    const at = Date.UTC(2025, 0, 31, 12);
    expect(matches({ attribute: 't', op: 'after', values: ['2025-01-31T11:59:59.999Z'] }, { t: at })).toBe(
      true,
    );
    expect(matches({ attribute: 't', op: 'before', values: [at] }, { t: '2025-01-31T13:00:00+02:00' })).toBe(
      true,
    );
    expect(matches({ attribute: 't', op: 'before', values: [at] }, { t: '2025-02-30' })).toBe(false);
  });

  it('in is membership for short lists (scanned) and long ones (hashed) alike', () => {
    const item = fc.oneof(
      fc.constantFrom('a', 'b', 'A', '', '0'),
      fc.constantFrom(0, -0, 1, 2),
      fc.boolean(),
    );
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 12 }), item, (values, value) => {
        expect(matches({ attribute: 'x', op: 'in', values }, { x: value })).toBe(values.includes(value));
      }),
      { numRuns: 300 },
    );
  });

  it('in with many values', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
    expect(matches({ attribute: 'id', op: 'in', values }, { id: 'user-9999' })).toBe(true);
    expect(matches({ attribute: 'id', op: 'in', values }, { id: 'user-10000' })).toBe(false);
  });

  it('matches tests only the first 1,000 characters, and $ needs the real end', () => {
    const long = 'x'.repeat(1_000) + 'needle';
    expect(matches({ attribute: 's', op: 'matches', values: ['needle'] }, { s: long })).toBe(false);
    expect(matches({ attribute: 's', op: 'matches', values: ['x$'] }, { s: 'x'.repeat(1_001) })).toBe(false);
    expect(matches({ attribute: 's', op: 'matches', values: ['x$'] }, { s: 'x'.repeat(1_000) })).toBe(true);
  });

  it('patterns that backtrack catastrophically elsewhere answer without hanging', () => {
    const hostile = 'a'.repeat(999) + '!';
    expect(matches({ attribute: 's', op: 'matches', values: ['^(a+)+$'] }, { s: hostile })).toBe(false);
    expect(matches({ attribute: 's', op: 'matches', values: ['(a|aa)*b'] }, { s: hostile })).toBe(false);
    expect(matches({ attribute: 's', op: 'matches', values: ['.*.*.*.*x'] }, { s: hostile })).toBe(false);
  });

  it('attributes named like Object.prototype members are read only as own properties', () => {
    expect(matches({ attribute: 'constructor', op: 'exists', values: [] }, {})).toBe(false);
    expect(matches({ attribute: '__proto__', op: 'exists', values: [] }, {})).toBe(false);
    expect(matches({ attribute: 'constructor', op: 'eq', values: ['x'] }, { constructor: 'x' })).toBe(true);
  });

  it('unparseable clause values never match (validation rejects them; a stale ruleset must not throw)', () => {
    expect(matches({ attribute: 'v', op: 'semverGt', values: ['not-semver'] }, { v: '1.0.0' })).toBe(false);
    expect(matches({ attribute: 'v', op: 'matches', values: ['(unclosed'] }, { v: '(unclosed' })).toBe(false);
    expect(matches({ attribute: 'v', op: 'lt', values: ['abc'] }, { v: 1 })).toBe(false);
  });

  it('works inside a flag rule', () => {
    const ruleset = compile([
      booleanFlag('f', {
        rules: [
          {
            id: 'adults',
            clauses: [{ attribute: 'age', op: 'gte', values: [18] }],
            serve: { variant: 'on' },
          },
        ],
      }),
    ]);
    expect(ruleset.evaluate('f', { age: 30 })).toEqual({
      value: true,
      variant: 'on',
      reason: 'RULE_MATCH',
      ruleId: 'adults',
    });
    expect(ruleset.evaluate('f', { age: 3 })).toEqual({
      value: false,
      variant: 'off',
      reason: 'FALLTHROUGH',
    });
  });
});
