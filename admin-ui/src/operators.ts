import { parseSemver, regexProblem } from '@switchboard/core';
import type { AttributeClause, Operator } from '@switchboard/core';

/** How a clause's values are entered: the input depends on what the operator compares. */
export type ValueInput = 'text' | 'number' | 'date' | 'semver' | 'regex' | 'none';

export interface OperatorInfo {
  op: Operator;
  label: string;
  input: ValueInput;
}

export const OPERATORS: readonly OperatorInfo[] = [
  { op: 'in', label: 'is one of', input: 'text' },
  { op: 'notIn', label: 'is none of', input: 'text' },
  { op: 'eq', label: 'equals', input: 'text' },
  { op: 'neq', label: 'does not equal', input: 'text' },
  { op: 'contains', label: 'contains', input: 'text' },
  { op: 'startsWith', label: 'starts with', input: 'text' },
  { op: 'endsWith', label: 'ends with', input: 'text' },
  { op: 'matches', label: 'matches regex', input: 'regex' },
  { op: 'lt', label: '<', input: 'number' },
  { op: 'lte', label: '≤', input: 'number' },
  { op: 'gt', label: '>', input: 'number' },
  { op: 'gte', label: '≥', input: 'number' },
  { op: 'before', label: 'is before', input: 'date' },
  { op: 'after', label: 'is after', input: 'date' },
  { op: 'semverEq', label: 'version =', input: 'semver' },
  { op: 'semverLt', label: 'version <', input: 'semver' },
  { op: 'semverLte', label: 'version ≤', input: 'semver' },
  { op: 'semverGt', label: 'version >', input: 'semver' },
  { op: 'semverGte', label: 'version ≥', input: 'semver' },
  { op: 'exists', label: 'exists', input: 'none' },
  { op: 'inCidr', label: 'is in network (CIDR)', input: 'text' },
  { op: 'inBuckets', label: 'is in buckets [from, to)', input: 'number' },
];

export function operatorInfo(op: Operator): OperatorInfo {
  return OPERATORS.find((o) => o.op === op) ?? OPERATORS[0]!;
}

export interface ParsedValues {
  values: AttributeClause['values'];
  /** Why the text is not valid for the operator, or null. Invalid values are kept as typed. */
  problem: string | null;
}

/** Parses the value field of a clause: one value per line (a date or a regex is a single value). */
export function parseValues(input: ValueInput, text: string): ParsedValues {
  if (input === 'none') return { values: [], problem: null };
  const lines = input === 'date' || input === 'regex' ? [text.trim()] : text.split('\n').map((l) => l.trim());
  const entries = lines.filter((l) => l !== '');
  if (entries.length === 0) return { values: [], problem: 'needs at least one value' };
  if (input === 'number') {
    const bad = entries.find((e) => !Number.isFinite(Number(e)));
    return bad === undefined
      ? { values: entries.map(Number), problem: null }
      : { values: entries, problem: `“${bad}” is not a number` };
  }
  if (input === 'semver') {
    const bad = entries.find((e) => parseSemver(e) === null);
    return { values: entries, problem: bad === undefined ? null : `“${bad}” is not a version like 2.3.0` };
  }
  // The server's regex engine (RE2 syntax, linear time), so the form accepts exactly what the server does.
  if (input === 'regex') return { values: entries, problem: regexProblem(entries[0]!) };
  return { values: entries, problem: null };
}

export function formatValues(input: ValueInput, values: AttributeClause['values']): string {
  return input === 'none' ? '' : values.map(String).join('\n');
}

/** ISO-8601 UTC string ↔ the local "YYYY-MM-DDTHH:MM" a datetime-local input shows. */
export function isoToLocalInput(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return '';
  const local = new Date(time.getTime() - time.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

export function localInputToIso(value: string): string {
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? '' : time.toISOString();
}
