/** Maximum length of a flag, segment or environment key, in Unicode code points. */
export const MAX_KEY_LENGTH = 200;

const FORBIDDEN_CHARACTER = /[\s\p{Cc}/]/u;

/** Whether `text` has a surrogate that is not part of a pair (a manual scan: lookbehind needs newer browsers). */
function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return true;
    i++; // a valid pair
  }
  return false;
}

/**
 * Why `key` is not a valid flag, segment or environment key, or null when it is valid.
 * Keys are 1–200 Unicode characters (code points), case-sensitive, without whitespace, control characters
 * or '/'. They must also survive a trip through a URL path segment: well-formed Unicode (no lone
 * surrogates, which `encodeURIComponent` rejects) and not "." or ".." (which URL resolution removes).
 */
export function keyProblem(key: string): string | null {
  if (typeof key !== 'string' || key.length === 0) return 'must not be empty';
  if (hasLoneSurrogate(key)) return 'must be well-formed Unicode (no lone surrogates)';
  let codePoints = 0;
  for (const _ of key) codePoints++;
  if (codePoints > MAX_KEY_LENGTH) return `must be at most ${MAX_KEY_LENGTH} characters (has ${codePoints})`;
  if (FORBIDDEN_CHARACTER.test(key)) return "must not contain whitespace, control characters or '/'";
  if (key === '.' || key === '..') return "must not be '.' or '..'";
  return null;
}
