/**
 * One Unleash strategy constraint → one Switchboard attribute clause (or a constant), with the Unleash Node
 * SDK's exact semantics (unleash-client 6: lib/strategy/strategy.js):
 *
 * - the context value is `context[name] ?? context.properties[name]`, as a string (unleashCompat builds
 *   the Switchboard context that way);
 * - IN, NOT_IN, STR_* and IN_CIDR use `values`, trimmed, empty ones dropped; the others use `value`;
 * - NOT_IN on a missing field is true (it is "not IN"); a missing field fails every other operator;
 * - NUM_* compare `Number()` of both sides; DATE_* compare `currentTime` (whatever the context name);
 * - SEMVER_* need a valid version (no leading `v`) in the context; REGEX is RE2 syntax;
 * - `inverted` negates the answer; an unknown operator is false, inverted or not.
 */
import { LIMITS, parseCidr, parseIsoDate, parseSemver, regexSupport } from '@switchboard/core';
import type { AttributeClause, Operator, ParsedCidr } from '@switchboard/core';
import type { NoteSink } from './conditions';
import { Untranslatable } from './conditions';
import type { Loose } from './payload';

/** A constraint's translation: a clause, or a constant answer. */
export type ConstraintTranslation =
  { kind: 'clause'; clause: AttributeClause } | { kind: 'always' } | { kind: 'never' };

/** The context attribute DATE_* constraints compare; unleashCompat sets it to the evaluation time. */
export const CURRENT_TIME = 'currentTime';

const ALWAYS: ConstraintTranslation = { kind: 'always' };
const NEVER: ConstraintTranslation = { kind: 'never' };
const constant = (holds: boolean): ConstraintTranslation => (holds ? ALWAYS : NEVER);

const NUMBER_OPERATORS: Record<string, Operator> = {
  NUM_EQ: 'eq',
  NUM_GT: 'gt',
  NUM_GTE: 'gte',
  NUM_LT: 'lt',
  NUM_LTE: 'lte',
};
const STRING_OPERATORS: Record<string, Operator> = {
  STR_STARTS_WITH: 'startsWith',
  STR_ENDS_WITH: 'endsWith',
  STR_CONTAINS: 'contains',
};
const SEMVER_OPERATORS: Record<string, Operator> = {
  SEMVER_EQ: 'semverEq',
  SEMVER_GT: 'semverGt',
  SEMVER_GTE: 'semverGte',
  SEMVER_LT: 'semverLt',
  SEMVER_LTE: 'semverLte',
};
const DATE_OPERATORS: Record<string, Operator> = { DATE_AFTER: 'after', DATE_BEFORE: 'before' };
/** node-semver's bound on version strings. */
const MAX_SEMVER_LENGTH = 256;

const isObject = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The attribute an Unleash context name reads, or Untranslatable when Switchboard cannot read it alike. */
export function attributeOf(name: unknown, where: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > LIMITS.attributeLength)
    throw new Untranslatable(`${where}: context field ${JSON.stringify(name)} is not a usable field name`);
  // Unleash reads `context[name]`, inherited members included; unleashCompat passes `properties` flattened.
  if (name in Object.prototype || name === 'properties')
    throw new Untranslatable(`${where}: context field "${name}" reads the Unleash context object itself`);
  return name;
}

/** Unleash's `cleanValues`: truthy values, trimmed. A truthy non-string makes the SDK throw. */
function cleanValues(values: unknown, where: string): string[] {
  if (!Array.isArray(values))
    throw new Untranslatable(`${where}: "values" is not a list (the Unleash SDK throws on this constraint)`);
  const cleaned: string[] = [];
  for (const value of values) {
    if (!value) continue;
    if (typeof value !== 'string')
      throw new Untranslatable(
        `${where}: value ${JSON.stringify(value)} is not a string (the Unleash SDK throws)`,
      );
    cleaned.push(value.trim());
  }
  return [...new Set(cleaned)];
}

/** node-semver's strict reading of a constraint value (trimmed, one optional leading `v`), or null. */
function constraintVersion(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_SEMVER_LENGTH) return null;
  const text = value.trim().replace(/^v/, '');
  return parseSemver(text) === null ? null : text;
}

/** A date value as core reads it: ISO-8601 when that round-trips exactly, else epoch milliseconds. */
function dateValue(millis: number): string | number {
  const iso = new Date(millis).toISOString();
  return parseIsoDate(iso) === millis ? iso : millis;
}

/**
 * Translates one constraint. `where` prefixes reasons and notes ("strategy 2, constraint 1"); `note`
 * receives what has no effect (unknown operators, invalid patterns, unparseable values).
 */
export function translateConstraint(
  constraint: unknown,
  where: string,
  note: NoteSink,
): ConstraintTranslation {
  // The SDK fails a strategy on a missing (e.g. unknown-segment) or non-object constraint.
  if (!isObject(constraint)) return NEVER;
  const { operator } = constraint;
  const inverted = Boolean(constraint.inverted);
  const caseInsensitive = Boolean(constraint.caseInsensitive);
  const clause = (
    op: Operator,
    values: AttributeClause['values'],
    options: Partial<AttributeClause> = {},
    negate = inverted,
  ): ConstraintTranslation => {
    const isDate = op === 'after' || op === 'before';
    const attribute = isDate ? CURRENT_TIME : attributeOf(constraint.contextName, where);
    if (attribute === CURRENT_TIME && !isDate)
      throw new Untranslatable(
        `${where}: ${String(operator)} on "currentTime" (only DATE_* operators can read it)`,
      );
    return {
      kind: 'clause',
      clause: { attribute, op, values, ...options, ...(negate ? { negate: true } : {}) },
    };
  };

  if (operator === 'IN' || operator === 'NOT_IN') {
    const values = cleanValues(constraint.values, where);
    // NOT_IN is "not IN": true on a missing field, which a negated `in` is too.
    const negate = (operator === 'NOT_IN') !== inverted;
    if (values.length === 0) return constant(negate);
    return clause('in', values, {}, negate);
  }
  const stringOp = STRING_OPERATORS[operator as string];
  if (stringOp !== undefined) {
    const values = cleanValues(constraint.values, where);
    if (values.length === 0) return constant(inverted);
    return clause(stringOp, values, caseInsensitive ? { caseInsensitive: true } : {});
  }
  if (operator === 'IN_CIDR') {
    const values = cleanValues(constraint.values, where);
    const scratch: ParsedCidr = { family: 4, prefix: 0, words: new Uint32Array(4) };
    const ranges = values.filter((value) => parseCidr(value, scratch));
    const dropped = values.filter((value) => !ranges.includes(value));
    if (dropped.length > 0)
      note(
        'ignored',
        `${where}: ${dropped.map((v) => JSON.stringify(v)).join(', ')} are not IP ranges and never match`,
      );
    if (ranges.length === 0) return constant(inverted);
    return clause('inCidr', ranges);
  }
  const numberOp = NUMBER_OPERATORS[operator as string];
  if (numberOp !== undefined) {
    const value = Number(constraint.value);
    if (Number.isNaN(value)) return constant(inverted);
    if (!Number.isFinite(value))
      throw new Untranslatable(`${where}: ${String(operator)} against an infinite number cannot be stored`);
    return clause(numberOp, [value], { coerce: true });
  }
  const dateOp = DATE_OPERATORS[operator as string];
  if (dateOp !== undefined) {
    const millis = new Date(constraint.value as string | number).getTime();
    if (Number.isNaN(millis)) return constant(inverted);
    return clause(dateOp, [dateValue(millis)]);
  }
  const semverOp = SEMVER_OPERATORS[operator as string];
  if (semverOp !== undefined) {
    const version = constraintVersion(constraint.value);
    if (version === null) {
      note('never-matches', `${where}: ${JSON.stringify(constraint.value)} is not a semantic version`);
      return constant(inverted);
    }
    return clause(semverOp, [version], { coerce: true });
  }
  if (operator === 'REGEX') {
    const pattern = constraint.value;
    if (typeof pattern !== 'string') return constant(inverted);
    const support = regexSupport(pattern, { syntax: 're2', caseInsensitive });
    if (support === 'unsupported')
      throw new Untranslatable(
        `${where}: the regular expression ${JSON.stringify(pattern)} is beyond Switchboard's engine`,
      );
    if (support === 'invalid') {
      note('never-matches', `${where}: ${JSON.stringify(pattern)} is not a valid RE2 pattern`);
      return constant(inverted);
    }
    return clause('matches', [pattern], {
      syntax: 're2',
      ...(caseInsensitive ? { caseInsensitive: true } : {}),
    });
  }
  note('never-matches', `${where}: operator ${JSON.stringify(operator)} is unknown to the Unleash SDK`);
  return NEVER;
}
