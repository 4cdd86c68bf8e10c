import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSemver, parseSemver } from '@switchboard/core';
import { compareReleaseText } from '../src/semver';

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

  it('compares plain release text as its parse compares, without parsing anything else', () => {
    const part = fc.oneof(fc.nat(12).map(String), fc.constantFrom('01', '00', '', 'x', '1234567890123456'));
    const text = fc.oneof(
      fc.tuple(part, part, part).map((parts) => parts.join('.')),
      fc
        .tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.constantFrom('-rc.1', '+b', ' ', '.0'))
        .map(([a, b, c, tail]) => `${a}.${b}.${c}${tail}`),
      fc.string({ maxLength: 8 }),
    );
    const bound = fc
      .tuple(fc.nat(12), fc.nat(12), fc.nat(12), fc.constantFrom('', '-rc.1', '-1'))
      .map(([a, b, c, pre]) => parse(`${a}.${b}.${c}${pre}`));
    fc.assert(
      fc.property(text, bound, (candidate, limit) => {
        const order = compareReleaseText(candidate, limit);
        const version = parseSemver(candidate);
        if (/^(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/.test(candidate)) {
          expect(order).not.toBeUndefined();
          expect(sign(order as number)).toBe(sign(compareSemver(version!, limit)));
        } else {
          expect(order).toBeUndefined();
        }
      }),
      { numRuns: 1_000 },
    );
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
