/** Structural diff of JSON documents, for readable audit entries and for merging a stale edit. */

export type Path = ReadonlyArray<string | number>;

export interface Difference {
  path: Path;
  /** Absent when the value was added. */
  before?: unknown;
  /** Absent when the value was removed. */
  after?: unknown;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys with a value: `{ a: undefined }` and `{}` are the same JSON document. */
function definedKeys(value: JsonObject): string[] {
  return Object.keys(value).filter((k) => value[k] !== undefined);
}

function isPrimitive(value: unknown): boolean {
  return value === null || typeof value !== 'object';
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = definedKeys(a);
    return keys.length === definedKeys(b).length && keys.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The leaf-most differences between two JSON values. Objects are compared key by key and arrays of
 * objects item by item; an array of plain values (tags, clause values) is one value, since
 * "[DE, FR] → [DE, FR, NL]" reads better than a list of shifted items.
 */
export function diffJson(before: unknown, after: unknown, path: Path = []): Difference[] {
  if (deepEqual(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...definedKeys(before), ...definedKeys(after)])];
    return keys.flatMap((k) => {
      if (after[k] === undefined) return [{ path: [...path, k], before: before[k] }];
      if (before[k] === undefined) return [{ path: [...path, k], after: after[k] }];
      return diffJson(before[k], after[k], [...path, k]);
    });
  }
  if (Array.isArray(before) && Array.isArray(after) && ![...before, ...after].every(isPrimitive)) {
    const length = Math.max(before.length, after.length);
    const differences: Difference[] = [];
    for (let i = 0; i < length; i++) {
      if (i >= after.length) differences.push({ path: [...path, i], before: before[i] });
      else if (i >= before.length) differences.push({ path: [...path, i], after: after[i] });
      else differences.push(...diffJson(before[i], after[i], [...path, i]));
    }
    return differences;
  }
  return [{ path, before, after }];
}

/** `environments.production.rules[0].clauses` */
export function formatPath(path: Path): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

function startsWith(path: Path, prefix: Path): boolean {
  return prefix.length <= path.length && prefix.every((part, i) => path[i] === part);
}

function valueAt(document: unknown, path: Path): { found: boolean; value?: unknown } {
  let current: unknown = document;
  for (const part of path) {
    if (typeof current !== 'object' || current === null || !(part in current)) return { found: false };
    current = (current as Record<string | number, unknown>)[part];
  }
  return { found: true, value: current };
}

/** Applies one difference in place; false when its parent no longer exists in `document`. */
function applyDifference(document: unknown, difference: Difference): boolean {
  const parentPath = difference.path.slice(0, -1);
  const last = difference.path[difference.path.length - 1];
  const parent = valueAt(document, parentPath);
  if (last === undefined || !parent.found || typeof parent.value !== 'object' || parent.value === null) {
    return false;
  }
  const container = parent.value as Record<string | number, unknown>;
  if (!('after' in difference)) {
    if (Array.isArray(container) && typeof last === 'number') container.splice(last, 1);
    else delete container[last];
  } else {
    container[last] = structuredClone(difference.after);
  }
  return true;
}

export interface MergeResult<T> {
  merged: T;
  /** Paths both sides changed differently; the merge kept the latest (theirs) value at each. */
  conflicts: Path[];
}

/**
 * Three-way merge: re-applies the edits made from `base` to `mine` onto `theirs` (the latest version).
 * An edit that touches something `theirs` also changed, differently, is left out and reported, so
 * nothing anyone saved is overwritten without the user seeing it.
 */
export function mergeEdits<T>(base: T, mine: T, theirs: T): MergeResult<T> {
  const theirChanges = diffJson(base, theirs);
  const merged = structuredClone(theirs);
  const conflicts: Path[] = [];
  const myChanges = diffJson(base, mine);
  // Array items are only removed from an array's tail, in increasing index order: applying removals
  // last, in reverse, keeps every index valid.
  const ordered = [
    ...myChanges.filter((c) => 'after' in c),
    ...myChanges.filter((c) => !('after' in c)).reverse(),
  ];
  for (const change of ordered) {
    const overlapping = theirChanges.some(
      (t) => startsWith(t.path, change.path) || startsWith(change.path, t.path),
    );
    const mineValue = valueAt(mine, change.path);
    const theirValue = valueAt(theirs, change.path);
    const sameResult = mineValue.found === theirValue.found && deepEqual(mineValue.value, theirValue.value);
    if (sameResult) continue;
    if (overlapping || !applyDifference(merged, change)) conflicts.push(change.path);
  }
  return { merged, conflicts };
}

/**
 * The differences a person cares about between two versions of a document: a created or deleted one
 * reads as its fields appearing or disappearing, and the top-level `version` counter is left out.
 */
export function documentChanges(before: unknown, after: unknown): Difference[] {
  return diffJson(before ?? {}, after ?? {}).filter((d) => !(d.path.length === 1 && d.path[0] === 'version'));
}

/** JSON that stays on one line while it fits in `width` characters, and breaks into indented lines otherwise. */
export function compactJson(value: unknown, width = 60, indent = ''): string {
  const inline = JSON.stringify(value, null, 1)?.replace(/\n\s*/g, ' ') ?? 'undefined';
  if (inline.length + indent.length <= width || typeof value !== 'object' || value === null) return inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + compactJson(item, width, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, width, inner)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}
