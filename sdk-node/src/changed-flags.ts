import type { FlagConfig, JsonValue } from '@switchboard/core';

/**
 * Which flags depend on which: the flags listing each flag as a prerequisite, and the flags whose rules
 * use each segment. Kept up to date flag by flag (`setFlag`), so that the flags affected by a change are
 * found without scanning the ruleset: a patch then costs the same with 1 flag or thousands.
 */
export class FlagDependencies {
  /** Flag key → keys of the flags that list it as a prerequisite. */
  private readonly dependants = new Map<string, Set<string>>();
  /** Segment key → keys of the flags whose rules use it. */
  private readonly segmentUsers = new Map<string, Set<string>>();

  constructor(flags: Readonly<Record<string, FlagConfig>>) {
    for (const key of Object.keys(flags)) this.link(key, flags[key], 'add');
  }

  /** Records that flag `key` changed from `previous` to `next` (undefined: absent before / deleted). */
  setFlag(key: string, previous: FlagConfig | undefined, next: FlagConfig | undefined): void {
    this.link(key, previous, 'delete');
    this.link(key, next, 'add');
  }

  /**
   * Which flags may evaluate differently after a change: the changed flags, flags whose rules use a
   * changed segment, and (transitively) flags that have any of those as a prerequisite.
   */
  affectedBy(changedFlags: Iterable<string>, changedSegments: Iterable<string>): string[] {
    const affected = new Set(changedFlags);
    for (const segment of changedSegments) {
      for (const user of this.segmentUsers.get(segment) ?? []) affected.add(user);
    }
    // A Set's iteration visits what is added during it: this walks the dependants transitively.
    for (const key of affected) {
      for (const dependant of this.dependants.get(key) ?? []) affected.add(dependant);
    }
    return [...affected];
  }

  private link(key: string, flag: FlagConfig | undefined, edit: 'add' | 'delete'): void {
    // The ruleset comes off the network: a malformed flag must not make this throw.
    if (typeof flag !== 'object' || flag === null) return;
    for (const prerequisite of listOf(flag.prerequisites)) {
      const name: unknown = prerequisite?.flag;
      if (typeof name === 'string') editEdge(this.dependants, name, key, edit);
    }
    for (const rule of listOf(flag.rules)) {
      for (const clause of listOf(rule?.clauses)) {
        if (typeof clause === 'object' && clause !== null && 'segment' in clause) {
          const segment: unknown = clause.segment;
          if (typeof segment === 'string') editEdge(this.segmentUsers, segment, key, edit);
        }
      }
    }
  }
}

function editEdge(edges: Map<string, Set<string>>, from: string, to: string, edit: 'add' | 'delete'): void {
  let targets = edges.get(from);
  if (edit === 'add') {
    if (targets === undefined) edges.set(from, (targets = new Set()));
    targets.add(to);
  } else if (targets !== undefined) {
    targets.delete(to);
    if (targets.size === 0) edges.delete(from);
  }
}

/** The flags affected by replacing `previous` with `next` wholesale (a `put`); `dependencies` are next's. */
export function affectedByReplacement(
  previous: { flags: Record<string, FlagConfig>; segments: Record<string, unknown> },
  next: { flags: Record<string, FlagConfig>; segments: Record<string, unknown> },
  dependencies: FlagDependencies,
): string[] {
  return dependencies.affectedBy(
    differingKeys(previous.flags, next.flags),
    differingKeys(previous.segments, next.segments),
  );
}

const listOf = <T>(value: T[] | undefined): Array<T | undefined> => (Array.isArray(value) ? value : []);

/** Whether the flag serves a rollout (in a rule or its fallthrough): what a ramp plan changes. */
export function servesRollout(flag: FlagConfig | undefined): boolean {
  const isRollout = (serve: unknown) => typeof serve === 'object' && serve !== null && 'rollout' in serve;
  if (typeof flag !== 'object' || flag === null) return false;
  return isRollout(flag.fallthrough) || listOf(flag.rules).some((rule) => isRollout(rule?.serve));
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
