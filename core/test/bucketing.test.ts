import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketOf } from '@switchboard/core';
import { compile, percentageFlag, randomUserIds, seededRandom } from './helpers';

const USERS = randomUserIds(100_000, seededRandom(20250131));
/** Chi-square critical values at p = 0.001, by degrees of freedom. */
const CHI_SQUARE_CRITICAL = { 1: 10.828, 99: 148.23 } as const;

function chiSquare(observed: number[], expected: number[]): number {
  return observed.reduce(
    (sum, o, i) => sum + (o - (expected[i] as number)) ** 2 / (expected[i] as number),
    0,
  );
}

function servedOn(flagKey: string, weight: number, users: readonly string[]): boolean[] {
  const ruleset = compile([percentageFlag(flagKey, weight)]);
  return users.map((userId) => ruleset.evaluate(flagKey, { userId }).value === true);
}

describe('percentage rollouts', () => {
  it('ramping up is monotonic: a user served "on" at weight w stays "on" at any w′ ≥ w', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string(),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (flagKey, userId, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          const ruleset = compile([
            percentageFlag('low', low, { salt: flagKey }),
            percentageFlag('high', high, { salt: flagKey }),
          ]);
          const onAtLow = ruleset.evaluate('low', { userId }).value === true;
          const onAtHigh = ruleset.evaluate('high', { userId }).value === true;
          expect(!onAtLow || onAtHigh).toBe(true);
        },
      ),
    );
  });

  it('serves "on" exactly to the users whose bucket is below the weight', () => {
    const ruleset = compile([percentageFlag('checkout-v2', 25_000)]);
    for (const userId of USERS.slice(0, 2_000)) {
      expect(ruleset.evaluate('checkout-v2', { userId }).value).toBe(
        bucketOf('checkout-v2', userId) < 25_000,
      );
    }
  });

  it.each([10, 25, 50])(
    'a %i%% split serves that share of 100k random users (chi-square, p = 0.001)',
    (percent) => {
      const on = servedOn('uniformity', percent * 1_000, USERS).filter(Boolean).length;
      const expectedOn = (USERS.length * percent) / 100;
      const statistic = chiSquare([on, USERS.length - on], [expectedOn, USERS.length - expectedOn]);
      expect(statistic).toBeLessThan(CHI_SQUARE_CRITICAL[1]);
    },
  );

  it('buckets are uniform over 100 equal ranges (chi-square, p = 0.001)', () => {
    const counts = new Array<number>(100).fill(0);
    for (const userId of USERS) {
      const range = Math.floor(bucketOf('uniformity', userId) / 1_000);
      counts[range] = (counts[range] as number) + 1;
    }
    expect(chiSquare(counts, new Array<number>(100).fill(USERS.length / 100))).toBeLessThan(
      CHI_SQUARE_CRITICAL[99],
    );
  });

  it.each([
    [50, 50],
    [10, 25],
  ])(
    'two flags (%i%% and %i%%) bucket independently: membership in one says nothing about the other',
    (pa, pb) => {
      const inA = servedOn('flag-a', pa * 1_000, USERS);
      const inB = servedOn('flag-b', pb * 1_000, USERS);
      const table = [0, 0, 0, 0]; // [A∧B, A∧¬B, ¬A∧B, ¬A∧¬B]
      inA.forEach((a, i) => {
        const cell = (a ? 0 : 2) + (inB[i] ? 0 : 1);
        table[cell] = (table[cell] as number) + 1;
      });
      const n = USERS.length;
      const a = (table[0] as number) + (table[1] as number);
      const b = (table[0] as number) + (table[2] as number);
      const expected = [(a * b) / n, (a * (n - b)) / n, ((n - a) * b) / n, ((n - a) * (n - b)) / n];
      expect(chiSquare(table, expected)).toBeLessThan(CHI_SQUARE_CRITICAL[1]);
      // And the overlap is near the product of the shares.
      expect(Math.abs((table[0] as number) / n - (pa / 100) * (pb / 100))).toBeLessThan(0.01);
    },
  );

  it('hashes a finite number userId as its String() form', () => {
    const ruleset = compile([percentageFlag('numeric', 50_000)]);
    for (const id of [0, 7, 12345, -3, 1.5, 1e21]) {
      expect(ruleset.evaluate('numeric', { userId: id })).toEqual(
        ruleset.evaluate('numeric', { userId: String(id) }),
      );
    }
  });

  it('a missing bucketBy attribute serves the off variant with TARGETING_KEY_MISSING, whatever the weights', () => {
    for (const weight of [0, 1, 50_000, 100_000]) {
      const ruleset = compile([percentageFlag('rollout', weight)]);
      for (const userId of [undefined, null, true, Number.NaN, Infinity, ['alice'], { id: 'alice' }]) {
        expect(ruleset.evaluate('rollout', { userId })).toEqual({
          value: false,
          variant: 'off',
          reason: 'ERROR',
          errorCode: 'TARGETING_KEY_MISSING',
        });
      }
    }
  });

  it('honours custom salt, seed and bucket count', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 2, max: 1_000 }),
        (salt, userId, seed, buckets) => {
          const threshold = Math.floor(buckets / 2);
          const ruleset = compile([percentageFlag('custom', threshold, { salt, seed, buckets })]);
          const on = ruleset.evaluate('custom', { userId }).value === true;
          expect(on).toBe(bucketOf(salt, userId, seed, buckets) < threshold);
        },
      ),
    );
  });
});
