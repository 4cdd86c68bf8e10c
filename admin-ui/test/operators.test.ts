import { OPERATORS as CONTRACT_OPERATORS } from '@switchboard/core';
import { describe, expect, it } from 'vitest';
import { formatValues, localInputToIso, OPERATORS, parseValues } from '../src/operators';

describe('operators', () => {
  it('offers every operator of the flag document contract', () => {
    expect(OPERATORS.map((o) => o.op).sort()).toEqual([...CONTRACT_OPERATORS].sort());
  });
});

describe('parseValues', () => {
  it('reads one text value per line, ignoring blank lines and surrounding spaces', () => {
    expect(parseValues('text', ' DE\n\nFR \n')).toEqual({ values: ['DE', 'FR'], problem: null });
  });

  it('turns number values into numbers and names the first one that is not', () => {
    expect(parseValues('number', '3\n4.5')).toEqual({ values: [3, 4.5], problem: null });
    expect(parseValues('number', '3\nlots').problem).toBe('“lots” is not a number');
  });

  it('checks versions', () => {
    expect(parseValues('semver', '2.3.0\n1.0.0-beta.1').problem).toBeNull();
    expect(parseValues('semver', '2.3').problem).toBe('“2.3” is not a version like 2.3.0');
  });

  it('checks regular expressions as the server does (RE2 syntax)', () => {
    expect(parseValues('regex', '^user-[0-9]+$').problem).toBeNull();
    expect(parseValues('regex', '([').problem).toBe("missing ']' at 2");
    // JavaScript accepts backreferences; the server's linear-time engine refuses them, and so does the form.
    expect(parseValues('regex', '(a)\\1').problem).toBe('backreferences are not supported at 5');
  });

  it('needs a value except for exists', () => {
    expect(parseValues('text', '  ').problem).toBe('needs at least one value');
    expect(parseValues('none', '')).toEqual({ values: [], problem: null });
  });

  it('formats values back to the same text', () => {
    expect(formatValues('number', parseValues('number', '3\n4.5').values)).toBe('3\n4.5');
  });

  it('turns a local date-time input into an ISO instant', () => {
    const iso = localInputToIso('2030-01-02T03:04');
    expect(new Date(iso).getTime()).toBe(new Date(2030, 0, 2, 3, 4).getTime());
    expect(localInputToIso('not a date')).toBe('');
  });
});
