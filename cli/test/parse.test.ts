import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors';
import { formatPercent, parseContext, parsePercent, parseSince, parseWeights } from '../src/parse';

describe('parsePercent', () => {
  it('converts percentages with up to three decimals to exact bucket counts', () => {
    expect(parsePercent('25')).toBe(25_000);
    expect(parsePercent('0.001')).toBe(1);
    expect(parsePercent('33.333')).toBe(33_333);
    expect(parsePercent('12.5')).toBe(12_500);
    expect(parsePercent('100')).toBe(100_000);
    expect(parsePercent('0')).toBe(0);
  });

  it.each(['100.001', '101', '1.0001', '-1', '', 'ten', '1e2', '5%'])('rejects %j', (text) => {
    expect(() => parsePercent(text)).toThrow(CliError);
  });
});

describe('parseWeights', () => {
  it('keeps the order given, since variants take consecutive bucket ranges in that order', () => {
    expect(parseWeights('on=25,off=75')).toEqual([
      { variant: 'on', weight: 25_000 },
      { variant: 'off', weight: 75_000 },
    ]);
    expect(parseWeights('a=33.333,b=33.333,c=33.334').map((weight) => weight.weight)).toEqual([
      33_333, 33_333, 33_334,
    ]);
  });

  it('rejects weights that do not add up to 100%, duplicates and malformed pairs', () => {
    expect(() => parseWeights('on=25,off=70')).toThrow('add up to 95%, not 100%');
    expect(() => parseWeights('on=50,on=50')).toThrow('appears twice');
    expect(() => parseWeights('on:50,off:50')).toThrow('variant=percent');
    expect(() => parseWeights('=100')).toThrow('variant=percent');
  });
});

describe('formatPercent', () => {
  it('prints buckets as percentages without float noise', () => {
    expect(formatPercent(25_000)).toBe('25%');
    expect(formatPercent(333)).toBe('0.333%');
    expect(formatPercent(12_340)).toBe('12.34%');
  });
});

describe('parseSince', () => {
  const now = new Date('2025-06-01T12:00:00.000Z');

  it('reads durations back from now', () => {
    expect(parseSince('1h', now).toISOString()).toBe('2025-06-01T11:00:00.000Z');
    expect(parseSince('30m', now).toISOString()).toBe('2025-06-01T11:30:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2025-05-25T12:00:00.000Z');
  });

  it('reads ISO-8601 times and rejects anything else', () => {
    expect(parseSince('2025-05-01T00:00:00Z', now).toISOString()).toBe('2025-05-01T00:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow('expected a duration');
    expect(() => parseSince('1y', now)).toThrow('expected a duration');
  });
});

describe('parseContext', () => {
  it('accepts a JSON object and rejects other JSON or broken text', () => {
    expect(parseContext('{"userId":"u1","plan":"pro"}')).toEqual({ userId: 'u1', plan: 'pro' });
    expect(() => parseContext('["u1"]')).toThrow('expected a JSON object');
    expect(() => parseContext('{userId: u1}')).toThrow('not JSON');
  });
});
