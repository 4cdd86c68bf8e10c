/** fast-check generators of schema-valid flag and segment documents, and of arbitrary contexts. */
import fc from 'fast-check';
import type {
  AttributeClause,
  Clause,
  FlagDocument,
  FlagEnvironment,
  JsonValue,
  Operator,
  SegmentDocument,
  Serve,
  Target,
} from '@switchboard/core';
import { OPERATORS } from '@switchboard/core';

export const ENVIRONMENT = 'production';
export const SEGMENT_KEYS = ['s0', 's1', 's2'];
const ATTRIBUTES = [
  'userId',
  'country',
  'plan',
  'age',
  'appVersion',
  'createdAt',
  'email',
  'orgId',
  'constructor',
];
const WORDS = ['alice', 'bob', 'DE', 'FR', 'pro', 'free', '', 'ü', '😀', 'a@example.com'];
const VARIANTS = ['on', 'off', 'a'];

const word = fc.constantFrom(...WORDS);
const semver = fc
  .tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.constantFrom('', '-rc.1', '-beta'))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre}`);
const epochMillis = fc.integer({ min: 0, max: 4_102_444_800_000 });
const isoDate = epochMillis.map((ms) => new Date(ms).toISOString());

/** Valid values for a clause with `op`. */
function clauseValue(op: Operator): fc.Arbitrary<string | number | boolean> {
  if (['lt', 'lte', 'gt', 'gte'].includes(op))
    return fc.oneof(fc.integer({ min: -100, max: 100 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
  if (op === 'before' || op === 'after') return fc.oneof(isoDate, epochMillis);
  if (op.startsWith('semver')) return semver;
  if (op === 'matches') return fc.constantFrom('^a', 'e$', 'x|ü', '[0-9]+', '^$', '(a|b)*c', '\\d{2,4}');
  if (['contains', 'startsWith', 'endsWith'].includes(op)) return word;
  if (op === 'inCidr')
    return fc.constantFrom('10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1', '0.0.0.0/0');
  return fc.oneof(word, fc.integer({ min: -3, max: 3 }), fc.boolean());
}

/** The options a clause with `op` may carry (each present or not), and values that suit them. */
function clauseOptions(op: Operator): fc.Arbitrary<Partial<AttributeClause>> {
  const flag = fc.option(fc.boolean(), { nil: undefined });
  if (op === 'matches')
    return fc.record(
      {
        caseInsensitive: flag,
        syntax: fc.constantFrom('js', 're2'),
        values: fc.array(fc.constantFrom('^a', 'e$', 'x|ü', '[0-9]+', '(a|b)*c', '\\d{2,4}'), {
          minLength: 1,
          maxLength: 2,
        }),
      },
      { requiredKeys: [] },
    );
  if (['in', 'notIn', 'eq', 'neq', 'contains', 'startsWith', 'endsWith'].includes(op))
    return fc.record({ caseInsensitive: flag }, { requiredKeys: [] });
  if (['lt', 'lte', 'gt', 'gte'].includes(op) || op.startsWith('semver'))
    return fc.record({ coerce: flag }, { requiredKeys: [] });
  if (op === 'inBuckets')
    return fc
      .record({
        bucket: fc.record(
          {
            salt: fc.string({ maxLength: 8 }),
            seed: fc.integer({ min: 0, max: 0xffffffff }),
            buckets: fc.constantFrom(100, 100_000),
            encoding: fc.constantFrom('utf8' as const, 'latin1' as const),
          },
          { requiredKeys: [] },
        ),
        from: fc.nat(100),
        length: fc.nat(100),
      })
      .map(({ bucket, from, length }) => ({
        bucket,
        values: [Math.min(from, 100), Math.min(from + length, 100)],
      }));
  return fc.constant({});
}

const attributeClause: fc.Arbitrary<AttributeClause> = fc
  .tuple(
    fc.constantFrom(...ATTRIBUTES),
    fc.constantFrom(...OPERATORS),
    fc.option(fc.boolean(), { nil: undefined }),
  )
  .chain(([attribute, op, negate]) =>
    fc
      .tuple(
        fc.array(clauseValue(op), { minLength: op === 'exists' ? 0 : 1, maxLength: 3 }),
        clauseOptions(op),
      )
      .map(([values, options]) => ({
        attribute,
        op,
        values,
        ...(negate === undefined ? {} : { negate }),
        ...options,
      })),
  );

const clause: fc.Arbitrary<Clause> = fc.oneof(
  { weight: 4, arbitrary: attributeClause },
  { weight: 1, arbitrary: fc.record({ segment: fc.constantFrom(...SEGMENT_KEYS), negate: fc.boolean() }) },
);

/** Integer weights over `variants` summing to `buckets`. */
function weights(buckets: number) {
  return fc
    .array(fc.tuple(fc.constantFrom(...VARIANTS), fc.integer({ min: 0, max: buckets })), {
      minLength: 1,
      maxLength: 4,
    })
    .map((parts) => {
      const cuts = parts.map(([, cut]) => cut).sort((x, y) => x - y);
      return parts.map(([variant], i) => ({
        variant,
        weight:
          (i === parts.length - 1 ? buckets : (cuts[i] as number)) - (i === 0 ? 0 : (cuts[i - 1] as number)),
      }));
    })
    .filter((list) => list.every((w) => w.weight >= 0));
}

const serve: fc.Arbitrary<Serve> = fc.oneof(
  fc.constantFrom(...VARIANTS).map((variant) => ({ variant })),
  fc
    .record(
      {
        bucketBy: fc.constantFrom('userId', 'orgId', 'age'),
        salt: fc.string({ maxLength: 8 }),
        seed: fc.integer({ min: 0, max: 0xffffffff }),
        buckets: fc.constantFrom(100_000, 100, 1),
        encoding: fc.constantFrom('utf8' as const, 'latin1' as const),
      },
      { requiredKeys: [] },
    )
    .chain((options) =>
      weights(options.buckets ?? 100_000).map((list) => ({ rollout: { ...options, weights: list } })),
    ),
);

const target: fc.Arbitrary<Target> = fc.record(
  {
    attribute: fc.constantFrom('userId', 'email'),
    values: fc.array(word, { maxLength: 3 }),
    variant: fc.constantFrom(...VARIANTS),
  },
  { requiredKeys: ['values', 'variant'] },
);

const environment: fc.Arbitrary<FlagEnvironment> = fc.record({
  enabled: fc.boolean(),
  offVariant: fc.constantFrom(...VARIANTS),
  targets: fc.array(target, { maxLength: 2 }),
  rules: fc
    .array(fc.record({ clauses: fc.array(clause, { maxLength: 3 }), serve }), { maxLength: 3 })
    .map((rules) => rules.map((rule, i) => ({ id: `rule-${i}`, ...rule }))),
  fallthrough: serve,
  killed: fc.option(
    fc.record({ at: isoDate, by: fc.constantFrom('ops'), reason: fc.string({ maxLength: 10 }) }),
    { nil: null },
  ),
});

/**
 * Up to `max` flag documents f0, f1, …; a flag's prerequisites only name flags with a lower index, so there
 * are no cycles. Variants always include every name in VARIANTS, with arbitrary JSON values.
 */
export function flagDocuments(max = 5): fc.Arbitrary<FlagDocument[]> {
  const body = fc.record({
    values: fc.tuple(
      fc.jsonValue({ maxDepth: 2 }),
      fc.jsonValue({ maxDepth: 2 }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    prerequisites: fc.array(fc.tuple(fc.nat(), fc.subarray(VARIANTS, { minLength: 1 })), { maxLength: 2 }),
    environment,
    version: fc.nat(),
  });
  return fc.array(body, { maxLength: max }).map((bodies) =>
    bodies.map(({ values, prerequisites, environment: env, version }, i) => {
      const doc: FlagDocument = {
        key: `f${i}`,
        variants: Object.fromEntries(
          VARIANTS.map((name, j): [string, JsonValue] => [name, (values[j] ?? null) as JsonValue]),
        ),
        environments: { [ENVIRONMENT]: env },
        version,
      };
      const unique = new Map(
        prerequisites.filter(() => i > 0).map(([index, variants]) => [`f${index % i}`, variants]),
      );
      if (unique.size > 0) doc.prerequisites = [...unique].map(([flag, variants]) => ({ flag, variants }));
      return doc;
    }),
  );
}

export const segmentDocument = (key: string): fc.Arbitrary<SegmentDocument> =>
  fc.record({
    key: fc.constant(key),
    attribute: fc.constantFrom('userId', 'email'),
    included: fc.array(word, { maxLength: 3 }),
    excluded: fc.array(word, { maxLength: 2 }),
    rules: fc.array(fc.record({ clauses: fc.array(attributeClause, { maxLength: 2 }) }), { maxLength: 2 }),
    version: fc.nat(),
  });

export const segmentDocuments: fc.Arbitrary<SegmentDocument[]> = fc.tuple(
  ...SEGMENT_KEYS.map(segmentDocument),
);

const attributeValue = fc.oneof(
  word,
  semver,
  isoDate,
  fc.integer({ min: -100, max: 100 }),
  fc.array(word, { maxLength: 3 }),
  fc.anything(),
);

/** Contexts over the generators' attributes, with values of every type (and hostile names). */
export const context: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.oneof(fc.constantFrom(...ATTRIBUTES, '__proto__', 'toString'), fc.string({ maxLength: 4 })),
  attributeValue,
  { maxKeys: 6 },
);

/** Schema-valid flags, the segments they may use, and the contexts to evaluate them for. */
export const evaluationCase = fc.tuple(
  flagDocuments(),
  segmentDocuments,
  fc.array(context, { minLength: 1, maxLength: 5 }),
);
