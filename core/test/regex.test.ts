import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { regexProblem } from '@switchboard/core';
import { compileRegex } from '../src/regex';

/** Patterns in the supported subset, whose JavaScript meaning (with the u flag) the engine must reproduce. */
const PATTERNS = [
  'abc',
  '^abc$',
  'a|b|c',
  '^(ab|a)c',
  '(?:ab)+',
  'a*b',
  'a+?b',
  'a?b?c?',
  'a{2}',
  'a{2,}',
  'a{1,3}b',
  '[abc]',
  '[^abc]',
  '[a-c]+$',
  '[\\d.]+',
  '\\d+\\.\\d+',
  '\\w+',
  '\\W',
  '\\s',
  '\\S+',
  '\\bab\\b',
  '\\Bb',
  '^.$',
  '^..$',
  'a.c',
  '(?<name>a|b)c',
  '\\.',
  '\\$',
  '[\\]\\-]',
  'x{',
  '}',
  '😀+',
  '[😀-😂]',
  '\\u0041',
  '\\x41',
  '\\u{1F600}',
  '^$',
  '(a*)*b',
  '(a|ab)(c|bcd)(d*)',
  '[-a]',
  '[a-]',
  '\\t\\n',
];
const ALPHABET = [
  'a',
  'b',
  'c',
  'd',
  '.',
  '1',
  ' ',
  '\n',
  '😀',
  '😁',
  'A',
  '-',
  ']',
  '{',
  '}',
  '$',
  '\t',
  'é',
];
/** JavaScript's reading of `pattern`: with the u flag (code points), or without it where u rejects the syntax. */
function nativeRegExp(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return new RegExp(pattern);
  }
}
const inputs = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 12 }).map((parts) => parts.join(''));

describe('matches regular expressions', () => {
  it('agree with JavaScript RegExp (u flag) on the supported subset', () => {
    for (const pattern of PATTERNS) {
      const engine = compileRegex(pattern);
      const native = nativeRegExp(pattern);
      fc.assert(
        fc.property(inputs, (input) => {
          expect(engine(input)).toBe(native.test(input));
        }),
        { numRuns: 200 },
      );
    }
  });

  it.each(
    (
      [
        ['(a)\\1', 'backreferences are not supported'],
        ['\\k<x>', 'backreferences are not supported'],
        ['(?=a)', 'lookahead and lookbehind are not supported'],
        ['(?<!a)b', 'lookahead and lookbehind are not supported'],
        ['(a', "missing ')'"],
        ['a)', "unmatched ')'"],
        ['*a', 'nothing to repeat'],
        ['^*', 'nothing to repeat'],
        ['[b-a]', 'range out of order'],
        ['a{3,1}', 'numbers out of order'],
        ['\\p{L}', 'unsupported escape'],
        ['a{1001}', 'repetition over 1000'],
        ['((a{50}){50})', 'pattern too complex'],
        ['a'.repeat(501), 'longer than 500 characters'],
        ['[abc', "missing ']'"],
      ] as Array<[string, string]>
    ).map(([pattern, problem]) => [
      pattern.length > 30 ? `${pattern.slice(0, 10)}… (${pattern.length} chars)` : pattern,
      pattern,
      problem,
    ]),
  )('rejects %s', (_label, pattern, problem) => {
    expect(regexProblem(pattern)).toContain(problem);
  });

  it('accepts the supported syntax', () => {
    for (const pattern of PATTERNS) expect(regexProblem(pattern)).toBeNull();
  });

  it('runs nested quantifiers in linear time instead of backtracking', () => {
    // With a backtracking engine these take longer than the age of the universe.
    const input = 'a'.repeat(900) + '!';
    expect(compileRegex('^(a+)+$')(input)).toBe(false);
    expect(compileRegex('^(a|a)*$')(input)).toBe(false);
    expect(compileRegex('(x+x+)+y')('x'.repeat(900))).toBe(false);
  });

  it('reuses its state between calls', () => {
    const tester = compileRegex('^a+b$');
    expect([tester('aab'), tester('aa'), tester('ab'), tester('b')]).toEqual([true, false, true, false]);
  });
});
