import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIsoDate } from '@switchboard/core';

describe('ISO-8601 dates', () => {
  it.each([
    ['2024-01-01', Date.UTC(2024, 0, 1)],
    ['2024-01-01T00:00:00Z', Date.UTC(2024, 0, 1)],
    ['2024-01-01T12:30', Date.UTC(2024, 0, 1, 12, 30)],
    ['2024-01-01T12:30:15.5Z', Date.UTC(2024, 0, 1, 12, 30, 15, 500)],
    ['2024-01-01T12:30:15.123456Z', Date.UTC(2024, 0, 1, 12, 30, 15, 123)],
    ['2024-01-01T01:00:00+01:00', Date.UTC(2024, 0, 1)],
    ['2023-12-31T19:00:00-05:00', Date.UTC(2024, 0, 1)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['0099-01-01', -59042995200000],
  ])('parses %s as UTC', (text, expected) => {
    expect(parseIsoDate(text)).toBe(expected);
  });

  it.each([
    '2023-02-29',
    '2024-13-01',
    '2024-00-10',
    '2024-01-32',
    '2024-01-01T24:00',
    '2024-01-01T12:60',
    'yesterday',
    '2024/01/01',
    '1704067200000',
    '2024-01-01T00:00:00+25:00',
    '',
  ])('rejects %j', (text) => {
    expect(parseIsoDate(text)).toBeNull();
  });

  it('agrees with Date for every toISOString()', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (date) => {
          expect(parseIsoDate(date.toISOString())).toBe(date.getTime());
        },
      ),
    );
  });
});
