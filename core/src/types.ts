/**
 * Wire types: the flag document, segments and the per-environment ruleset that SDKs receive.
 * These shapes are public contracts (API bodies, exports, SDK payloads): add fields, rename none.
 */

/** A variant's value: boolean, string, number or any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type VariantValue = JsonValue;

/** An evaluation context: a plain object of attributes, e.g. `{ userId, country, plan }`. */
export type Context = Readonly<Record<string, unknown>>;

export type Operator =
  | 'in'
  | 'notIn'
  | 'eq'
  | 'neq'
  | 'contains'
  | 'startsWith'
  | 'endsWith'
  | 'matches'
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte'
  | 'before'
  | 'after'
  | 'semverEq'
  | 'semverLt'
  | 'semverLte'
  | 'semverGt'
  | 'semverGte'
  | 'exists'
  | 'inCidr'
  | 'inBuckets';

/** The pattern language of a `matches` clause: a JavaScript subset (default) or RE2's syntax. */
export type RegexSyntax = 'js' | 're2';

/**
 * How text becomes bytes for the bucketing hash: 'utf8' (default), or 'latin1', the low byte of each UTF-16
 * code unit (Node's Buffer 'latin1'; what the murmurhash3js package hashes). They differ only for non-ASCII.
 */
export type HashEncoding = 'utf8' | 'latin1';

/** How an `inBuckets` clause buckets its attribute; the same hash as a rollout's. */
export interface BucketSpec {
  /** Hash salt; default the flag key (in a segment rule, the segment key). */
  salt?: string;
  /** murmurhash3 seed; default 0. */
  seed?: number;
  /** Bucket count; default 100000. */
  buckets?: number;
  /** Default 'utf8'. */
  encoding?: HashEncoding;
}

/** `attribute op values`, optionally negated. Several values: any matches (notIn/neq: none does). */
export interface AttributeClause {
  attribute: string;
  op: Operator;
  values: Array<string | number | boolean>;
  negate?: boolean;
  /**
   * in, notIn, eq, neq, contains, startsWith, endsWith, matches: strings compare case-insensitively
   * (both sides lower-cased; `matches` folds case as Unicode simple case folding does).
   */
  caseInsensitive?: boolean;
  /**
   * lt, lte, gt, gte, and eq, neq, in, notIn with number values: a string context value is converted with
   * JavaScript's `Number()` first. semver*: a string context value is trimmed first.
   */
  coerce?: boolean;
  /** matches: the pattern syntax, default 'js'. */
  syntax?: RegexSyntax;
  /** inBuckets: how the attribute is hashed into buckets; `values` is the range [from, to). */
  bucket?: BucketSpec;
}

/** A reference to a segment; `negate: true` means "not in the segment". */
export interface SegmentClause {
  segment: string;
  negate?: boolean;
}

export type Clause = AttributeClause | SegmentClause;

export interface Weight {
  variant: string;
  /** Integer number of buckets; the weights of a rollout sum to `buckets`. */
  weight: number;
}

export interface Rollout {
  /** Context attribute whose value is hashed; default `userId`. */
  bucketBy?: string;
  /** Hash salt; default the flag key. */
  salt?: string;
  /** murmurhash3 seed; default 0. Exists for imported flags that must keep another system's buckets. */
  seed?: number;
  /** Bucket count; default 100000 (weights in units of 0.001%). */
  buckets?: number;
  /** How text is hashed; default 'utf8'. Exists for imported flags that must keep another system's buckets. */
  encoding?: HashEncoding;
  weights: Weight[];
}

/** What a rule or the fallthrough serves: one variant, or a weighted rollout. */
export type Serve = { variant: string } | { rollout: Rollout };

export interface Target {
  /** Context attribute compared with `values`; default `userId`. */
  attribute?: string;
  values: string[];
  variant: string;
}

export interface Rule {
  id: string;
  description?: string;
  /** ANDed. An empty list matches every context. */
  clauses: Clause[];
  serve: Serve;
}

export interface KillState {
  /** ISO-8601 time of the kill. */
  at: string;
  /** Actor (token name) that killed the flag. */
  by: string;
  reason: string;
}

export interface FlagEnvironment {
  enabled: boolean;
  /** Variant served when the flag is disabled, killed or a prerequisite fails. */
  offVariant: string;
  targets?: Target[];
  rules?: Rule[];
  fallthrough: Serve;
  killed?: KillState | null;
}

export interface Prerequisite {
  flag: string;
  /** The prerequisite flag must evaluate to one of these variants. */
  variants: string[];
}

export interface FlagDocument {
  key: string;
  description?: string;
  tags?: string[];
  variants: Record<string, VariantValue>;
  prerequisites?: Prerequisite[];
  environments: Record<string, FlagEnvironment>;
  /** Monotonically increasing; on writes, the version the change was based on. */
  version: number;
}

export interface SegmentRule {
  id?: string;
  /** ANDed attribute clauses (segments do not reference other segments). */
  clauses: AttributeClause[];
}

/** A reusable audience: explicit include/exclude lists plus rules. Segments are shared by all environments. */
export interface SegmentDocument {
  key: string;
  description?: string;
  /** Attribute the include/exclude lists are compared with; default `userId`. */
  attribute?: string;
  included?: string[];
  excluded?: string[];
  /** A context is in the segment when any rule matches (and it is not excluded). */
  rules?: SegmentRule[];
  version: number;
}

/** One flag as an SDK sees it in one environment: flag-level fields plus that environment's configuration. */
export interface FlagConfig extends FlagEnvironment {
  key: string;
  variants: Record<string, VariantValue>;
  prerequisites?: Prerequisite[];
  version: number;
}

/** Everything an SDK needs to evaluate every flag of one environment. */
export interface EnvironmentRuleset {
  environment: string;
  /** The environment's change sequence at the time the ruleset was read. */
  version: number;
  flags: Record<string, FlagConfig>;
  segments: Record<string, SegmentDocument>;
}

export type EvaluationReason =
  | 'KILLED'
  | 'DISABLED'
  | 'PREREQUISITE_FAILED'
  | 'TARGET_MATCH'
  | 'RULE_MATCH'
  | 'SPLIT'
  | 'FALLTHROUGH'
  | 'DEFAULT'
  | 'ERROR';

/**
 * OpenFeature error codes. TARGETING_KEY_MISSING: a fallthrough rollout's `bucketBy` attribute is absent
 * from the context. GENERAL: the flag's configuration is broken (e.g. it serves an unknown variant).
 */
export type ErrorCode =
  | 'FLAG_NOT_FOUND'
  | 'TYPE_MISMATCH'
  | 'PARSE_ERROR'
  | 'TARGETING_KEY_MISSING'
  | 'PROVIDER_NOT_READY'
  | 'GENERAL';

export interface EvaluationResult<T = VariantValue> {
  value: T;
  variant?: string;
  reason: EvaluationReason;
  ruleId?: string;
  errorCode?: ErrorCode;
  /** Present when reason is KILLED. */
  killReason?: string;
}
