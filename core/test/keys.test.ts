import { describe, expect, it } from 'vitest';
import { keyProblem } from '@switchboard/core';

describe('keyProblem', () => {
  it.each([
    'checkout-v2',
    'Feature.UTF-8.Hellø_Wørld',
    'a',
    'UPPER_lower',
    '日本語のフラグ',
    '😀-flag',
    'with:colon',
    '%41',
    'a'.repeat(200),
    '😀'.repeat(200), // 200 code points, 400 UTF-16 code units
  ])('accepts %s', (key) => {
    expect(keyProblem(key)).toBeNull();
  });

  it.each([
    ['', 'must not be empty'],
    ['a'.repeat(201), 'at most 200 characters'],
    ['😀'.repeat(201), 'at most 200 characters'],
    ['a/b', "'/'"],
    ['a b', 'whitespace'],
    ['tab\there', 'whitespace'],
    ['new\nline', 'whitespace'],
    ['\u00a0nbsp', 'whitespace'],
    ['bell\u0007', 'control characters'],
    ['del\u007f', 'control characters'],
    ['lone\ud800', 'lone surrogates'],
    ['\udc00low-first', 'lone surrogates'],
    ['\ud800\ud800', 'lone surrogates'],
    ['.', "'.' or '..'"],
    ['..', "'.' or '..'"],
  ])('rejects %j', (key, problem) => {
    expect(keyProblem(key)).toContain(problem);
  });

  it('valid keys survive a trip through a URL path segment', () => {
    for (const key of ['Feature.UTF-8.Hellø_Wørld', 'a?b#c%d', '...', '😀']) {
      expect(keyProblem(key)).toBeNull();
      const url = new URL(`https://example.test/api/v1/flags/${encodeURIComponent(key)}`);
      expect(decodeURIComponent(url.pathname.split('/').pop() as string)).toBe(key);
    }
  });
});
