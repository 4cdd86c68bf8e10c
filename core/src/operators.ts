/**
 * Attribute clauses: checking their values (validation) and compiling them into predicates (evaluation).
 * Every clause value is parsed here once, at compile time; a predicate only parses what the context holds.
 */
import { cidrContains, emptyCidr, parseCidr } from './cidr';
import type { ParsedCidr } from './cidr';
import { toEpochMillis } from './dates';
import { bucketOfHash, DEFAULT_BUCKETS, hasherFor, prefixState } from './murmur3';
import { compileRegex, regexProblem } from './regex';
import { compareReleaseText, compareSemver, parseSemver } from './semver';
import type { SemVer } from './semver';
import type { AttributeClause, Context, Operator } from './types';

export type Predicate = (context: Context) => boolean;
type ClauseValue = AttributeClause['values'][number];

/**
 * Whether an attribute name exists on Object.prototype ("constructor", "toString", …): such attributes are
 * read only as the context's own properties. Decided once per clause, at compile time.
 */
export function needsOwnCheck(name: string): boolean {
  return name in Object.prototype;
}

/** Reads one context attribute (a plain top-level function, so the hot closures inline it). */
export function readAttribute(context: Context, name: string, ownOnly: boolean): unknown {
  if (ownOnly && !Object.prototype.hasOwnProperty.call(context, name)) return undefined;
  return context[name];
}

/**
 * The identifier form of an attribute value, as used by targets, segment lists and bucketing:
 * strings as they are, finite numbers through String(); anything else has no identifier.
 */
export function identifierOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

type Kind = 'equality' | 'string' | 'number' | 'date' | 'semver' | 'exists' | 'cidr' | 'bucket';

const KIND: Record<Operator, Kind> = {
  in: 'equality',
  notIn: 'equality',
  eq: 'equality',
  neq: 'equality',
  contains: 'string',
  startsWith: 'string',
  endsWith: 'string',
  matches: 'string',
  lt: 'number',
  lte: 'number',
  gt: 'number',
  gte: 'number',
  before: 'date',
  after: 'date',
  semverEq: 'semver',
  semverLt: 'semver',
  semverLte: 'semver',
  semverGt: 'semver',
  semverGte: 'semver',
  exists: 'exists',
  inCidr: 'cidr',
  inBuckets: 'bucket',
};

/** Operators each clause option applies to. */
const CASE_INSENSITIVE_KINDS: ReadonlySet<Kind> = new Set<Kind>(['equality', 'string']);
const COERCE_KINDS: ReadonlySet<Kind> = new Set<Kind>(['equality', 'number', 'semver']);

/** A clause value for a numeric operator: a number, or a string holding one. */
function clauseNumber(value: ClauseValue): number | null {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  return Number.isFinite(n) ? n : null;
}

function clauseSemver(value: ClauseValue): SemVer | null {
  return typeof value === 'string' ? parseSemver(value) : null;
}

/** Why `value` cannot be a value of `clause` (for its operator and options), or null when it can. */
export function clauseValueProblem(clause: AttributeClause, value: ClauseValue): string | null {
  const op = clause.op;
  switch (KIND[op]) {
    case 'equality':
      return clause.coerce === true && typeof value !== 'number'
        ? `must be a number for ${op} with coerce`
        : null;
    case 'exists':
      return null;
    case 'string':
      if (typeof value !== 'string') return `must be a string for ${op}`;
      return op === 'matches'
        ? regexProblem(value, { syntax: clause.syntax, caseInsensitive: clause.caseInsensitive })
        : null;
    case 'cidr':
      return typeof value === 'string' && parseCidr(value, emptyCidr())
        ? null
        : 'must be an IP address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32)';
    case 'bucket':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0
        ? null
        : 'must be an integer bucket number ≥ 0';
    case 'number':
      return clauseNumber(value) === null ? `must be a number for ${op}` : null;
    case 'date':
      return toEpochMillis(value) === null
        ? `must be an ISO-8601 date (e.g. 2025-01-31T12:00:00Z) or epoch milliseconds for ${op}`
        : null;
    case 'semver':
      return clauseSemver(value) === null ? `must be a semantic version (e.g. 2.3.0) for ${op}` : null;
  }
}

/** Whether `op` needs at least one value (only `exists` does not). */
export function operatorNeedsValues(op: Operator): boolean {
  return KIND[op] !== 'exists';
}

/**
 * Problems of a clause's options and value count that no single value shows: options on operators they do
 * not apply to, and an inBuckets range that is not [from, to) within the bucket count. `path` is relative
 * to the clause ('' for the clause itself).
 */
export function clauseShapeProblems(clause: AttributeClause): Array<{ path: string; problem: string }> {
  const problems: Array<{ path: string; problem: string }> = [];
  const kind = KIND[clause.op];
  if (clause.caseInsensitive !== undefined && !CASE_INSENSITIVE_KINDS.has(kind))
    problems.push({ path: '/caseInsensitive', problem: `does not apply to ${clause.op}` });
  if (clause.coerce !== undefined && !COERCE_KINDS.has(kind))
    problems.push({ path: '/coerce', problem: `does not apply to ${clause.op}` });
  if (clause.syntax !== undefined && clause.op !== 'matches')
    problems.push({ path: '/syntax', problem: 'applies to matches only' });
  if (clause.bucket !== undefined && kind !== 'bucket')
    problems.push({ path: '/bucket', problem: 'applies to inBuckets only' });
  if (kind === 'bucket') {
    const [from, to] = clause.values;
    const buckets = clause.bucket?.buckets ?? DEFAULT_BUCKETS;
    if (clause.values.length !== 2 || typeof from !== 'number' || typeof to !== 'number')
      problems.push({ path: '/values', problem: 'inBuckets needs two values: [from, to)' });
    else if (from > to || to > buckets)
      problems.push({ path: '/values', problem: `must satisfy 0 ≤ from ≤ to ≤ ${buckets}` });
  }
  return problems;
}

/** A predicate over one attribute value (not an array). */
type ValueTest = (value: unknown) => boolean;

/** Lists up to this long are scanned: for a few values a scan beats hashing the string for a Set. */
const SCAN_LIMIT = 8;

/** The test of a clause without usable values: `in` nothing is false, `notIn` nothing true. */
const MATCHES_NOTHING: ValueTest = () => false;

/** `test` of the value, or of any element when the value is an array. */
function matchesValue(value: unknown, test: ValueTest): boolean {
  if (!Array.isArray(value)) return test(value);
  for (let i = 0; i < value.length; i++) if (test(value[i])) return true;
  return false;
}

function isComparable(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/**
 * Equality with the clause's values. caseInsensitive: strings compare lower-cased. coerce: a string context
 * value is first converted with Number() (the values are numbers).
 */
function equalityTest(clause: AttributeClause): ValueTest {
  const lower = clause.caseInsensitive === true;
  const values = lower
    ? clause.values.map((v) => (typeof v === 'string' ? v.toLowerCase() : v))
    : clause.values;
  let test: ValueTest;
  if (values.length === 1) {
    const only = values[0];
    test = (value) => value === only;
  } else if (values.length <= SCAN_LIMIT) {
    // `===` agrees with Set's SameValueZero here: clause values are JSON, never NaN.
    const count = values.length;
    test = (value) => {
      for (let i = 0; i < count; i++) if (values[i] === value) return true;
      return false;
    };
  } else {
    const set = new Set<unknown>(values);
    test = (value) => set.has(value);
  }
  if (clause.coerce === true) {
    const exact = test;
    return (value) => exact(typeof value === 'string' ? Number(value) : value);
  }
  if (lower) {
    const exact = test;
    return (value) => exact(typeof value === 'string' ? value.toLowerCase() : value);
  }
  return test;
}

function stringTest(clause: AttributeClause): ValueTest | null {
  const { op, syntax } = clause;
  const caseInsensitive = clause.caseInsensitive === true;
  const testers: Array<(text: string) => boolean> = [];
  for (const value of clause.values) {
    if (typeof value !== 'string') continue;
    // Regexes fold case themselves; the other operators compare lower-cased text.
    const v = caseInsensitive && op !== 'matches' ? value.toLowerCase() : value;
    switch (op) {
      case 'contains':
        testers.push((text) => text.includes(v));
        break;
      case 'startsWith':
        testers.push((text) => text.startsWith(v));
        break;
      case 'endsWith':
        testers.push((text) => text.endsWith(v));
        break;
      default:
        try {
          testers.push(compileRegex(v, { syntax, caseInsensitive }));
        } catch {
          // An invalid pattern never matches (validation reports it).
        }
    }
  }
  if (testers.length === 0) return null;
  const lowerInput = caseInsensitive && op !== 'matches';
  return (value) => {
    if (typeof value !== 'string') return false;
    const text = lowerInput ? value.toLowerCase() : value;
    for (let i = 0; i < testers.length; i++) if ((testers[i] as (text: string) => boolean)(text)) return true;
    return false;
  };
}

/** The context address parsed by inCidr clauses: evaluation is synchronous, so one scratch value serves all. */
const contextAddress: ParsedCidr = emptyCidr();

function cidrTest(values: readonly ClauseValue[]): ValueTest | null {
  const ranges: ParsedCidr[] = [];
  for (const value of values) {
    const range = emptyCidr();
    if (typeof value === 'string' && parseCidr(value, range)) ranges.push(range);
  }
  if (ranges.length === 0) return null;
  return (value) => {
    if (typeof value !== 'string' || !parseCidr(value, contextAddress)) return false;
    for (let i = 0; i < ranges.length; i++)
      if (cidrContains(ranges[i] as ParsedCidr, contextAddress)) return true;
    return false;
  };
}

const LESS = 1;
const EQUAL = 2;
const GREATER = 4;
interface Ordering {
  /** The orders of x against the bound that match: LESS | EQUAL | GREATER bits. */
  accepts: number;
  bound: 'min' | 'max';
}
const ORDERINGS: Partial<Record<Operator, Ordering>> = {
  lt: { accepts: LESS, bound: 'max' },
  before: { accepts: LESS, bound: 'max' },
  semverLt: { accepts: LESS, bound: 'max' },
  lte: { accepts: LESS | EQUAL, bound: 'max' },
  semverLte: { accepts: LESS | EQUAL, bound: 'max' },
  gt: { accepts: GREATER, bound: 'min' },
  after: { accepts: GREATER, bound: 'min' },
  semverGt: { accepts: GREATER, bound: 'min' },
  gte: { accepts: GREATER | EQUAL, bound: 'min' },
  semverGte: { accepts: GREATER | EQUAL, bound: 'min' },
};

/**
 * How a context value orders against a clause bound: negative, zero or positive, or null when it has no
 * order (wrong type, unparsable).
 */
type CompareToBound<T> = (value: unknown, bound: T) => number | null;

/**
 * Orders `lt lte gt gte` (and before/after, semver*) reduce to one comparison with the extreme clause value:
 * x < any of values ⇔ x < max(values); x > any ⇔ x > min(values).
 */
function orderingTest<T>(
  op: Operator,
  bounds: readonly T[],
  compare: (a: T, b: T) => number,
  compareTo: CompareToBound<T>,
): ValueTest | null {
  if (bounds.length === 0) return null;
  const sorted = [...bounds].sort(compare);
  const min = sorted[0] as T;
  const max = sorted[sorted.length - 1] as T;
  if (op === 'semverEq') {
    // Equal precedence to any of the values.
    return (value) => {
      for (let i = 0; i < sorted.length; i++) if (compareTo(value, sorted[i] as T) === 0) return true;
      return false;
    };
  }
  const ordering = ORDERINGS[op];
  if (ordering === undefined) return null;
  const { accepts } = ordering;
  const limit = ordering.bound === 'max' ? max : min;
  return (value) => {
    const order = compareTo(value, limit);
    if (order === null) return false;
    return (accepts & (order < 0 ? LESS : order === 0 ? EQUAL : GREATER)) !== 0;
  };
}

const compareNumbers = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

/** A CompareToBound for numbers read from the context value by `read`. */
const numberCompareTo =
  (read: (value: unknown) => number | null): CompareToBound<number> =>
  (value, bound) => {
    const x = read(value);
    return x === null ? null : compareNumbers(x, bound);
  };

const readNumber = (value: unknown): number | null =>
  typeof value === 'number' && !Number.isNaN(value) ? value : null;
/** coerce: numeric strings too, through Number() ("" and whitespace are 0, as in JavaScript). */
const readNumberCoerced = (value: unknown): number | null =>
  readNumber(typeof value === 'string' ? Number(value) : value);

/** Context versions are compared on every evaluation: plain releases without building a parse. */
function semverCompareTo(value: unknown, bound: SemVer): number | null {
  if (typeof value !== 'string') return null;
  const order = compareReleaseText(value, bound);
  if (order !== undefined) return order;
  const version = parseSemver(value);
  return version === null ? null : compareSemver(version, bound);
}
const MAX_COERCED_SEMVER_LENGTH = 256;
/** coerce: surrounding whitespace is ignored (the untrimmed text is still bounded). */
const semverCoercedCompareTo = (value: unknown, bound: SemVer): number | null =>
  typeof value === 'string' && value.length <= MAX_COERCED_SEMVER_LENGTH
    ? semverCompareTo(value.trim(), bound)
    : null;

function valueTest(clause: AttributeClause): ValueTest | null {
  const values = clause.values;
  const coerce = clause.coerce === true;
  switch (KIND[clause.op]) {
    case 'equality':
      return values.length === 0 ? null : equalityTest(clause);
    case 'string':
      return stringTest(clause);
    case 'number':
      return orderingTest(
        clause.op,
        nonNull(values.map(clauseNumber)),
        compareNumbers,
        numberCompareTo(coerce ? readNumberCoerced : readNumber),
      );
    case 'date':
      return orderingTest(
        clause.op,
        nonNull(values.map(toEpochMillis)),
        compareNumbers,
        numberCompareTo(toEpochMillis),
      );
    case 'semver':
      return orderingTest(
        clause.op,
        nonNull(values.map(clauseSemver)),
        compareSemver,
        coerce ? semverCoercedCompareTo : semverCompareTo,
      );
    case 'cidr':
      return cidrTest(values);
    case 'exists':
    case 'bucket':
      return null;
  }
}

/**
 * inBuckets: the attribute's identifier hashed as a rollout hashes it (salt default `defaultSalt`), in
 * [values[0], values[1]). Like rollouts, a value without an identifier (missing, boolean, array) is not
 * bucketed, so it never matches.
 */
function compileBucketClause(clause: AttributeClause, defaultSalt: string): Predicate {
  const name = clause.attribute;
  const ownOnly = needsOwnCheck(name);
  const negate = clause.negate === true;
  const buckets = clause.bucket?.buckets ?? DEFAULT_BUCKETS;
  const encoding = clause.bucket?.encoding;
  const state = prefixState((clause.bucket?.salt ?? defaultSalt) + ':', clause.bucket?.seed ?? 0, encoding);
  const hash = hasherFor(encoding);
  const [from, to] = clause.values;
  if (typeof from !== 'number' || typeof to !== 'number') return () => negate;
  return (context) => {
    const id = identifierOf(readAttribute(context, name, ownOnly));
    if (id === undefined) return negate;
    const bucket = bucketOfHash(hash(state, id), buckets);
    return (bucket >= from && bucket < to) !== negate;
  };
}

function nonNull<T>(items: ReadonlyArray<T | null>): T[] {
  return items.filter((item): item is T => item !== null);
}

/**
 * Compiles an attribute clause into a predicate. A missing attribute (undefined or null) or a value of the
 * wrong type makes the clause false before `negate`; so do clause values that cannot be parsed for the op.
 * Array attributes match when any element matches; `notIn`/`neq` match when no element equals any value.
 * `defaultSalt` is the salt of an inBuckets clause without one: the flag key (or segment key).
 */
export function compileAttributeClause(clause: AttributeClause, defaultSalt = ''): Predicate {
  const name = clause.attribute;
  const ownOnly = needsOwnCheck(name);
  const negate = clause.negate === true;
  if (clause.op === 'inBuckets') return compileBucketClause(clause, defaultSalt);
  if (clause.op === 'exists') {
    return (context) => {
      const value = readAttribute(context, name, ownOnly);
      return (value !== undefined && value !== null) !== negate;
    };
  }
  const test = valueTest(clause) ?? MATCHES_NOTHING;
  if (clause.op === 'notIn' || clause.op === 'neq') {
    return (context) => {
      const value = readAttribute(context, name, ownOnly);
      const present = Array.isArray(value) || isComparable(value);
      return (present && !matchesValue(value, test)) !== negate;
    };
  }
  return (context) => matchesValue(readAttribute(context, name, ownOnly), test) !== negate;
}
