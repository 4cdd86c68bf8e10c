/**
 * Wire types: the flag document, segments and the per-environment ruleset that SDKs receive.
 * These shapes are public contracts (API bodies, exports, SDK payloads): add fields, rename none.
 */

/** A variant's value: boolean, string, number or any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** The value a variant serves. */
export type VariantValue = JsonValue;

/** An evaluation context: a plain object of attributes, e.g. `{ userId, country, plan }`. */
export type Context = Readonly<Record<string, unknown>>;

/**
 * A clause operator. Values of one clause: any matching is enough (notIn, neq: none may match). A missing
 * attribute (undefined or null) or one of the wrong type makes the clause false before `negate`; an array
 * attribute matches when any element does.
 * - `in`, `notIn`, `eq`, `neq`: equality with any of the values.
 * - `contains`, `startsWith`, `endsWith`: string tests; `matches`: a regular expression (see `syntax`).
 * - `lt`, `lte`, `gt`, `gte`: numeric comparison; `before`, `after`: dates (ISO-8601 strings or epoch ms).
 * - `semverEq` … `semverGte`: Semantic Versioning 2.0 precedence.
 * - `exists`: the attribute is neither undefined nor null. `inCidr`: an IP address within one of the ranges.
 * - `inBuckets`: the attribute's hash bucket is in [values[0], values[1]) (see `bucket`).
 */
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
  /** Name of the context attribute tested. */
  attribute: string;
  op: Operator;
  values: Array<string | number | boolean>;
  /** Inverts the clause's outcome. */
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
  /** Key of the segment; a segment missing from the ruleset contains no one. */
  segment: string;
  negate?: boolean;
}

/** One condition of a rule: an attribute test or segment membership. */
export type Clause = AttributeClause | SegmentClause;

/** One variant's share of a rollout. */
export interface Weight {
  /** Name of a variant of the flag. */
  variant: string;
  /** Integer number of buckets; the weights of a rollout sum to `buckets`. */
  weight: number;
}

/**
 * A percentage rollout: the context's `bucketBy` value is hashed (murmur3 of `salt + ":" + value`) into one
 * of `buckets` buckets, and the weights, in order, take consecutive ranges of buckets. A context without the
 * attribute gets no variant from it (a rule's rollout is then skipped; see `TARGETING_KEY_MISSING` for the
 * fallthrough's).
 */
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
  /** Integer weights summing to `buckets`. */
  weights: Weight[];
}

/** What a rule or the fallthrough serves: one variant, or a weighted rollout. */
export type Serve = { variant: string } | { rollout: Rollout };

/** Individual targeting: contexts whose `attribute` value is one of `values` get `variant`. */
export interface Target {
  /** Context attribute compared with `values`; default `userId`. */
  attribute?: string;
  /** Matched exactly (case-sensitive); a number attribute matches its decimal string. */
  values: string[];
  variant: string;
}

/** A targeting rule: when every clause matches, `serve` decides the variant. Rules are tried in order. */
export interface Rule {
  /** Unique within the flag environment; reported as `ruleId` in results. */
  id: string;
  description?: string;
  /** ANDed. An empty list matches every context. */
  clauses: Clause[];
  /** What a matching context gets. */
  serve: Serve;
}

/** Why and by whom a flag was killed in an environment (the emergency off switch). */
export interface KillState {
  /** ISO-8601 time of the kill. */
  at: string;
  /** Actor (token name) that killed the flag. */
  by: string;
  /** Free text given when killing; returned as `killReason` in results. */
  reason: string;
}

/**
 * A flag's configuration in one environment. Evaluation order: killed → disabled → prerequisites →
 * targets → rules (first match) → fallthrough.
 */
export interface FlagEnvironment {
  /** When false, every context gets `offVariant` (reason DISABLED). */
  enabled: boolean;
  /** Variant served when the flag is disabled, killed or a prerequisite fails. */
  offVariant: string;
  /** Checked before the rules; the first target listing the context's value wins. */
  targets?: Target[];
  /** Tried in order; the first whose clauses all match serves. */
  rules?: Rule[];
  /** What contexts matched by no target or rule get. */
  fallthrough: Serve;
  /** Set (non-null) while the flag is killed: everyone gets `offVariant` (reason KILLED), even if enabled. */
  killed?: KillState | null;
}

/** Another flag that must serve one of `variants` (to the same context) for this flag's rules to apply. */
export interface Prerequisite {
  /** Key of the prerequisite flag. */
  flag: string;
  /** The prerequisite flag must evaluate to one of these variants. */
  variants: string[];
}

/**
 * A feature flag as stored and sent to the admin API: its variants, shared by all environments, and one
 * configuration per environment. Check one with `validateFlag`.
 */
export interface FlagDocument {
  /** Unique flag key (see `keyProblem` for the rules). */
  key: string;
  description?: string;
  tags?: string[];
  /** Variant name → the value it serves. */
  variants: Record<string, VariantValue>;
  /** All must pass, else every context gets the environment's `offVariant` (PREREQUISITE_FAILED). */
  prerequisites?: Prerequisite[];
  /** Environment key → configuration; a flag absent from an environment is not in its ruleset. */
  environments: Record<string, FlagEnvironment>;
  /** Monotonically increasing; on writes, the version the change was based on. */
  version: number;
}

/** One way into a segment. */
export interface SegmentRule {
  /** Optional; unique within the segment when given. */
  id?: string;
  /** ANDed attribute clauses (segments do not reference other segments). */
  clauses: AttributeClause[];
}

/** A reusable audience: explicit include/exclude lists plus rules. Segments are shared by all environments. */
export interface SegmentDocument {
  /** Unique segment key (see `keyProblem`). */
  key: string;
  description?: string;
  /** Attribute the include/exclude lists are compared with; default `userId`. */
  attribute?: string;
  /** Always in the segment (unless also excluded). */
  included?: string[];
  /** Never in the segment: wins over `included` and rules. */
  excluded?: string[];
  /** A context is in the segment when any rule matches (and it is not excluded). */
  rules?: SegmentRule[];
  /** Monotonically increasing; on writes, the version the change was based on. */
  version: number;
}

/** One flag as an SDK sees it in one environment: flag-level fields plus that environment's configuration. */
export interface FlagConfig extends FlagEnvironment {
  key: string;
  variants: Record<string, VariantValue>;
  prerequisites?: Prerequisite[];
  /** The flag document's version. */
  version: number;
}

/** Everything an SDK needs to evaluate every flag of one environment. */
export interface EnvironmentRuleset {
  /** Key of the environment. */
  environment: string;
  /** The environment's change sequence at the time the ruleset was read. */
  version: number;
  /** Flag key → that flag's configuration in this environment. */
  flags: Record<string, FlagConfig>;
  /** Segment key → segment. */
  segments: Record<string, SegmentDocument>;
}

/**
 * Why a result has its value:
 * - `KILLED`: the flag is killed in the environment; `offVariant` is served and `killReason` is set.
 * - `DISABLED`: the flag is not enabled in the environment; `offVariant` is served.
 * - `PREREQUISITE_FAILED`: a prerequisite flag is missing or served another variant; `offVariant` is served.
 * - `TARGET_MATCH`: the context is listed in a target.
 * - `RULE_MATCH`: a rule matched; `ruleId` names it.
 * - `SPLIT`: the fallthrough is a rollout and bucketed the context.
 * - `FALLTHROUGH`: no target or rule matched; the fallthrough's single variant is served.
 * - `DEFAULT`: never produced by core's evaluation; part of the wire vocabulary (OpenFeature's DEFAULT).
 * - `ERROR`: see `errorCode`.
 */
export type EvaluationReason = (typeof EVALUATION_REASONS)[number];

/** Every `EvaluationReason`, for schemas and checks. */
export const EVALUATION_REASONS = [
  'KILLED',
  'DISABLED',
  'PREREQUISITE_FAILED',
  'TARGET_MATCH',
  'RULE_MATCH',
  'SPLIT',
  'FALLTHROUGH',
  'DEFAULT',
  'ERROR',
] as const;

/**
 * OpenFeature error codes, set when `reason` is ERROR:
 * - `FLAG_NOT_FOUND`: no flag with that key in the ruleset (value null).
 * - `TYPE_MISMATCH`: the flag's value is not of the type the caller asked for (SDKs' typed calls).
 * - `PARSE_ERROR`: a request could not be parsed (HTTP evaluation APIs; core never sets it).
 * - `TARGETING_KEY_MISSING`: a fallthrough rollout's `bucketBy` attribute is absent from the context;
 *   the value is `offVariant`'s.
 * - `PROVIDER_NOT_READY`: an SDK has no ruleset yet (value null, or the caller's default).
 * - `GENERAL`: the flag's configuration is broken (e.g. it serves an unknown variant), or reading the
 *   context threw (value null).
 */
export type ErrorCode =
  | 'FLAG_NOT_FOUND'
  | 'TYPE_MISMATCH'
  | 'PARSE_ERROR'
  | 'TARGETING_KEY_MISSING'
  | 'PROVIDER_NOT_READY'
  | 'GENERAL';

/**
 * The outcome of evaluating one flag for one context. Results returned by `CompiledRuleset` are shared and
 * frozen: copy one before changing it.
 */
export interface EvaluationResult<T = VariantValue> {
  /** The served variant's value; null when no variant was served (SDKs' typed calls: the default). */
  value: T;
  /** Name of the served variant; absent when none was served. */
  variant?: string;
  reason: EvaluationReason;
  /** Present when reason is RULE_MATCH: the matching rule's id. */
  ruleId?: string;
  /** Present exactly when reason is ERROR. */
  errorCode?: ErrorCode;
  /** Present when reason is KILLED. */
  killReason?: string;
}
