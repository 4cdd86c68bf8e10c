/**
 * Case-insensitive regex sets: the code points that match each other under Unicode simple case folding
 * (what JavaScript's `iu` flags and RE2's `(?i)` use: `k`, `K` and the Kelvin sign `K` form one orbit).
 *
 * The orbits are derived once, on first use, from the engine's own case mappings: every code point's
 * one-character lower- and upper-case forms are candidate partners, kept only when a native `iu` RegExp
 * agrees they match. Only case-insensitive patterns pay for this (some tens of milliseconds, once).
 */

/** Sorted, non-overlapping inclusive ranges [lo0, hi0, lo1, hi1, …] (as in regex.ts). */
type Ranges = number[];

/** The highest code point with a case mapping is below this (Adlam ends at U+1E943). */
const LAST_CASED = 0x1ffff;

/** Code point → every member of its orbit (itself included), for code points that fold to others. */
let orbits: Map<number, readonly number[]> | null = null;

function find(parent: Map<number, number>, x: number): number {
  let root = x;
  while (parent.get(root) !== root) root = parent.get(root) as number;
  while (x !== root) {
    const next = parent.get(x) as number;
    parent.set(x, root);
    x = next;
  }
  return root;
}

function singleCodePoint(text: string): number | null {
  const code = text.codePointAt(0) as number;
  return text.length === (code > 0xffff ? 2 : 1) ? code : null;
}

/** Every code point up to LAST_CASED that has a case mapping, found by one native regex scan. */
function casedCodePoints(): number[] {
  const chunks: string[] = [];
  for (let start = 0; start <= LAST_CASED; start += 0x1000) {
    const codes: number[] = [];
    for (let code = start; code < start + 0x1000 && code <= LAST_CASED; code++)
      if (code < 0xd800 || code > 0xdfff) codes.push(code);
    chunks.push(String.fromCodePoint(...codes));
  }
  return Array.from(
    chunks.join('').matchAll(/\p{Changes_When_Casemapped}/gu),
    (m) => m[0].codePointAt(0) as number,
  );
}

function buildOrbits(): Map<number, readonly number[]> {
  const parent = new Map<number, number>();
  const join = (a: number, b: number): void => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    parent.set(find(parent, a), find(parent, b));
  };
  for (const code of casedCodePoints()) {
    const char = String.fromCodePoint(code);
    for (const mapped of [char.toLowerCase(), char.toUpperCase()]) {
      const partner = singleCodePoint(mapped);
      if (partner === null || partner === code) continue;
      // Case mappings are wider than simple case folding ('ı' upper-cases to 'I' but does not fold to it):
      // a pair whose lower cases differ is kept only when a native `iu` RegExp agrees they match.
      const agree = mapped.toLowerCase() === char.toLowerCase() || mapped.toLowerCase() === char;
      if (agree || new RegExp(`^\\u{${code.toString(16)}}$`, 'iu').test(mapped)) join(code, partner);
    }
  }
  const members = new Map<number, number[]>();
  for (const code of parent.keys()) {
    const root = find(parent, code);
    const orbit = members.get(root) ?? [];
    orbit.push(code);
    members.set(root, orbit);
  }
  const table = new Map<number, readonly number[]>();
  for (const orbit of members.values()) {
    orbit.sort((a, b) => a - b);
    for (const code of orbit) table.set(code, orbit);
  }
  return table;
}

function inRanges(ranges: Ranges, code: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) {
    if (code < (ranges[i] as number)) return false;
    if (code <= (ranges[i + 1] as number)) return true;
  }
  return false;
}

/** `ranges` closed under simple case folding: adds every orbit partner of every member (unsorted). */
export function foldRanges(ranges: Ranges): Ranges {
  orbits ??= buildOrbits();
  const added: number[] = [];
  for (const [code, orbit] of orbits) {
    if (!inRanges(ranges, code)) continue;
    for (const partner of orbit) if (!inRanges(ranges, partner)) added.push(partner, partner);
  }
  return added.length === 0 ? ranges : [...ranges, ...added];
}
