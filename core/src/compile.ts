/**
 * Compiles an environment's ruleset into closures, arrays and (where the runtime allows) generated code
 * (generate.ts), so that `evaluate` does no parsing and, for constant outcomes, no allocation: every
 * possible result object is built (and frozen) at compile time.
 */
import { armHashMemo, bucketOfHash, hasherFor, prefixState, DEFAULT_BUCKETS } from './murmur3';
import { generateEvaluator, recordBuilder } from './generate';
import type { ClausePart, EvaluatorParts, RecordBuilder, RulePart, TargetPart } from './generate';
import { compileAttributeClause, identifierOf, needsOwnCheck, readAttribute } from './operators';
import type { Predicate } from './operators';
import { addTally } from './tally';
import type {
  Context,
  EnvironmentRuleset,
  ErrorCode,
  EvaluationReason,
  EvaluationResult,
  FlagConfig,
  Rollout,
  Rule,
  SegmentDocument,
  Serve,
  VariantValue,
} from './types';

/**
 * An environment's ruleset compiled for fast, synchronous evaluation. Immutable: `withChange` returns a new
 * one. Results are shared and frozen (one object per distinct outcome); copy one before changing it.
 */
export interface CompiledRuleset {
  /** Key of the environment the ruleset belongs to. */
  readonly environment: string;
  /** The environment's change sequence this ruleset reflects. */
  readonly version: number;
  /**
   * One flag's result for `context`. Never throws: unknown key → `{ value: null, reason: 'ERROR', errorCode:
   * 'FLAG_NOT_FOUND' }`; a broken flag or a context whose getters throw → errorCode `GENERAL`. A `context`
   * that is not an object evaluates as `{}`.
   */
  evaluate(key: string, context: Context): EvaluationResult;
  /** Every flag's result for `context`, in a new object keyed by flag key that inherits nothing. */
  evaluateAll(context: Context): Record<string, EvaluationResult>;
  /**
   * Every flag's result for `context`, handed to `visit` in `keys()` order: evaluateAll without building
   * its object, for callers that build their own (an SDK's all-flags values).
   */
  evaluateEach(context: Context, visit: (key: string, result: EvaluationResult) => void): void;
  /** Whether the ruleset holds a flag with this key. */
  has(key: string): boolean;
  /** The flag keys, in the order `evaluateEach` visits them (a fresh array each call). */
  keys(): string[];
  /** How many flags the ruleset holds. */
  readonly size: number;
  /**
   * A new object with `values[i]` under the i-th flag key of `keys()`, that inherits nothing (a flag named
   * "__proto__" is an own key): evaluateAll's record, and an SDK's all-flags values.
   */
  record<T>(values: readonly T[]): Record<string, T>;
  /**
   * A new CompiledRuleset with one flag/segment upserted (value) or deleted (null); unchanged flags keep their
   * compiled closures; a segment change recompiles only flags that reference it. `version` = new change seq.
   */
  withChange(change: RulesetChange, version: number): CompiledRuleset;
}

/** One flag (a FlagConfig) or segment upserted, or deleted when `value` is null. */
export interface RulesetChange {
  kind: 'flag' | 'segment';
  /** Key of the flag or segment changed. */
  key: string;
  /** The new FlagConfig (kind 'flag') or SegmentDocument (kind 'segment'); null deletes it. */
  value: FlagConfig | SegmentDocument | null;
}

/** Prerequisite chains deeper than this fail (validation rejects cycles; this guards rulesets that slip by). */
const MAX_PREREQUISITE_DEPTH = 32;

/** Flags by key for evaluation: a Map's lookup is faster than a null-prototype object's (dictionary mode). */
type FlagIndex = ReadonlyMap<string, CompiledFlag>;
type SegmentTable = Record<string, Predicate>;
type FlagEvaluator = (context: Context, flags: FlagIndex, depth: number) => EvaluationResult;

interface CompiledFlag {
  readonly config: FlagConfig;
  /** Segments the flag's rules reference: a change to one of them recompiles the flag. */
  readonly segmentKeys: ReadonlySet<string>;
  /** The result for every context (off, killed, or serving one variant to all), so no call is needed. */
  readonly constant: EvaluationResult | null;
  readonly evaluate: FlagEvaluator;
}

function freezeResult(result: EvaluationResult): EvaluationResult {
  return Object.freeze(result);
}

const FLAG_NOT_FOUND = freezeResult({ value: null, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
const GENERAL_ERROR = freezeResult({ value: null, reason: 'ERROR', errorCode: 'GENERAL' });

/** A deep, frozen copy of a variant value, so results can share it without callers corrupting each other. */
function frozenCopy(value: VariantValue): VariantValue {
  if (typeof value !== 'object' || value === null) return value;
  const copy: VariantValue = Array.isArray(value)
    ? value.map(frozenCopy)
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, frozenCopy(v)]));
  return Object.freeze(copy) as VariantValue;
}

const toNullPrototype = <T>(entries: Iterable<[string, T]>): Record<string, T> => {
  const table: Record<string, T> = Object.create(null) as Record<string, T>;
  for (const [key, value] of entries) table[key] = value;
  return table;
};

class InvalidFlagError extends Error {}

/** Builds each distinct result of one flag once. */
class ResultFactory {
  private readonly cache = new Map<string, EvaluationResult>();
  private readonly values: Record<string, VariantValue>;

  constructor(private readonly config: FlagConfig) {
    this.values = toNullPrototype(
      Object.entries(config.variants ?? {}).map(([name, value]): [string, VariantValue] => [
        name,
        frozenCopy(value),
      ]),
    );
  }

  result(
    variant: string,
    reason: EvaluationReason,
    extra?: { ruleId?: string; errorCode?: ErrorCode },
  ): EvaluationResult {
    const cacheKey = JSON.stringify([variant, reason, extra?.ruleId, extra?.errorCode]);
    let result = this.cache.get(cacheKey);
    if (result === undefined) {
      if (!(variant in this.values)) throw new InvalidFlagError(`unknown variant ${JSON.stringify(variant)}`);
      const built: EvaluationResult = { value: this.values[variant] as VariantValue, variant, reason };
      if (extra?.ruleId !== undefined) built.ruleId = extra.ruleId;
      if (extra?.errorCode !== undefined) built.errorCode = extra.errorCode;
      if (reason === 'KILLED') built.killReason = this.config.killed?.reason ?? '';
      addTally(built, this.config.key);
      result = freezeResult(built);
      this.cache.set(cacheKey, result);
    }
    return result;
  }
}

/** A rollout; `missing` is what it serves when the bucketBy attribute has no identifier. */
function compileRollout<Missing extends EvaluationResult | null>(
  rollout: Rollout,
  flagKey: string,
  resultOf: (variant: string) => EvaluationResult,
  missing: Missing,
): (context: Context) => EvaluationResult | Missing {
  const buckets = rollout.buckets ?? DEFAULT_BUCKETS;
  const state = prefixState((rollout.salt ?? flagKey) + ':', rollout.seed ?? 0, rollout.encoding);
  const hash = hasherFor(rollout.encoding);
  const bucketBy = rollout.bucketBy ?? 'userId';
  const ownOnly = needsOwnCheck(bucketBy);
  const weights = rollout.weights ?? [];
  // thresholds[i]: first bucket past variant i's range; ranges are consecutive from 0 in weights order.
  const thresholds: number[] = [];
  const results: EvaluationResult[] = [];
  let total = 0;
  for (const { variant, weight } of weights) {
    if (!Number.isInteger(weight) || weight < 0) throw new InvalidFlagError('weights must be integers ≥ 0');
    total += weight;
    thresholds.push(total);
    results.push(resultOf(variant));
  }
  if (total !== buckets || total === 0) throw new InvalidFlagError(`weights sum to ${total}, not ${buckets}`);
  const count = thresholds.length;
  return (context) => {
    const value = identifierOf(readAttribute(context, bucketBy, ownOnly));
    if (value === undefined) return missing;
    const bucket = bucketOfHash(hash(state, value), buckets);
    for (let i = 0; i < count - 1; i++)
      if (bucket < (thresholds[i] as number)) return results[i] as EvaluationResult;
    return results[count - 1] as EvaluationResult; // the thresholds end at `buckets`
  };
}

/** A serve: the variant's result (the same for every context), or a rollout serving `missing` without an id. */
function compileServe<Missing extends EvaluationResult | null>(
  serve: Serve,
  flagKey: string,
  resultOf: (variant: string) => EvaluationResult,
  missing: Missing,
): EvaluationResult | ((context: Context) => EvaluationResult | Missing) {
  return 'rollout' in serve
    ? compileRollout(serve.rollout, flagKey, resultOf, missing)
    : resultOf(serve.variant);
}

/** `salt` is the default salt of inBuckets clauses: the flag key, or the segment key in a segment. */
function compileClauseParts(rule: Pick<Rule, 'clauses'>, segments: SegmentTable, salt: string): ClausePart[] {
  return (rule.clauses ?? []).map((clause): ClausePart => {
    if ('segment' in clause) {
      const inSegment = segments[clause.segment];
      const negate = clause.negate === true;
      const predicate: Predicate =
        inSegment === undefined ? () => negate : negate ? (context) => !inSegment(context) : inSegment;
      return { clause: null, predicate };
    }
    return { clause, predicate: compileAttributeClause(clause, salt) };
  });
}

/** Every clause holds (no clauses: always). */
function allOf(clauses: readonly ClausePart[]): Predicate {
  const predicates = clauses.map((clause) => clause.predicate);
  const count = predicates.length;
  if (count === 0) return () => true;
  if (count === 1) return predicates[0] as Predicate;
  return (context) => {
    for (let i = 0; i < count; i++) if (!(predicates[i] as Predicate)(context)) return false;
    return true;
  };
}

/** Segment rules hold attribute clauses only: segments do not reference segments. */
const NO_SEGMENTS: SegmentTable = Object.create(null) as SegmentTable;

/** In the segment: not excluded, and included or matched by any rule. */
export function compileSegment(segment: SegmentDocument): Predicate {
  const attribute = segment.attribute ?? 'userId';
  const ownOnly = needsOwnCheck(attribute);
  const included = new Set(segment.included ?? []);
  const excluded = new Set(segment.excluded ?? []);
  const rules = (segment.rules ?? []).map((rule) =>
    allOf(compileClauseParts(rule, NO_SEGMENTS, segment.key)),
  );
  return (context) => {
    const id = identifierOf(readAttribute(context, attribute, ownOnly));
    if (id !== undefined) {
      if (excluded.has(id)) return false;
      if (included.has(id)) return true;
    }
    for (let i = 0; i < rules.length; i++) if ((rules[i] as Predicate)(context)) return true;
    return false;
  };
}

function segmentKeysOf(config: FlagConfig): Set<string> {
  const keys = new Set<string>();
  for (const rule of config.rules ?? []) {
    for (const clause of rule.clauses ?? []) if ('segment' in clause) keys.add(clause.segment);
  }
  return keys;
}

/** A flag's evaluator, and its result when that is the same for every context. */
type FlagEvaluation = Pick<CompiledFlag, 'constant' | 'evaluate'>;

function constantEvaluation(result: EvaluationResult): FlagEvaluation {
  return { constant: result, evaluate: () => result };
}

/** The prerequisites check: every prerequisite flag exists and serves one of the listed variants. */
function compilePrerequisites(
  prerequisites: NonNullable<FlagConfig['prerequisites']>,
): ((context: Context, flags: FlagIndex, depth: number) => boolean) | null {
  if (prerequisites.length === 0) return null;
  const required = prerequisites.map((p) => ({ flag: p.flag, variants: new Set(p.variants) }));
  return (context, flags, depth) => {
    if (depth >= MAX_PREREQUISITE_DEPTH) return false;
    for (let i = 0; i < required.length; i++) {
      const prerequisite = required[i] as (typeof required)[number];
      const flag = flags.get(prerequisite.flag);
      if (flag === undefined) return false;
      const variant = flag.evaluate(context, flags, depth + 1).variant;
      if (variant === undefined || !prerequisite.variants.has(variant)) return false;
    }
    return true;
  };
}

function compileEvaluator(config: FlagConfig, segments: SegmentTable): FlagEvaluation {
  const results = new ResultFactory(config);
  const off = config.offVariant;
  if (config.killed !== null && config.killed !== undefined)
    return constantEvaluation(results.result(off, 'KILLED'));
  if (config.enabled !== true) return constantEvaluation(results.result(off, 'DISABLED'));
  const targetingKeyMissing = results.result(off, 'ERROR', { errorCode: 'TARGETING_KEY_MISSING' });
  const fallthroughIsRollout = 'rollout' in config.fallthrough;
  const fallthrough = compileServe(
    config.fallthrough,
    config.key,
    (variant) => results.result(variant, fallthroughIsRollout ? 'SPLIT' : 'FALLTHROUGH'),
    targetingKeyMissing,
  );
  const prerequisitesHold = compilePrerequisites(config.prerequisites ?? []);
  const targets = (config.targets ?? []).map((target) => ({
    attribute: target.attribute ?? 'userId',
    ownOnly: needsOwnCheck(target.attribute ?? 'userId'),
    values: new Set(target.values),
    result: results.result(target.variant, 'TARGET_MATCH'),
  }));
  const rules: RulePart[] = (config.rules ?? []).map((rule) => ({
    clauses: compileClauseParts(rule, segments, config.key),
    serve: compileServe(
      rule.serve,
      config.key,
      (variant) => results.result(variant, 'RULE_MATCH', { ruleId: rule.id }),
      null,
    ),
  }));
  if (prerequisitesHold === null && targets.length === 0 && rules.length === 0) {
    // The common shapes, a plain on/off flag and a percentage rollout, need no walk at all.
    if (typeof fallthrough !== 'function') return constantEvaluation(fallthrough);
    return { constant: null, evaluate: fallthrough };
  }
  const prerequisiteFailed = results.result(off, 'PREREQUISITE_FAILED');
  const parts = { prerequisitesHold, prerequisiteFailed, targets, rules, fallthrough };
  return { constant: null, evaluate: generateEvaluator(parts) ?? interpretedEvaluator(parts) };
}

/** The evaluator as closures: where code generation is not allowed, and the reference for the generated one. */
function interpretedEvaluator(parts: EvaluatorParts<FlagIndex>): FlagEvaluator {
  const { prerequisitesHold, prerequisiteFailed, targets, fallthrough } = parts;
  const rules = parts.rules.map((rule) => {
    const serve = rule.serve;
    return { matches: allOf(rule.clauses), serve: typeof serve === 'function' ? serve : () => serve };
  });
  const serveFallthrough = typeof fallthrough === 'function' ? fallthrough : () => fallthrough;
  return (context, flags, depth) => {
    if (prerequisitesHold !== null && !prerequisitesHold(context, flags, depth)) return prerequisiteFailed;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i] as TargetPart;
      const id = identifierOf(readAttribute(context, target.attribute, target.ownOnly));
      if (id !== undefined && target.values.has(id)) return target.result;
    }
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as (typeof rules)[number];
      if (rule.matches(context)) {
        const served = rule.serve(context);
        if (served !== null) return served;
      }
    }
    return serveFallthrough(context);
  };
}

function compileFlag(config: FlagConfig, segments: SegmentTable): CompiledFlag {
  try {
    const { constant, evaluate } = compileEvaluator(config, segments);
    return { config, segmentKeys: segmentKeysOf(config), constant, evaluate };
  } catch {
    // A malformed flag (one that validation would reject) must not take the other flags down with it.
    return { config, segmentKeys: new Set(), ...constantEvaluation(GENERAL_ERROR) };
  }
}

function compileSegmentSafely(segment: SegmentDocument): Predicate {
  try {
    return compileSegment(segment);
  } catch {
    return () => false;
  }
}

const EMPTY_CONTEXT: Context = Object.freeze({});

/** Contexts that are not objects evaluate as the empty context. */
function contextOrEmpty(context: Context): Context {
  return typeof context === 'object' && context !== null ? context : EMPTY_CONTEXT;
}

/** One flag's result; never throws. */
function evaluateFlag(flag: CompiledFlag, context: Context, flags: FlagIndex): EvaluationResult {
  // Checked here rather than left to the closure: constant flags (on, off, killed) then cost no call.
  const constant = flag.constant;
  return constant !== null ? constant : evaluateVarying(flag, context, flags);
}

/** The result of a flag that is not constant; never throws. */
function evaluateVarying(flag: CompiledFlag, context: Context, flags: FlagIndex): EvaluationResult {
  try {
    return flag.evaluate(context, flags, 0);
  } catch {
    // Only a hostile context (a throwing getter or Proxy) gets here.
    return GENERAL_ERROR;
  }
}

class Ruleset implements CompiledRuleset {
  /** `flagList` by key, for lookups; built per ruleset (a native copy, microseconds for hundreds of flags). */
  private readonly index: FlagIndex;
  constructor(
    readonly environment: string,
    readonly version: number,
    /** The flags and their keys in `keys()` order (the wire ruleset's), so evaluating all is a walk. */
    private readonly flagKeys: readonly string[],
    private readonly flagList: readonly CompiledFlag[],
    private readonly segments: SegmentTable,
    /** record()'s builder for these flag keys: made on first use, handed on while the keys stay the same. */
    private buildRecord: RecordBuilder<unknown> | null = null,
  ) {
    const index = new Map<string, CompiledFlag>();
    for (let i = 0; i < flagKeys.length; i++) index.set(flagKeys[i] as string, flagList[i] as CompiledFlag);
    this.index = index;
  }

  evaluate(key: string, context: Context): EvaluationResult {
    const flag = typeof key === 'string' ? this.index.get(key) : undefined;
    if (flag === undefined) return FLAG_NOT_FOUND;
    const constant = flag.constant;
    // A constant flag needs no context: answering before looking at it keeps the common case shortest.
    if (constant !== null) return constant;
    return evaluateVarying(flag, contextOrEmpty(context), this.index);
  }

  evaluateAll(context: Context): Record<string, EvaluationResult> {
    const results = new Array<EvaluationResult>(this.flagKeys.length);
    let index = 0;
    this.evaluateEach(context, (_key, result) => {
      results[index++] = result;
    });
    return this.record(results);
  }

  get size(): number {
    return this.flagKeys.length;
  }

  record<T>(values: readonly T[]): Record<string, T> {
    this.buildRecord ??= recordBuilder(this.flagKeys);
    return this.buildRecord(values) as Record<string, T>;
  }

  evaluateEach(context: Context, visit: (key: string, result: EvaluationResult) => void): void {
    const { flagKeys, flagList, index } = this;
    const ctx = contextOrEmpty(context);
    // Every rollout hashes the same id: read its characters once (see murmur3's memo).
    const wasArmed = armHashMemo(true);
    try {
      for (let i = 0; i < flagList.length; i++)
        visit(flagKeys[i] as string, evaluateFlag(flagList[i] as CompiledFlag, ctx, index));
    } finally {
      armHashMemo(wasArmed);
    }
  }

  has(key: string): boolean {
    return typeof key === 'string' && this.index.has(key);
  }

  keys(): string[] {
    return this.flagKeys.slice();
  }

  withChange(change: RulesetChange, version: number): CompiledRuleset {
    return change.kind === 'flag'
      ? this.withFlag(change.key, change.value as FlagConfig | null, version)
      : this.withSegment(change.key, change.value as SegmentDocument | null, version);
  }

  private withFlag(key: string, config: FlagConfig | null, version: number): Ruleset {
    const { environment, flagKeys, flagList, segments } = this;
    const position = this.index.has(key) ? flagKeys.indexOf(key) : -1;
    if (config === null) {
      if (position === -1)
        return new Ruleset(environment, version, flagKeys, flagList, segments, this.buildRecord);
      const without = <T>(items: readonly T[]): T[] => items.filter((_item, i) => i !== position);
      return new Ruleset(environment, version, without(flagKeys), without(flagList), segments);
    }
    const flag = compileFlag(config, segments);
    if (position === -1) {
      // The key order compileRuleset gives the plain ruleset with the flag added (integer-like keys first).
      const keys = Object.keys(toNullPrototype([...flagKeys, key].map((k) => [k, null])));
      const flags = keys.map((k) => (k === key ? flag : (this.index.get(k) as CompiledFlag)));
      return new Ruleset(environment, version, keys, flags, segments);
    }
    // Replacing a flag keeps its place among the keys, and so the record builder.
    const replaced = flagList.slice();
    replaced[position] = flag;
    return new Ruleset(environment, version, flagKeys, replaced, segments, this.buildRecord);
  }

  private withSegment(key: string, segment: SegmentDocument | null, version: number): Ruleset {
    const segments = toNullPrototype(Object.entries(this.segments));
    if (segment === null) delete segments[key];
    else segments[key] = compileSegmentSafely(segment);
    // Only the flags that reference the segment are recompiled; the keys stay the same.
    const flagList = this.flagList.map((flag) =>
      flag.segmentKeys.has(key) ? compileFlag(flag.config, segments) : flag,
    );
    const { environment, flagKeys, buildRecord } = this;
    return new Ruleset(environment, version, flagKeys, flagList, segments, buildRecord);
  }
}

/**
 * Compiles an environment's ruleset (what SDKs receive) for evaluation. Does not validate: a flag or segment
 * that cannot be compiled does not fail the others; the flag evaluates to errorCode `GENERAL` (a broken
 * segment contains no one).
 *
 * @example
 * ```ts
 * const rules = compileRuleset(ruleset);
 * const result = rules.evaluate('checkout-v2', { userId: 'u-42', country: 'DE' });
 * if (result.value === true) showNewCheckout();
 * ```
 */
export function compileRuleset(ruleset: EnvironmentRuleset): CompiledRuleset {
  const segments = toNullPrototype(
    Object.entries(ruleset.segments ?? {}).map(([key, segment]): [string, Predicate] => [
      key,
      compileSegmentSafely(segment),
    ]),
  );
  const flagKeys = Object.keys(ruleset.flags ?? {});
  const flagList = flagKeys.map((key) =>
    compileFlag((ruleset.flags as Record<string, FlagConfig>)[key] as FlagConfig, segments),
  );
  return new Ruleset(ruleset.environment, ruleset.version, flagKeys, flagList, segments);
}
