/**
 * JSON schemas (TypeBox) of the flag and segment documents: the shape and the size bounds. Semantic checks
 * (variants that exist, weights that sum up, regexes that are safe, …) live in validate.ts.
 * Every object is closed (`additionalProperties: false`) and every list and string is bounded.
 */
import Type from 'typebox';
import type { TSchema, TUnion } from 'typebox';
import { MAX_KEY_LENGTH } from './keys';
import { MAX_PATTERN_LENGTH } from './regex';

/**
 * Size bounds of flag and segment documents (lengths in characters). `validateFlag` and `validateSegment`
 * reject a document over any of them.
 */
export const LIMITS = {
  /** Flag, segment and environment keys (see `keyProblem`). */
  keyLength: MAX_KEY_LENGTH,
  /** Flag, segment and rule descriptions. */
  descriptionLength: 1_000,
  /** Tags per flag. */
  tags: 50,
  tagLength: 100,
  /** Variants per flag; also the variants one prerequisite may list. */
  variants: 100,
  variantNameLength: 200,
  /** Prerequisites per flag. */
  prerequisites: 50,
  /** Environments per flag document. */
  environments: 100,
  /** Targets per flag environment. */
  targets: 100,
  /** Rules per flag environment, and per segment. */
  rules: 200,
  ruleIdLength: 200,
  /** Clauses per rule. */
  clauses: 50,
  /** Values of one clause, one target list, or one segment's included/excluded list. */
  values: 10_000,
  /** One string value of a clause, target or segment list. */
  valueLength: 1_000,
  /** Context attribute names (clauses, targets, `bucketBy`, a segment's `attribute`). */
  attributeLength: 200,
  /** A `matches` pattern (the regex engine checks it: one bound, one constant). */
  regexLength: MAX_PATTERN_LENGTH,
  /** Weights per rollout. */
  weights: 100,
  /** A rollout's or inBuckets clause's salt. */
  saltLength: 1_000,
  /** Killed-state texts. */
  actorLength: 200,
  /** Killed-state reason. */
  reasonLength: 1_000,
} as const;

/** Every clause operator the schema accepts. */
export const OPERATORS = [
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
  'inCidr',
  'inBuckets',
] as const;

const closed = { additionalProperties: false } as const;

/**
 * For each union (anyOf) in these schemas, how to pick the branch a value was meant to be, so that a failing
 * value is reported against that branch alone rather than with every branch's complaints.
 */
export const UNION_BRANCH = new WeakMap<object, (value: unknown) => number>();

function discriminatedUnion<const Branches extends TSchema[]>(
  branches: [...Branches],
  pick: (value: unknown) => number,
): TUnion<Branches> {
  const union = Type.Union(branches);
  UNION_BRANCH.set(union, pick);
  return union;
}

/** Type.Optional copies its schema: keep the union's branch picker on the copy. */
function optionalUnion<Branches extends TSchema[]>(union: TUnion<Branches>) {
  const optional = Type.Optional(union);
  const pick = UNION_BRANCH.get(union);
  if (pick !== undefined) UNION_BRANCH.set(optional, pick);
  return optional;
}

const hasProperty = (value: unknown, name: string): boolean =>
  typeof value === 'object' && value !== null && Object.prototype.hasOwnProperty.call(value, name);

const Key = Type.String({ minLength: 1, maxLength: LIMITS.keyLength });
const Description = Type.String({ maxLength: LIMITS.descriptionLength });
const Attribute = Type.String({ minLength: 1, maxLength: LIMITS.attributeLength });
const VariantName = Type.String({ minLength: 1, maxLength: LIMITS.variantNameLength });
const Version = Type.Integer({ minimum: 0 });
const IdentifierList = Type.Array(Type.String({ maxLength: LIMITS.valueLength }), {
  maxItems: LIMITS.values,
});

/** JSON schema (TypeBox) of an AttributeClause. */
export const AttributeClauseSchema = Type.Object(
  {
    attribute: Attribute,
    op: Type.Enum(OPERATORS),
    values: Type.Array(
      discriminatedUnion(
        [Type.String({ maxLength: LIMITS.valueLength }), Type.Number(), Type.Boolean()],
        (value) => (typeof value === 'number' ? 1 : typeof value === 'boolean' ? 2 : 0),
      ),
      { maxItems: LIMITS.values },
    ),
    negate: Type.Optional(Type.Boolean()),
    caseInsensitive: Type.Optional(Type.Boolean()),
    coerce: Type.Optional(Type.Boolean()),
    syntax: Type.Optional(Type.Enum(['js', 're2'])),
    bucket: Type.Optional(
      Type.Object(
        {
          salt: Type.Optional(Type.String({ maxLength: LIMITS.saltLength })),
          seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff })),
          buckets: Type.Optional(Type.Integer({ minimum: 1, maximum: 0x100000000 })),
          encoding: Type.Optional(Type.Enum(['utf8', 'latin1'])),
        },
        closed,
      ),
    ),
  },
  closed,
);

/** JSON schema (TypeBox) of a SegmentClause. */
export const SegmentClauseSchema = Type.Object(
  { segment: Key, negate: Type.Optional(Type.Boolean()) },
  closed,
);

const RolloutSchema = Type.Object(
  {
    bucketBy: Type.Optional(Attribute),
    salt: Type.Optional(Type.String({ maxLength: LIMITS.saltLength })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff })),
    buckets: Type.Optional(Type.Integer({ minimum: 1, maximum: 0x100000000 })),
    encoding: Type.Optional(Type.Enum(['utf8', 'latin1'])),
    weights: Type.Array(Type.Object({ variant: VariantName, weight: Type.Integer({ minimum: 0 }) }, closed), {
      minItems: 1,
      maxItems: LIMITS.weights,
    }),
  },
  closed,
);

/** JSON schema (TypeBox) of a Serve: `{ variant }` or `{ rollout }`. */
export const ServeSchema = discriminatedUnion(
  [Type.Object({ variant: VariantName }, closed), Type.Object({ rollout: RolloutSchema }, closed)],
  (value) => (hasProperty(value, 'rollout') ? 1 : 0),
);

const TargetSchema = Type.Object(
  { attribute: Type.Optional(Attribute), values: IdentifierList, variant: VariantName },
  closed,
);

const RuleSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: LIMITS.ruleIdLength }),
    description: Type.Optional(Description),
    clauses: Type.Array(
      discriminatedUnion([AttributeClauseSchema, SegmentClauseSchema], (value) =>
        hasProperty(value, 'segment') ? 1 : 0,
      ),
      { maxItems: LIMITS.clauses },
    ),
    serve: ServeSchema,
  },
  closed,
);

const KillStateSchema = Type.Object(
  {
    at: Type.String({ minLength: 1, maxLength: 64 }),
    by: Type.String({ maxLength: LIMITS.actorLength }),
    reason: Type.String({ maxLength: LIMITS.reasonLength }),
  },
  closed,
);

/** JSON schema (TypeBox) of a FlagEnvironment. */
export const FlagEnvironmentSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    offVariant: VariantName,
    targets: Type.Optional(Type.Array(TargetSchema, { maxItems: LIMITS.targets })),
    rules: Type.Optional(Type.Array(RuleSchema, { maxItems: LIMITS.rules })),
    fallthrough: ServeSchema,
    killed: optionalUnion(
      discriminatedUnion([KillStateSchema, Type.Null()], (value) => (value === null ? 1 : 0)),
    ),
  },
  closed,
);

/** Variant values are any JSON value; the server's request body limit bounds their size. */
const VariantsSchema = Type.Record(Type.String(), Type.Unknown(), {
  minProperties: 1,
  maxProperties: LIMITS.variants,
  propertyNames: { minLength: 1, maxLength: LIMITS.variantNameLength },
});

/**
 * JSON schema (TypeBox) of a FlagDocument: shape and size bounds only. `validateFlag` applies it plus the
 * semantic checks.
 */
export const FlagDocumentSchema = Type.Object(
  {
    key: Key,
    description: Type.Optional(Description),
    tags: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.tagLength }), { maxItems: LIMITS.tags }),
    ),
    variants: VariantsSchema,
    prerequisites: Type.Optional(
      Type.Array(
        Type.Object(
          { flag: Key, variants: Type.Array(VariantName, { minItems: 1, maxItems: LIMITS.variants }) },
          closed,
        ),
        { maxItems: LIMITS.prerequisites },
      ),
    ),
    environments: Type.Record(Type.String(), FlagEnvironmentSchema, {
      maxProperties: LIMITS.environments,
      propertyNames: { minLength: 1, maxLength: LIMITS.keyLength },
    }),
    version: Version,
  },
  closed,
);

/** JSON schema (TypeBox) of a SegmentDocument; `validateSegment` applies it plus the semantic checks. */
export const SegmentDocumentSchema = Type.Object(
  {
    key: Key,
    description: Type.Optional(Description),
    attribute: Type.Optional(Attribute),
    included: Type.Optional(IdentifierList),
    excluded: Type.Optional(IdentifierList),
    rules: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.ruleIdLength })),
            clauses: Type.Array(AttributeClauseSchema, { maxItems: LIMITS.clauses }),
          },
          closed,
        ),
        { maxItems: LIMITS.rules },
      ),
    ),
    version: Version,
  },
  closed,
);
