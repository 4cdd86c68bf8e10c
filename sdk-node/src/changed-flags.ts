import type { EnvironmentRuleset, FlagConfig, JsonValue } from '@switchboard/core';

/**
 * Which flags may evaluate differently after a change: the changed flags, flags whose rules use a
 * changed segment, and (transitively) flags that have any of those as a prerequisite.
 */
export function affectedFlags(
  ruleset: EnvironmentRuleset,
  changedFlags: Iterable<string>,
  changedSegments: Iterable<string>,
): string[] {
  const affected = new Set(changedFlags);
  const segments = new Set(changedSegments);
  const flags = Object.values(ruleset.flags);
  if (segments.size > 0) {
    for (const flag of flags) if (usesSegment(flag, segments)) affected.add(flag.key);
  }
  let grew = affected.size > 0;
  while (grew) {
    grew = false;
    for (const flag of flags) {
      if (
        !affected.has(flag.key) &&
        listOf(flag.prerequisites).some((p) => affected.has(p?.flag as string))
      ) {
        affected.add(flag.key);
        grew = true;
      }
    }
  }
  return [...affected];
}

/** The flags affected by replacing `previous` with `next` wholesale (a `put`). */
export function affectedByReplacement(previous: EnvironmentRuleset, next: EnvironmentRuleset): string[] {
  return affectedFlags(
    next,
    differingKeys(previous.flags, next.flags),
    differingKeys(previous.segments, next.segments),
  );
}

// The ruleset comes off the network: a malformed flag must not make this throw.
const listOf = <T>(value: T[] | undefined): Array<T | undefined> => (Array.isArray(value) ? value : []);

function usesSegment(flag: FlagConfig, segments: Set<string>): boolean {
  return listOf(flag.rules).some((rule) =>
    listOf(rule?.clauses).some(
      (clause) =>
        typeof clause === 'object' && clause !== null && 'segment' in clause && segments.has(clause.segment),
    ),
  );
}

function differingKeys<T>(before: Record<string, T>, after: Record<string, T>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => !jsonEqual(before[key] as JsonValue, after[key] as JsonValue));
}

function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) =>
    jsonEqual((a as Record<string, JsonValue>)[key], (b as Record<string, JsonValue>)[key]),
  );
}
