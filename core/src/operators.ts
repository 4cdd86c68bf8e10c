/**
 * Attribute clauses: checking their values (validation) and compiling them into predicates (evaluation).
 * Every clause value is parsed here once, at compile time; a predicate only parses what the context holds.
 */
import { toEpochMillis } from './dates';
import { compileRegex, regexProblem } from './regex';
import { compareSemver, parseSemver } from './semver';
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

type Kind = 'equality' | 'string' | 'number' | 'date' | 'semver' | 'exists';

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
};

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

/** Why `value` cannot be a value of an `op` clause, or null when it can. */
export function clauseValueProblem(op: Operator, value: ClauseValue): string | null {
  switch (KIND[op]) {
    case 'equality':
    case 'exists':
      return null;
    case 'string':
      if (typeof value !== 'string') return `must be a string for ${op}`;
      return op === 'matches' ? regexProblem(value) : null;
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

/** A predicate over one attribute value (not an array). */
type ValueTest = (value: unknown) => boolean;

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

function equalityTest(values: readonly ClauseValue[]): ValueTest {
  if (values.length === 1) {
    const only = values[0];
    return (value) => value === only;
  }
  const set = new Set<unknown>(values);
  return (value) => set.has(value);
}

function stringTest(op: Operator, values: readonly string[]): ValueTest | null {
  const testers: Array<(text: string) => boolean> = [];
  for (const v of values) {
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
          testers.push(compileRegex(v));
        } catch {
          // An invalid pattern never matches (validation reports it).
        }
    }
  }
  if (testers.length === 0) return null;
  return (value) => {
    if (typeof value !== 'string') return false;
    for (let i = 0; i < testers.length; i++)
      if ((testers[i] as (text: string) => boolean)(value)) return true;
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
 * Orders `lt lte gt gte` (and before/after, semver*) reduce to one comparison with the extreme clause value:
 * x < any of values ⇔ x < max(values); x > any ⇔ x > min(values).
 */
function orderingTest<T>(
  op: Operator,
  bounds: readonly T[],
  compare: (a: T, b: T) => number,
  read: (value: unknown) => T | null,
): ValueTest | null {
  if (bounds.length === 0) return null;
  const sorted = [...bounds].sort(compare);
  const min = sorted[0] as T;
  const max = sorted[sorted.length - 1] as T;
  if (op === 'semverEq') {
    // Equal precedence to any of the values.
    return (value) => {
      const x = read(value);
      if (x === null) return false;
      for (let i = 0; i < sorted.length; i++) if (compare(x, sorted[i] as T) === 0) return true;
      return false;
    };
  }
  const ordering = ORDERINGS[op];
  if (ordering === undefined) return null;
  const { accepts } = ordering;
  const limit = ordering.bound === 'max' ? max : min;
  return (value) => {
    const x = read(value);
    if (x === null) return false;
    const order = compare(x, limit);
    return (accepts & (order < 0 ? LESS : order === 0 ? EQUAL : GREATER)) !== 0;
  };
}

const readNumber = (value: unknown): number | null =>
  typeof value === 'number' && !Number.isNaN(value) ? value : null;
/**
 * The last context version string parsed, and its parse: a context's version is usually compared by several
 * clauses and flags, and a fleet of users shares few distinct versions.
 */
let lastSemverText = '';
let lastSemver: SemVer | null = null;
function readSemver(value: unknown): SemVer | null {
  if (typeof value !== 'string') return null;
  if (value !== lastSemverText) {
    lastSemver = parseSemver(value);
    lastSemverText = value;
  }
  return lastSemver;
}
const compareNumbers = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

function valueTest(clause: AttributeClause): ValueTest | null {
  const values = clause.values;
  switch (KIND[clause.op]) {
    case 'equality':
      return values.length === 0 ? null : equalityTest(values);
    case 'string':
      return stringTest(
        clause.op,
        values.filter((v): v is string => typeof v === 'string'),
      );
    case 'number':
      return orderingTest(clause.op, nonNull(values.map(clauseNumber)), compareNumbers, readNumber);
    case 'date':
      return orderingTest(clause.op, nonNull(values.map(toEpochMillis)), compareNumbers, toEpochMillis);
    case 'semver':
      return orderingTest(clause.op, nonNull(values.map(clauseSemver)), compareSemver, readSemver);
    case 'exists':
      return null;
  }
}

function nonNull<T>(items: ReadonlyArray<T | null>): T[] {
  return items.filter((item): item is T => item !== null);
}

/**
 * Compiles an attribute clause into a predicate. A missing attribute (undefined or null) or a value of the
 * wrong type makes the clause false before `negate`; so do clause values that cannot be parsed for the op.
 * Array attributes match when any element matches; `notIn`/`neq` match when no element equals any value.
 */
export function compileAttributeClause(clause: AttributeClause): Predicate {
  const name = clause.attribute;
  const ownOnly = needsOwnCheck(name);
  const negate = clause.negate === true;
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
