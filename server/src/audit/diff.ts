/** A compact structural diff between two JSON documents, for audit entries. */

import type { DiffOperation } from '@switchboard/core';

export type { DiffOperation } from '@switchboard/core';

/** Escapes one JSON-pointer segment (RFC 6901). */
export const escapePointer = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Lists the smallest changed members: objects are compared by key, arrays by index. */
export function jsonDiff(before: unknown, after: unknown, path = ''): DiffOperation[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [{ op: 'add', path, after }];
  if (after === undefined) return [{ op: 'remove', path, before }];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => jsonDiff(before[key], after[key], `${path}/${escapePointer(key)}`));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    const operations: DiffOperation[] = [];
    for (let index = 0; index < length; index++) {
      operations.push(...jsonDiff(before[index], after[index], `${path}/${index}`));
    }
    return operations;
  }
  return Object.is(before, after) ? [] : [{ op: 'replace', path, before, after }];
}
