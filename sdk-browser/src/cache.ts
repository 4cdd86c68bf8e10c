/**
 * The last values per client key and context, so that a reload renders the right UI before the network
 * answers (and with no network at all).
 */
import type { Context, FlagSet, KeyValueStorage } from './types';

/** JSON with object keys sorted, so that equal contexts give equal strings whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return (
      '{' +
      Object.keys(record)
        .sort()
        .map((key) => JSON.stringify(key) + ':' + canonical(record[key]))
        .join(',') +
      '}'
    );
  }
  return JSON.stringify(value) ?? 'null';
}

/** Two FNV-1a passes with different offsets: 64 bits, plenty to tell a user's contexts apart. */
function hash(text: string): string {
  let low = 0x811c9dc5;
  let high = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    low = Math.imul(low ^ code, 0x01000193);
    high = Math.imul(high ^ code, 0x01000193);
  }
  return (low >>> 0).toString(16).padStart(8, '0') + (high >>> 0).toString(16).padStart(8, '0');
}

/** The storage key for one client key and context; neither appears in it in clear. */
export function cacheKey(clientKey: string, context: Context): string {
  return 'switchboard:' + hash(clientKey + '\n' + canonical(context));
}

/** localStorage when the page may use it (reading the property throws in some sandboxed frames). */
export function defaultStorage(): KeyValueStorage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function readCache(storage: KeyValueStorage | null, key: string): FlagSet | null {
  try {
    const entry = JSON.parse(storage?.getItem(key) ?? 'null') as FlagSet | null;
    return entry !== null && typeof entry.flags === 'object' && entry.flags !== null ? entry : null;
  } catch {
    return null;
  }
}

export function writeCache(storage: KeyValueStorage | null, key: string, set: FlagSet): void {
  try {
    storage?.setItem(key, JSON.stringify(set));
  } catch {
    // A full or forbidden storage only costs the next page load its head start.
  }
}
