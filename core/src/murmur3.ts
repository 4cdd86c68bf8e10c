/**
 * murmurhash3_x86_32 over the UTF-8 bytes of a string, hashed straight from the string's UTF-16 code units
 * (no TextEncoder, no allocation). Lone surrogates hash as U+FFFD, exactly like TextEncoder would encode them.
 * The `latin1` encoding hashes the low byte of each UTF-16 code unit instead (Node's Buffer 'latin1', and
 * what the murmurhash3js package does); both agree on ASCII.
 *
 * `PrefixState` captures the hash state after a constant prefix (a rollout's `salt + ":"`), so that the hot
 * path only hashes the context value's bytes.
 */
import type { HashEncoding } from './types';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The murmur3 state after absorbing some bytes: `h1` after every full 4-byte block, plus the pending tail. */
export interface PrefixState {
  readonly h1: number;
  /** Pending tail bytes (0–3 of them), little-endian in the low bits. */
  readonly tail: number;
  /** Number of pending tail bytes times 8 (the bit position of the next byte). */
  readonly tailBits: number;
  /** Bytes absorbed so far. */
  readonly length: number;
}

function mixBlock(h1: number, k1: number): number {
  k1 = Math.imul(k1, C1);
  k1 = (k1 << 15) | (k1 >>> 17);
  k1 = Math.imul(k1, C2);
  h1 ^= k1;
  h1 = (h1 << 13) | (h1 >>> 19);
  return (Math.imul(h1, 5) + 0xe6546b64) | 0;
}

function finish(h1: number, tail: number, tailBits: number, length: number): number {
  if (tailBits !== 0) {
    tail = Math.imul(tail, C1);
    tail = (tail << 15) | (tail >>> 17);
    h1 ^= Math.imul(tail, C2);
  }
  h1 ^= length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

/** The state after absorbing `prefix` (its bytes in `encoding`) with `seed`. Computed once per rollout. */
export function prefixState(prefix: string, seed: number, encoding: HashEncoding = 'utf8'): PrefixState {
  const bytes =
    encoding === 'latin1'
      ? Uint8Array.from({ length: prefix.length }, (_, i) => prefix.charCodeAt(i) & 0xff)
      : new TextEncoder().encode(prefix);
  let h1 = seed | 0;
  let tail = 0;
  let tailBits = 0;
  for (const byte of bytes) {
    tail |= byte << tailBits;
    tailBits += 8;
    if (tailBits === 32) {
      h1 = mixBlock(h1, tail);
      tail = 0;
      tailBits = 0;
    }
  }
  return { h1, tail, tailBits, length: bytes.length };
}

/**
 * While armed (during a multi-flag evaluation), the last ASCII text `hashFrom` read, kept as little-endian
 * 32-bit words of its bytes (the last word holds the 0–3 bytes past the final full word). One user's id is
 * hashed under every rollout's prefix in turn, and reading a string's characters costs more than mixing
 * them, so hashing the same text again mixes these words instead. Texts longer than the memo or with
 * non-ASCII characters are not kept (nor scanned again). Unarmed, a single evaluation pays no
 * comparison for a memo it would rarely hit.
 */
const MEMO_WORDS = 64;
const memoWords = new Int32Array(MEMO_WORDS);
/** The last text looked at while armed, and whether its words are kept (false: long or non-ASCII). */
let memoText: string | null = null;
let memoKept = false;
let memoArmed = false;

/** Arms (or disarms) the memo of the last text hashed; answers whether it was armed, to restore it. */
export function armHashMemo(armed: boolean): boolean {
  const was = memoArmed;
  memoArmed = armed;
  return was;
}

/** murmur3 of (the bytes absorbed into `state`) followed by the UTF-8 bytes of `text`. */
export function hashFrom(state: PrefixState, text: string): number {
  if (memoArmed && keep(text)) return hashMemo(state, text.length);
  let h1 = state.h1;
  let tail = state.tail;
  let tailBits = state.tailBits;
  let length = state.length;
  const end = text.length;
  let i = 0;
  while (i < end) {
    // ASCII fast path: four one-byte characters at a time. The word completes the pending block and its
    // top bytes become the new pending bytes, so `tailBits` stays as it is.
    if (i + 3 < end) {
      const a = text.charCodeAt(i);
      const b = text.charCodeAt(i + 1);
      const c = text.charCodeAt(i + 2);
      const d = text.charCodeAt(i + 3);
      if ((a | b | c | d) < 0x80) {
        const word = a | (b << 8) | (c << 16) | (d << 24);
        h1 = mixBlock(h1, tail | (word << tailBits));
        tail = tailBits === 0 ? 0 : word >>> (32 - tailBits);
        i += 4;
        length += 4;
        continue;
      }
    }
    const code = text.charCodeAt(i);
    if (code >= 0x80) return hashRest(h1, tail, tailBits, length, text, i);
    tail |= code << tailBits;
    tailBits += 8;
    i++;
    length++;
    if (tailBits === 32) {
      h1 = mixBlock(h1, tail);
      tail = 0;
      tailBits = 0;
    }
  }
  return finish(h1, tail, tailBits, length);
}

/**
 * Makes `text` the memo text; true when its words are kept, false when it cannot be (long, non-ASCII),
 * which is remembered too, so such a text is not scanned again for every rollout.
 */
function keep(text: string): boolean {
  if (text === memoText) return memoKept;
  memoText = text;
  memoKept = false; // until the words below, which overwrite the kept ones, are complete
  const end = text.length;
  const fullWords = end >> 2;
  if (fullWords >= MEMO_WORDS) return false;
  for (let k = 0; k < fullWords; k++) {
    const i = k << 2;
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    const c = text.charCodeAt(i + 2);
    const d = text.charCodeAt(i + 3);
    if ((a | b | c | d) >= 0x80) return false;
    memoWords[k] = a | (b << 8) | (c << 16) | (d << 24);
  }
  let last = 0;
  for (let i = fullWords << 2, shift = 0; i < end; i++, shift += 8) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return false;
    last |= code << shift;
  }
  memoWords[fullWords] = last;
  memoKept = true;
  return true;
}

/** hashFrom for the kept text, `byteLength` bytes long, from its words. */
function hashMemo(state: PrefixState, byteLength: number): number {
  const fullWords = byteLength >> 2;
  let h1 = state.h1;
  let tail = state.tail;
  const tailBits = state.tailBits;
  for (let k = 0; k < fullWords; k++) {
    const word = memoWords[k] as number;
    h1 = mixBlock(h1, tail | (word << tailBits));
    tail = tailBits === 0 ? 0 : word >>> (32 - tailBits);
  }
  // The text's last 0–3 bytes after the pending ones: a block when together they fill one.
  const last = memoWords[fullWords] as number;
  const bits = tailBits + ((byteLength & 3) << 3);
  const length = state.length + byteLength;
  if (bits < 32) return finish(h1, tail | (last << tailBits), bits, length);
  // tailBits > 0 here, so the shift below is by less than 32.
  return finish(mixBlock(h1, tail | (last << tailBits)), last >>> (32 - tailBits), bits - 32, length);
}

/** murmur3 of (the bytes absorbed into `state`) followed by the latin1 bytes of `text` (code units' low bytes). */
export function hashFromLatin1(state: PrefixState, text: string): number {
  let h1 = state.h1;
  let tail = state.tail;
  let tailBits = state.tailBits;
  for (let i = 0; i < text.length; i++) {
    tail |= (text.charCodeAt(i) & 0xff) << tailBits;
    tailBits += 8;
    if (tailBits === 32) {
      h1 = mixBlock(h1, tail);
      tail = 0;
      tailBits = 0;
    }
  }
  return finish(h1, tail, tailBits, state.length + text.length);
}

/** hashFrom's path for text with non-ASCII characters, byte by byte from `text[i]`. */
function hashRest(
  h1: number,
  tail: number,
  tailBits: number,
  length: number,
  text: string,
  i: number,
): number {
  const end = text.length;
  while (i < end) {
    let code = text.charCodeAt(i++);
    // `encoded` holds the character's UTF-8 bytes little-endian; `byteCount` how many.
    let encoded: number;
    let byteCount: number;
    if (code < 0x80) {
      encoded = code;
      byteCount = 1;
    } else if (code < 0x800) {
      encoded = 0xc0 | (code >> 6) | ((0x80 | (code & 0x3f)) << 8);
      byteCount = 2;
    } else {
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = i < end ? text.charCodeAt(i) : 0;
        if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
          i++;
        } else {
          code = 0xfffd; // a lone surrogate, as TextEncoder encodes it
        }
      }
      if (code < 0x10000) {
        encoded = 0xe0 | (code >> 12) | ((0x80 | ((code >> 6) & 0x3f)) << 8) | ((0x80 | (code & 0x3f)) << 16);
        byteCount = 3;
      } else {
        encoded =
          0xf0 |
          (code >> 18) |
          ((0x80 | ((code >> 12) & 0x3f)) << 8) |
          ((0x80 | ((code >> 6) & 0x3f)) << 16) |
          ((0x80 | (code & 0x3f)) << 24);
        byteCount = 4;
      }
    }
    length += byteCount;
    for (; byteCount > 0; byteCount--) {
      tail |= (encoded & 0xff) << tailBits;
      encoded >>>= 8;
      tailBits += 8;
      if (tailBits === 32) {
        h1 = mixBlock(h1, tail);
        tail = 0;
        tailBits = 0;
      }
    }
  }
  return finish(h1, tail, tailBits, length);
}

/** murmurhash3_x86_32 of the bytes of `text` (UTF-8, or latin1), as an unsigned 32-bit integer. */
export function murmur3(text: string, seed: number, encoding: HashEncoding = 'utf8'): number {
  const empty = { h1: seed | 0, tail: 0, tailBits: 0, length: 0 };
  return encoding === 'latin1' ? hashFromLatin1(empty, text) : hashFrom(empty, text);
}

/** Bucket count of rollouts and inBuckets clauses that do not set one: weights in units of 0.001 %. */
export const DEFAULT_BUCKETS = 100_000;

/**
 * The bucket of `value` in a rollout salted with `salt`: `murmur3(salt + ":" + value, seed) % buckets`, the
 * same bucket evaluation computes (a rollout's salt defaults to the flag key).
 *
 * @example
 * ```ts
 * bucketOf('checkout-v2', 'u-42'); // 0 … 99_999; below 25_000 means inside a first 25 % weight
 * ```
 */
export function bucketOf(
  salt: string,
  value: string,
  seed = 0,
  buckets = DEFAULT_BUCKETS,
  encoding: HashEncoding = 'utf8',
): number {
  return bucketOfHash(murmur3(salt + ':' + value, seed, encoding), buckets);
}

/** The hash of a value after a prefix state, in the given encoding (chosen once, at compile time). */
export function hasherFor(encoding: HashEncoding | undefined): (state: PrefixState, text: string) => number {
  return encoding === 'latin1' ? hashFromLatin1 : hashFrom;
}

/**
 * `hash % buckets`, computed without `%`: V8 runs `%` on numbers above 2^31 through a slow floating-point
 * modulo. The quotient is exact: for integers below 2^32 the double division cannot round up to the next
 * integer.
 */
export function bucketOfHash(hash: number, buckets: number): number {
  return hash - Math.floor(hash / buckets) * buckets;
}
