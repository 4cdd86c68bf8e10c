import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketOf, validateFlag, validateSegment } from '@switchboard/core';
import type { AttributeClause, Context, FlagDocument, SegmentDocument } from '@switchboard/core';
import { compileAttributeClause } from '../src/operators';
import { booleanFlag, compile, percentageFlag } from './helpers';

const matches = (clause: AttributeClause, context: Context): boolean =>
  compileAttributeClause(clause, 'flag-key')(context);

describe('caseInsensitive', () => {
  it('compares strings lower-cased for equality and substring operators', () => {
    const on = (op: AttributeClause['op'], values: string[], x: unknown) =>
      matches({ attribute: 'x', op, values, caseInsensitive: true }, { x });
    expect(on('in', ['Web-01', 'web-02'], 'WEB-01')).toBe(true);
    expect(on('eq', ['ÉTÉ'], 'été')).toBe(true);
    expect(on('notIn', ['Web-01'], 'web-01')).toBe(false);
    expect(on('contains', ['EMAIL'], 'test@some-email.com')).toBe(true);
    expect(on('startsWith', ['TEST'], 'TEsT@example.com')).toBe(true);
    expect(on('endsWith', ['some-email.com'], 'test@SOME-EMAIL.com')).toBe(true);
    expect(on('matches', ['^abc$'], 'AbC')).toBe(true);
  });

  it('leaves case-sensitive clauses and non-string values as they were', () => {
    expect(
      matches({ attribute: 'x', op: 'endsWith', values: ['some-email.com'] }, { x: 'a@SOME-email.com' }),
    ).toBe(false);
    expect(matches({ attribute: 'x', op: 'in', values: [1, true], caseInsensitive: true }, { x: 1 })).toBe(
      true,
    );
    expect(matches({ attribute: 'x', op: 'in', values: ['1'], caseInsensitive: true }, { x: 1 })).toBe(false);
  });
});

describe('coerce', () => {
  it('converts string context values with Number() for numeric comparisons', () => {
    const cmp = (op: AttributeClause['op'], value: number, x: unknown) =>
      matches({ attribute: 'x', op, values: [value], coerce: true }, { x });
    expect(cmp('eq', 12, '12.0')).toBe(true);
    expect(cmp('eq', 12, ' 12 ')).toBe(true);
    expect(cmp('eq', 16, '0x10')).toBe(true);
    expect(cmp('eq', 0, '')).toBe(true); // Number('') is 0
    expect(cmp('gt', 12, '13')).toBe(true);
    expect(cmp('lte', 12, '12')).toBe(true);
    expect(cmp('lt', 12, 'twelve')).toBe(false);
    expect(cmp('gt', 12, 13)).toBe(true);
    expect(cmp('gt', 12, true)).toBe(false);
    expect(matches({ attribute: 'x', op: 'in', values: [1, 2], coerce: true }, { x: '2' })).toBe(true);
    expect(matches({ attribute: 'x', op: 'neq', values: [12], coerce: true }, { x: '12' })).toBe(false);
    // Without coerce, numeric strings stay strings.
    expect(matches({ attribute: 'x', op: 'gt', values: [12] }, { x: '13' })).toBe(false);
  });

  it('trims string versions for semver operators', () => {
    const clause: AttributeClause = { attribute: 'v', op: 'semverGte', values: ['1.2.3'], coerce: true };
    expect(matches(clause, { v: ' 1.2.3\n' })).toBe(true);
    expect(matches({ ...clause, coerce: undefined }, { v: ' 1.2.3\n' })).toBe(false);
    expect(matches(clause, { v: ' '.repeat(300) + '1.2.3' })).toBe(false);
  });
});

describe('inBuckets', () => {
  const clause = (from: number, to: number, bucket: AttributeClause['bucket'] = {}): AttributeClause => ({
    attribute: 'userId',
    op: 'inBuckets',
    values: [from, to],
    bucket,
  });

  it('matches when the attribute’s bucket lies in [from, to)', () => {
    // Documented check values: salt checkout-v2, seed 0 → user-1 99361, alice 73564 (of 100000).
    const spec = { salt: 'checkout-v2', buckets: 100 };
    expect(matches(clause(61, 62, spec), { userId: 'user-1' })).toBe(true);
    expect(matches(clause(0, 61, spec), { userId: 'user-1' })).toBe(false);
    expect(matches(clause(64, 65, spec), { userId: 'alice' })).toBe(true);
    expect(matches(clause(0, 100, spec), { userId: 'anyone' })).toBe(true);
    expect(matches(clause(0, 0, spec), { userId: 'anyone' })).toBe(false);
  });

  it('hashes like bucketOf, with the seed and bucket count given, and the default salt otherwise', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 1000 }),
        (id, seed, buckets) => {
          const bucket = bucketOf('g', id, seed, buckets);
          expect(matches(clause(bucket, bucket + 1, { salt: 'g', seed, buckets }), { userId: id })).toBe(
            true,
          );
          expect(matches(clause(0, bucket, { salt: 'g', seed, buckets }), { userId: id })).toBe(false);
          const byDefault = bucketOf('flag-key', id);
          expect(matches(clause(byDefault, byDefault + 1), { userId: id })).toBe(true);
        },
      ),
    );
  });

  it('hashes with the latin1 encoding when asked (the low byte of each UTF-16 code unit)', () => {
    for (const id of ['ü', '😀', 'plain']) {
      const bucket = bucketOf('g', id, 0, 100, 'latin1');
      expect(
        matches(clause(bucket, bucket + 1, { salt: 'g', buckets: 100, encoding: 'latin1' }), { userId: id }),
      ).toBe(true);
    }
  });

  it('never matches a context without an identifier (before negate)', () => {
    for (const userId of [undefined, null, true, ['a'], {}])
      expect(matches(clause(0, 100_000), { userId } as Context)).toBe(false);
    expect(matches({ ...clause(0, 100_000), negate: true }, {})).toBe(true);
    expect(matches(clause(0, 100_000), { userId: 42 })).toBe(true);
  });

  it('agrees with a rollout: [0, w) holds exactly the users the first weight serves', () => {
    const ruleset = compile([
      percentageFlag('rollout', 25_000),
      booleanFlag('audience', {
        rules: [
          {
            id: 'r',
            clauses: [
              { attribute: 'userId', op: 'inBuckets', values: [0, 25_000], bucket: { salt: 'rollout' } },
            ],
            serve: { variant: 'on' },
          },
        ],
      }),
    ]);
    fc.assert(
      fc.property(fc.string(), (userId) => {
        expect(ruleset.evaluate('audience', { userId }).value).toBe(
          ruleset.evaluate('rollout', { userId }).value,
        );
      }),
    );
  });

  it('salts with the segment key inside a segment', () => {
    const segment: SegmentDocument = {
      key: 'half',
      rules: [{ clauses: [{ attribute: 'userId', op: 'inBuckets', values: [0, 50_000] }] }],
      version: 1,
    };
    const ruleset = compile(
      [booleanFlag('f', { rules: [{ id: 'r', clauses: [{ segment: 'half' }], serve: { variant: 'on' } }] })],
      [segment],
    );
    for (const userId of ['alice', 'bob', 'carol', 'dave', 'user-1', 'user-2'])
      expect(ruleset.evaluate('f', { userId }).value).toBe(bucketOf('half', userId) < 50_000);
  });
});

describe('validation of clause options', () => {
  const flag = (clause: AttributeClause): FlagDocument => ({
    key: 'f',
    variants: { on: true, off: false },
    environments: {
      production: {
        enabled: true,
        offVariant: 'off',
        rules: [{ id: 'r', clauses: [clause], serve: { variant: 'on' } }],
        fallthrough: { variant: 'off' },
      },
    },
    version: 0,
  });
  const problems = (clause: AttributeClause) =>
    validateFlag(flag(clause), { segments: new Set(), flags: new Map() }).map(
      (p) => `${p.path.replace('/environments/production/rules/0/clauses/0', '')}: ${p.problem}`,
    );

  it('accepts the options on the operators they apply to', () => {
    for (const clause of [
      { attribute: 'x', op: 'in', values: ['A'], caseInsensitive: true },
      { attribute: 'x', op: 'matches', values: ['^(?i)a$'], syntax: 're2' },
      { attribute: 'x', op: 'eq', values: [12], coerce: true },
      { attribute: 'x', op: 'gte', values: [12], coerce: true },
      { attribute: 'x', op: 'semverLt', values: ['2.0.0'], coerce: true },
      { attribute: 'ip', op: 'inCidr', values: ['10.0.0.0/8', '2001:db8::/32'] },
      {
        attribute: 'userId',
        op: 'inBuckets',
        values: [0, 50],
        bucket: { salt: 's', seed: 86028157, buckets: 100 },
      },
    ] as AttributeClause[])
      expect(problems(clause)).toEqual([]);
  });

  it.each([
    [
      { attribute: 'x', op: 'lt', values: [1], caseInsensitive: true },
      '/caseInsensitive: does not apply to lt',
    ],
    [{ attribute: 'x', op: 'contains', values: ['a'], coerce: true }, '/coerce: does not apply to contains'],
    [{ attribute: 'x', op: 'in', values: ['a'], syntax: 're2' }, '/syntax: applies to matches only'],
    [{ attribute: 'x', op: 'in', values: ['a'], bucket: {} }, '/bucket: applies to inBuckets only'],
    [
      { attribute: 'x', op: 'eq', values: ['12'], coerce: true },
      '/values/0: must be a number for eq with coerce',
    ],
    [
      { attribute: 'x', op: 'matches', values: ['(?=a)'], syntax: 're2' },
      '/values/0: invalid or unsupported Perl syntax at 1',
    ],
    [
      { attribute: 'ip', op: 'inCidr', values: ['10.0.0.0/33'] },
      '/values/0: must be an IP address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32)',
    ],
    [{ attribute: 'u', op: 'inBuckets', values: [5] }, '/values: inBuckets needs two values: [from, to)'],
    [{ attribute: 'u', op: 'inBuckets', values: [5, 3] }, '/values: must satisfy 0 ≤ from ≤ to ≤ 100000'],
    [
      { attribute: 'u', op: 'inBuckets', values: [0, 101], bucket: { buckets: 100 } },
      '/values: must satisfy 0 ≤ from ≤ to ≤ 100',
    ],
    [
      { attribute: 'u', op: 'inBuckets', values: [0.5, 1] },
      '/values/0: must be an integer bucket number ≥ 0',
    ],
  ] as Array<[AttributeClause, string]>)('rejects %j', (clause, problem) => {
    expect(problems(clause)).toContain(problem);
  });

  it('checks segment rules the same way', () => {
    const segment: SegmentDocument = {
      key: 's',
      rules: [{ clauses: [{ attribute: 'x', op: 'gt', values: [1], syntax: 're2' }] }],
      version: 0,
    };
    expect(validateSegment(segment)).toEqual([
      { path: '/rules/0/clauses/0/syntax', problem: 'applies to matches only' },
    ]);
  });
});
