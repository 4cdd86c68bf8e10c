import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { regexProblem, regexSupport } from '@switchboard/core';
import { compileRegex } from '../src/regex';

/** Letters whose case folds across scripts and code point ranges: the cases a naive toLowerCase gets wrong. */
const FOLDING_ALPHABET = [
  'k',
  'K',
  '\u212a',
  's',
  'S',
  '\u017f',
  'ß',
  'ẞ',
  'ı',
  'I',
  'i',
  'σ',
  'ς',
  'Σ',
  'é',
  'É',
  '1',
  '-',
];
const foldingInputs = fc
  .array(fc.constantFrom(...FOLDING_ALPHABET), { maxLength: 6 })
  .map((parts) => parts.join(''));

describe('case-insensitive matching', () => {
  it('agrees with JavaScript RegExp (iu flags)', () => {
    for (const pattern of ['k', '^s+$', '[a-z]', '[^k]', '\\w', '\\W', 'ß', 'σ', '[é-ê]', 'K\\b']) {
      const engine = compileRegex(pattern, { caseInsensitive: true });
      const native = new RegExp(pattern, 'iu');
      fc.assert(
        fc.property(foldingInputs, (input) => {
          expect({ pattern, input, match: engine(input) }).toEqual({
            pattern,
            input,
            match: native.test(input),
          });
        }),
        { numRuns: 150 },
      );
    }
  });

  it('applies to the RE2 syntax too, and (?i) turns it on for the rest of the group', () => {
    expect(compileRegex('^abc$', { syntax: 're2', caseInsensitive: true })('AbC')).toBe(true);
    const inline = compileRegex('^a(?i)b|c$', { syntax: 're2' });
    expect([inline('aB'), inline('AB'), inline('C')]).toEqual([true, false, true]);
    const scoped = compileRegex('^(?i:a)b$', { syntax: 're2' });
    expect([scoped('Ab'), scoped('AB')]).toEqual([true, false]);
    expect(compileRegex('(?i)k', { syntax: 're2' })('\u212a')).toBe(true);
    expect(compileRegex('(?i)(?-i)k', { syntax: 're2' })('K')).toBe(false);
  });
});

/** [pattern, input, expected] under RE2 semantics. */
const RE2_CASES: Array<[string, string, boolean]> = [
  // `.` excludes only \n; \s is [\t\n\f\r ] (no \v); \d \w \b are ASCII.
  ['^a.b$', 'a\rb', true],
  ['^a.b$', 'a\nb', false],
  ['^(?s)a.b$', 'a\nb', true],
  ['^\\s$', '\u000b', false],
  ['^\\s$', '\f', true],
  ['^\\w$', 'é', false],
  // `$` is the end of the text; (?m) anchors at \n only.
  ['a$', 'a\n', false],
  ['(?m)^foo$', 'x\nfoo\ny', true],
  ['(?m)^foo$', 'x\rfoo\ry', false],
  ['(?m)\\Afoo', 'x\nfoo', false],
  ['(?m)foo\\z', 'foo\nx', false],
  // POSIX classes, negated ones, and a '[' that starts no class name.
  ['^[[:alpha:]]+$', 'AlphaBeta', true],
  ['^[[:alpha:]]+$', 'Alpha1', false],
  ['^[[:^digit:]]+$', 'abc', true],
  ['^[[:xdigit:]]+$', 'c0ffee', true],
  ['^[[a]+$', '[a[', true],
  // `]` first in a class is literal; `-` at either end is literal.
  ['^[]a]+$', 'a]a', true],
  ['^[a-]+$', 'a-', true],
  // \Q…\E quotes; a repetition after it repeats its last character.
  ['^\\Qa.b\\E$', 'a.b', true],
  ['^\\Qa.b\\E$', 'axb', false],
  ['^\\Qab\\E+$', 'abbb', true],
  ['^\\Qab\\E+$', 'abab', false],
  // Escapes: octal, \x{…}, \a, escaped punctuation.
  ['^\\101\\x{42}\\x43$', 'ABC', true],
  ['^\\0$', '\u0000', true],
  ['^\\a$', '\u0007', true],
  ['^\\_\\ $', '_ ', true],
  // Named groups both ways; a brace that is no repetition is a literal.
  ['^(?P<x>a)(?<y>b)$', 'ab', true],
  ['^a{01}$', 'a{01}', true],
  ['^x{,3}$', 'x{,3}', true],
  // A repeated empty-width assertion is allowed.
  ['^*a', 'a', true],
  // Non-greedy and ungreedy forms match the same strings.
  ['^(?U)a+$', 'aaa', true],
  ['^a.*?b$', 'a___b___b', true],
];

describe('RE2 syntax', () => {
  it.each(RE2_CASES.map(([pattern, input, expected]) => [pattern, JSON.stringify(input), input, expected]))(
    '%s on %s',
    (pattern, _label, input, expected) => {
      expect(compileRegex(pattern as string, { syntax: 're2' })(input as string)).toBe(expected);
    },
  );

  it.each([
    ['(regex', 'missing'],
    ['^(?=a)b$', 'invalid or unsupported Perl syntax'],
    ['^(a)\\1$', 'invalid escape'],
    ['a**', 'invalid nested repetition'],
    ['a{2}{3}', 'invalid nested repetition'],
    ['a{1001}', 'invalid repeat count'],
    ['a{123456789}', 'invalid repeat count'],
    ['a{2,1}', 'invalid repeat count'],
    ['(a{2}){600}', 'invalid repeat count'],
    ['*a', 'missing argument'],
    ['a|*', 'missing argument'],
    ['[[:foo:]]', 'invalid character class'],
    ['[b-a]', 'invalid character class range'],
    ['[a', 'missing closing ]'],
    ['\\C', 'invalid escape'],
    ['\\8', 'invalid escape'],
    ['\\Z', 'invalid escape'],
    ['\\é', 'invalid escape'],
    ['(?P<n>a)(?P<n>b)', 'duplicate capture group name'],
    ['(?P<>a)', 'invalid named capture'],
    ['(?i-)a', 'missing flags after -'],
    ['a)', "unexpected ')'"],
  ])('rejects %s as invalid RE2', (pattern, problem) => {
    expect(regexSupport(pattern, { syntax: 're2' })).toBe('invalid');
    expect(regexProblem(pattern, { syntax: 're2' })).toContain(problem);
  });

  it('reports valid RE2 it cannot run as unsupported, not invalid', () => {
    for (const pattern of ['\\pL', '\\p{Greek}', '[\\pN]', 'a(?i)*', 'a'.repeat(501), '((abc){30}){30}'])
      expect(regexSupport(pattern, { syntax: 're2' })).toBe('unsupported');
    expect(regexSupport('(a{2}){500}', { syntax: 're2' })).toBe('valid');
  });

  it('classifies the JavaScript syntax the same way', () => {
    expect(regexSupport('(?=a)')).toBe('unsupported');
    expect(regexSupport('(a)\\1')).toBe('unsupported');
    expect(regexSupport('a{1001}')).toBe('unsupported');
    expect(regexSupport('(a')).toBe('invalid');
    expect(regexSupport('^[a-z]+$')).toBe('valid');
  });

  it('keeps the JavaScript meaning of the default syntax', () => {
    // JavaScript's `.` excludes \r, RE2's does not; POSIX brackets are plain classes in JavaScript.
    expect(compileRegex('^a.b$')('a\rb')).toBe(false);
    expect(compileRegex('^a.b$', { syntax: 're2' })('a\rb')).toBe(true);
    expect(compileRegex('^[[:alpha:]]$')(':')).toBe(false);
    expect(compileRegex('^[[:alpha:]]$')('a]')).toBe(true);
  });
});
