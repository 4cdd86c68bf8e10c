/** Semantic Versioning 2.0.0 parsing and precedence. */

/** A parsed semantic version (see `parseSemver`). */
export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Pre-release identifiers; numeric ones as numbers. Empty for a release. Build metadata is dropped. */
  readonly prerelease: ReadonlyArray<string | number>;
}

const NUMERIC = '0|[1-9]\\d*';
const PRERELEASE_ID = '(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)';
const SEMVER = new RegExp(
  `^(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})` +
    `(?:-(${PRERELEASE_ID}(?:\\.${PRERELEASE_ID})*))?` +
    `(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?$`,
);
const DIGITS = /^\d+$/;
/** Longest input considered; real versions are far shorter, and this bounds the regex's work. */
const MAX_SEMVER_LENGTH = 256;

/**
 * Parses a strict semver 2.0 string ("1.2.3", "1.2.3-rc.1+build"); no "v" prefix, no partial versions, no
 * surrounding whitespace. Null when `text` is not one (or longer than 256 characters).
 */
export function parseSemver(text: string): SemVer | null {
  if (text.length > MAX_SEMVER_LENGTH) return null;
  return parseRelease(text) ?? parseFull(text);
}

const NO_PRERELEASE: ReadonlyArray<string | number> = Object.freeze([]);

/** Where scanRelease leaves the numbers it read (evaluation is synchronous, so one scratch serves all). */
const scanned = { major: 0, minor: 0, patch: 0 };

/**
 * Reads text of the common "MAJOR.MINOR.PATCH" form into `scanned`, without a regex or allocation:
 * context values are read on every evaluation. False for anything else (which parseFull then decides).
 */
function scanRelease(text: string): boolean {
  let major = 0;
  let minor = 0;
  let number = 0;
  let part = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x30 && code <= 0x39) {
      // No leading zeros; at most 15 digits, so the number is exact (longer ones are left to parseFull).
      if ((digits === 1 && number === 0) || digits === 15) return false;
      number = number * 10 + (code - 0x30);
      digits++;
    } else if (code === 0x2e && digits > 0 && part < 2) {
      if (part === 0) major = number;
      else minor = number;
      part++;
      number = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (part !== 2 || digits === 0) return false;
  scanned.major = major;
  scanned.minor = minor;
  scanned.patch = number;
  return true;
}

function parseRelease(text: string): SemVer | null {
  if (!scanRelease(text)) return null;
  return { major: scanned.major, minor: scanned.minor, patch: scanned.patch, prerelease: NO_PRERELEASE };
}

/**
 * compareSemver(parseSemver(text), bound) for text of the "MAJOR.MINOR.PATCH" form, without building the
 * parse; undefined for any other text (the caller parses it fully).
 */
export function compareReleaseText(text: string, bound: SemVer): number | undefined {
  if (!scanRelease(text)) return undefined;
  if (scanned.major !== bound.major) return scanned.major - bound.major;
  if (scanned.minor !== bound.minor) return scanned.minor - bound.minor;
  if (scanned.patch !== bound.patch) return scanned.patch - bound.patch;
  // A release has higher precedence than any of its pre-releases.
  return bound.prerelease.length;
}

function parseFull(text: string): SemVer | null {
  const match = SEMVER.exec(text);
  if (match === null) return null;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const patch = Number(match[3]);
  if (!Number.isSafeInteger(major) || !Number.isSafeInteger(minor) || !Number.isSafeInteger(patch))
    return null;
  const prerelease: Array<string | number> = [];
  if (match[4] !== undefined) {
    for (const id of match[4].split('.')) {
      if (DIGITS.test(id)) {
        const n = Number(id);
        if (!Number.isSafeInteger(n)) return null;
        prerelease.push(n);
      } else {
        prerelease.push(id);
      }
    }
  }
  return { major, minor, patch, prerelease };
}

function compareIdentifiers(a: string | number, b: string | number): number {
  if (typeof a === 'number') {
    if (typeof b === 'number') return a - b;
    return -1; // numeric identifiers have lower precedence than alphanumeric ones
  }
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative, zero or positive as `a` has lower, equal or higher precedence than `b`. */
export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  const pa = a.prerelease;
  const pb = b.prerelease;
  // A release has higher precedence than any of its pre-releases.
  if (pa.length === 0 || pb.length === 0) return pb.length - pa.length;
  const shared = Math.min(pa.length, pb.length);
  for (let i = 0; i < shared; i++) {
    const order = compareIdentifiers(pa[i] as string | number, pb[i] as string | number);
    if (order !== 0) return order;
  }
  return pa.length - pb.length;
}
