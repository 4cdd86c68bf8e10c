import { describe, expect, it } from 'vitest';
import {
  allocationOf,
  formatPercent,
  movedUsers,
  percentToWeight,
  setShare,
  totalWeight,
  weightToPercent,
} from '../src/rollout';

const split = (on: number) => [
  { variant: 'on', weight: on },
  { variant: 'off', weight: 100_000 - on },
];

describe('percentages and weights', () => {
  it('converts in steps of one bucket (0.001% of 100,000 buckets)', () => {
    expect(percentToWeight(25, 100_000)).toBe(25_000);
    expect(percentToWeight(0.001, 100_000)).toBe(1);
    expect(percentToWeight(12.3456, 100_000)).toBe(12_346);
    expect(weightToPercent(1, 100_000)).toBeCloseTo(0.001, 10);
  });

  it('clamps to the bucket range and treats non-numbers as zero', () => {
    expect(percentToWeight(120, 100_000)).toBe(100_000);
    expect(percentToWeight(-3, 100_000)).toBe(0);
    expect(percentToWeight(Number.NaN, 100_000)).toBe(0);
  });

  it('formats with as many decimals as a bucket needs, without trailing zeros', () => {
    expect(formatPercent(25_000, 100_000)).toBe('25%');
    expect(formatPercent(1, 100_000)).toBe('0.001%');
    expect(formatPercent(33_333, 100_000)).toBe('33.333%');
    expect(formatPercent(12_500, 100_000)).toBe('12.5%');
    expect(formatPercent(37, 100)).toBe('37%');
  });
});

describe('movedUsers', () => {
  it('a ramp from 5% to 25% moves exactly the 20% between them from off to on', () => {
    expect(movedUsers(split(5_000), split(25_000))).toEqual([{ from: 'off', to: 'on', weight: 20_000 }]);
  });

  it('ramping down moves users back the other way', () => {
    expect(movedUsers(split(25_000), split(5_000))).toEqual([{ from: 'on', to: 'off', weight: 20_000 }]);
  });

  it('an unchanged allocation moves nobody', () => {
    expect(movedUsers(split(5_000), split(5_000))).toEqual([]);
  });

  it('from a single variant to a rollout, everyone outside its range moves', () => {
    const before = allocationOf({ variant: 'off' }, 100_000);
    expect(movedUsers(before, split(10_000))).toEqual([{ from: 'off', to: 'on', weight: 10_000 }]);
  });

  it('reordering the ranges moves users even at equal shares', () => {
    const reversed = [
      { variant: 'off', weight: 50_000 },
      { variant: 'on', weight: 50_000 },
    ];
    expect(movedUsers(split(50_000), reversed)).toEqual([
      { from: 'on', to: 'off', weight: 50_000 },
      { from: 'off', to: 'on', weight: 50_000 },
    ]);
  });

  it('counts several transitions and skips empty ranges', () => {
    const before = [
      { variant: 'a', weight: 0 },
      { variant: 'b', weight: 60_000 },
      { variant: 'c', weight: 40_000 },
    ];
    const after = [
      { variant: 'a', weight: 30_000 },
      { variant: 'b', weight: 30_000 },
      { variant: 'c', weight: 40_000 },
    ];
    expect(movedUsers(before, after)).toEqual([{ from: 'b', to: 'a', weight: 30_000 }]);
  });
});

describe('setShare', () => {
  it('takes a larger share from the others, keeping the order of the ranges', () => {
    const next = setShare(split(5_000), 'on', 25_000, 100_000);
    expect(next).toEqual(split(25_000));
  });

  it('takes from the last ranges first when there are several', () => {
    const weights = [
      { variant: 'a', weight: 10_000 },
      { variant: 'b', weight: 50_000 },
      { variant: 'c', weight: 40_000 },
    ];
    const next = setShare(weights, 'a', 70_000, 100_000);
    expect(next.map((w) => w.variant)).toEqual(['a', 'b', 'c']);
    expect(next.map((w) => w.weight)).toEqual([70_000, 30_000, 0]);
    expect(totalWeight(next)).toBe(100_000);
  });

  it('gives a smaller share to the last other range', () => {
    const weights = [
      { variant: 'a', weight: 50_000 },
      { variant: 'b', weight: 25_000 },
      { variant: 'c', weight: 25_000 },
    ];
    expect(setShare(weights, 'a', 20_000, 100_000).map((w) => w.weight)).toEqual([20_000, 25_000, 55_000]);
  });

  it('leaves the weights alone for a variant that is not in the rollout', () => {
    expect(setShare(split(5_000), 'missing', 10, 100_000)).toEqual(split(5_000));
  });
});
