import fc from 'fast-check';
import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { bucketOf, murmur3 } from '@switchboard/core';
import { armHashMemo, hashFrom, hashFromLatin1, prefixState } from '../src/murmur3';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const reference = (text: string, seed: number): number => murmurhash.v3(utf8(text), seed);
/** Node's latin1: the low byte of each UTF-16 code unit. */
const latin1 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

/** Strings of arbitrary UTF-16 code units: lone surrogates included. */
const codeUnitStrings = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
});
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  codeUnitStrings,
);
const seeds = fc.integer({ min: 0, max: 0xffffffff });

describe('murmur3', () => {
  it('reproduces the documented check values', () => {
    expect(murmur3('checkout-v2:user-1', 0)).toBe(3034399361);
    expect(bucketOf('checkout-v2', 'user-1')).toBe(99361);
    expect(bucketOf('checkout-v2', 'alice')).toBe(73564);
    expect(bucketOf('checkout-v2', 'user-2')).toBe(75636);
  });

  it('equals the murmurhash package (v3 over TextEncoder bytes) for any string and seed', () => {
    fc.assert(
      fc.property(anyText, seeds, (text, seed) => {
        expect(murmur3(text, seed)).toBe(reference(text, seed));
      }),
      { numRuns: 2000 },
    );
  });

  it('hashes lone surrogates as U+FFFD, like TextEncoder', () => {
    for (const text of ['\ud800', 'a\udc00b', '\udbff\ud800', 'x\ud83d', '\ud83d\ude00\ude00']) {
      expect(murmur3(text, 0)).toBe(reference(text, 0));
    }
    expect(murmur3('\ud800', 0)).toBe(murmur3('\ufffd', 0));
  });

  it('hashing from a prefix state equals hashing the concatenation', () => {
    // Prefixes are a rollout's `salt + ":"`: they never end inside a surrogate pair (a prefix ending in a
    // lone high surrogate would hash it as U+FFFD, while the concatenation could complete the pair).
    fc.assert(
      fc.property(anyText, anyText, seeds, (salt, rest, seed) => {
        expect(hashFrom(prefixState(`${salt}:`, seed), rest)).toBe(murmur3(`${salt}:${rest}`, seed));
      }),
      { numRuns: 2000 },
    );
  });

  it('hashes a text again under other prefixes (from its kept words) exactly as the first time', () => {
    // The same id under several rollouts' prefixes of every length mod 4, interleaved with other texts:
    // ASCII ones (kept), long ones (not kept) and non-ASCII ones (not kept, and not mixed up with the kept).
    const asciiText = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 300,
    });
    const salts = fc.array(fc.string({ maxLength: 9 }), { minLength: 1, maxLength: 6 });
    const wasArmed = armHashMemo(true);
    try {
      fc.assert(
        fc.property(fc.oneof(asciiText, anyText), anyText, salts, seeds, (text, other, saltList, seed) => {
          for (const salt of saltList) {
            const state = prefixState(`${salt}:`, seed);
            const expected = reference(`${salt}:${text}`, seed);
            expect(hashFrom(state, text)).toBe(expected);
            expect(hashFrom(state, text)).toBe(expected);
            expect(hashFrom(state, other)).toBe(reference(`${salt}:${other}`, seed));
            expect(hashFrom(state, text)).toBe(expected);
            armHashMemo(false); // unarmed in between: the kept words stay valid
            expect(hashFrom(state, other)).toBe(reference(`${salt}:${other}`, seed));
            armHashMemo(true);
            expect(hashFrom(state, text)).toBe(expected);
          }
        }),
        { numRuns: 1000 },
      );
    } finally {
      armHashMemo(wasArmed);
    }
  });

  it("hashes latin1 bytes (each code unit's low byte) when asked, and agrees with UTF-8 on ASCII", () => {
    fc.assert(
      fc.property(anyText, anyText, seeds, (prefix, rest, seed) => {
        expect(murmur3(prefix + rest, seed, 'latin1')).toBe(murmurhash.v3(latin1(prefix + rest), seed));
        expect(hashFromLatin1(prefixState(prefix, seed, 'latin1'), rest)).toBe(
          murmur3(prefix + rest, seed, 'latin1'),
        );
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) }),
        seeds,
        (ascii, seed) => {
          expect(murmur3(ascii, seed, 'latin1')).toBe(murmur3(ascii, seed));
        },
      ),
    );
    expect(murmur3('ü', 0, 'latin1')).not.toBe(murmur3('ü', 0));
    expect(bucketOf('g', 'ü', 0, 100, 'latin1')).toBe(murmurhash.v3(latin1('g:ü'), 0) % 100);
  });

  it('bucketOf applies the seed and the bucket count', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        seeds,
        fc.integer({ min: 1, max: 2 ** 32 }),
        (salt, value, seed, buckets) => {
          expect(bucketOf(salt, value, seed, buckets)).toBe(reference(`${salt}:${value}`, seed) % buckets);
        },
      ),
    );
  });
});
