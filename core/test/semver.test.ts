import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSemver, parseSemver } from '@switchboard/core';

const parse = (text: string) => {
  const version = parseSemver(text);
  if (version === null) throw new Error(`not semver: ${text}`);
  return version;
};
const sign = (n: number) => Math.sign(n);

describe('semver', () => {
  it('orders versions by semver 2.0 precedence (the specification’s own example)', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.1.0',
      '1.10.0',
      '2.0.0',
      '10.0.0',
    ];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        expect(sign(compareSemver(parse(ordered[i] as string), parse(ordered[j] as string)))).toBe(
          sign(i - j),
        );
      }
    }
  });

  it('ignores build metadata', () => {
    expect(compareSemver(parse('1.2.3+build.1'), parse('1.2.3+other'))).toBe(0);
    expect(compareSemver(parse('1.2.3-rc.1+b'), parse('1.2.3-rc.1'))).toBe(0);
  });

  it.each([
    '1.2',
    '1',
    'v1.2.3',
    '01.2.3',
    '1.02.3',
    '1.2.3-01',
    '1.2.3-',
    '1.2.3+',
    '1.2.3.4',
    ' 1.2.3',
    '',
    '1.2.3-a..b',
    '99999999999999999.0.0',
  ])('rejects %j', (text) => {
    expect(parseSemver(text)).toBeNull();
  });

  it('parses what it formats', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.array(fc.oneof(fc.nat(), fc.stringMatching(/^[a-z][a-z0-9-]{0,5}$/)), { maxLength: 3 }),
        (a, b, c, pre) => {
          const text = `${a}.${b}.${c}${pre.length ? '-' + pre.join('.') : ''}`;
          expect(parseSemver(text)).toEqual({ major: a, minor: b, patch: c, prerelease: pre });
        },
      ),
    );
  });

  it('compares numerically, not lexically', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        expect(sign(compareSemver(parse(`1.${a}.0`), parse(`1.${b}.0`)))).toBe(sign(a - b));
      }),
    );
  });
});
