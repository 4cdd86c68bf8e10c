/**
 * The guard's decision (delivery/guards.ts) and the sequential test under it (statistics.ts):
 * false trips stay under alpha however often a guard is looked at, real harm is caught, and the
 * thresholds, directions and metric kinds mean what the documentation says.
 */
import { describe, expect, it } from 'vitest';
import { readGuard } from '../src/delivery/guards';
import { compareRates, sequentialTest } from '../src/delivery/statistics';
import type { GuardDefinition } from '../src/delivery/types';
import type { VariantCounts } from '../src/store/delivery';

/** mulberry32: seeded, so a simulation is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rateGuard = (overrides: Partial<GuardDefinition> = {}): GuardDefinition => ({
  name: 'errors',
  event: 'error',
  kind: 'rate',
  treatment: 'on',
  control: 'off',
  minSample: 50,
  ...overrides,
});

const rates = (on: [number, number], off: [number, number]) =>
  new Map<string, VariantCounts>([
    ['on', { exposed: on[1], withEvent: on[0], valueUsers: 0, meanSum: 0, meanSumOfSquares: 0 }],
    ['off', { exposed: off[1], withEvent: off[0], valueUsers: 0, meanSum: 0, meanSumOfSquares: 0 }],
  ]);

/** Per-user means of two variants as the store sums them. */
function means(on: number[], off: number[]): Map<string, VariantCounts> {
  const counts = (values: number[]): VariantCounts => ({
    exposed: values.length,
    withEvent: values.length,
    valueUsers: values.length,
    meanSum: values.reduce((sum, value) => sum + value, 0),
    meanSumOfSquares: values.reduce((sum, value) => sum + value * value, 0),
  });
  return new Map([
    ['on', counts(on)],
    ['off', counts(off)],
  ]);
}

/**
 * A/A experiments: both variants share `rate`; users arrive in batches and the guard looks after
 * every batch, like the scheduler on every tick. Answers the share of experiments that ever tripped.
 */
function falseTripRate(decide: (counts: Map<string, VariantCounts>) => boolean, rate: number, seed: number) {
  const random = seeded(seed);
  const experiments = 400;
  let tripped = 0;
  for (let experiment = 0; experiment < experiments; experiment++) {
    const on: [number, number] = [0, 0];
    const off: [number, number] = [0, 0];
    for (let look = 0; look < 60; look++) {
      for (let user = 0; user < 40; user++) {
        const arm = random() < 0.25 ? on : off;
        arm[1]++;
        if (random() < rate) arm[0]++;
      }
      if (decide(rates(on, off))) {
        tripped++;
        break;
      }
    }
  }
  return tripped / experiments;
}

describe('guards on repeated looks', () => {
  const alpha = 0.05;
  const guardTrips = (counts: Map<string, VariantCounts>) =>
    readGuard(rateGuard(), counts, alpha).status === 'tripped';

  it('trip on identical variants at most alpha of the time, for rare and common events', () => {
    expect(falseTripRate(guardTrips, 0.005, 1)).toBeLessThanOrEqual(alpha);
    expect(falseTripRate(guardTrips, 0.2, 2)).toBeLessThanOrEqual(alpha);
  });

  it('where a fixed-sample z-test repeated at every look would trip far more often', () => {
    // The test the sequential one replaces: one-sided two-proportion z-test at alpha, every look.
    const naive = (counts: Map<string, VariantCounts>) => {
      const [on, off] = [counts.get('on')!, counts.get('off')!];
      if (on.exposed < 50 || off.exposed < 50) return false;
      const comparison = compareRates(
        { users: on.exposed, withEvent: on.withEvent },
        { users: off.exposed, withEvent: off.withEvent },
        50,
      )!;
      return (
        comparison.nullVariance > 0 && comparison.difference / Math.sqrt(comparison.nullVariance) > 1.645
      );
    };
    expect(falseTripRate(naive, 0.2, 2)).toBeGreaterThan(2 * alpha);
  });
});

describe('a rate guard', () => {
  it('waits for the minimum sample in both variants before deciding', () => {
    const reading = readGuard(rateGuard({ minSample: 100 }), rates([20, 99], [5, 1000]), 0.05);
    expect(reading.status).toBe('insufficient');
    expect(reading.summary).toBe(
      'guard "errors": error rate "on" 20.20% (20 of 99 users) vs "off" 0.50% (5 of 1000 users); ' +
        'waiting for 100 users per variant',
    );
  });

  it('trips on 0.5 % → 5 % errors with a few hundred users, and names the numbers', () => {
    const reading = readGuard(rateGuard(), rates([10, 200], [8, 1600]), 0.05);
    expect(reading.status).toBe('tripped');
    expect(reading.treatment).toEqual({ variant: 'on', users: 200, withEvent: 10, value: 0.05 });
    expect(reading.control).toEqual({ variant: 'off', users: 1600, withEvent: 8, value: 0.005 });
    expect(reading.difference).toBeCloseTo(0.045, 10);
    expect(reading.pValue).toBeLessThan(0.05);
    expect(reading.interval![0]).toBeGreaterThan(0);
    expect(reading.summary).toMatch(
      /^guard "errors" tripped: error rate "on" 5\.00% \(10 of 200 users\) vs "off" 0\.50% \(8 of 1600 users\); difference \+4\.50 points, 95% always-valid interval \[\+\d\.\d\d points, \+\d\.\d\d points\], p (= 0\.\d{4}|< 0\.0001) \(trips at p <= 0\.05 when higher by at least 0\.00 points\)$/,
    );
  });

  it('stays healthy when the same counts show less harm than the absolute threshold', () => {
    const guard = rateGuard({ absoluteThreshold: 0.05 });
    const reading = readGuard(guard, rates([10, 200], [8, 1600]), 0.05);
    expect(reading.pValue).toBeLessThan(0.05);
    expect(reading.margin).toBe(0.05);
    expect(reading.status).toBe('healthy');
  });

  it('measures the relative threshold against control', () => {
    // Control 10 %, treatment 12 %: significant with this many users, but only 20 % worse.
    const counts = rates([2400, 20000], [2000, 20000]);
    expect(readGuard(rateGuard({ relativeThreshold: 0.1 }), counts, 0.05).status).toBe('tripped');
    const strict = readGuard(rateGuard({ relativeThreshold: 0.5 }), counts, 0.05);
    expect(strict.margin).toBeCloseTo(0.05, 10);
    expect(strict.status).toBe('healthy');
  });

  it('never trips on a treatment that is better, and watches the other direction when told', () => {
    const fewerErrors = rates([8, 1600], [10, 200]);
    expect(readGuard(rateGuard(), fewerErrors, 0.05)).toMatchObject({ status: 'healthy', pValue: 1 });
    // A conversion: lower is worse.
    const conversions = rates([100, 1000], [200, 1000]);
    expect(readGuard(rateGuard({ worseWhen: 'lower' }), conversions, 0.05).status).toBe('tripped');
    expect(readGuard(rateGuard(), conversions, 0.05).status).toBe('healthy');
  });

  it('shows an interval that leaves out 0 exactly when the test rejects', () => {
    const random = seeded(7);
    for (let trial = 0; trial < 500; trial++) {
      const usersOn = 50 + Math.floor(random() * 500);
      const usersOff = 50 + Math.floor(random() * 2000);
      const comparison = compareRates(
        { users: usersOn, withEvent: Math.floor(random() * usersOn * 0.2) },
        { users: usersOff, withEvent: Math.floor(random() * usersOff * 0.1) },
        50,
      )!;
      const test = sequentialTest(comparison, 0.05);
      if (test.interval === null) continue;
      const excludesZero = test.interval[0] > 0 || test.interval[1] < 0;
      expect(excludesZero).toBe(test.pValue <= 0.05);
    }
  });
});

describe('a mean guard', () => {
  const latency = (overrides: Partial<GuardDefinition> = {}) =>
    rateGuard({ name: 'latency', event: 'latency_ms', kind: 'mean', ...overrides });
  const around = (mean: number, count: number, random: () => number) =>
    Array.from({ length: count }, () => mean + (random() - 0.5) * 100);

  it('trips when treatment is slower by more than the threshold', () => {
    const random = seeded(3);
    const counts = means(around(260, 200, random), around(200, 800, random));
    const reading = readGuard(latency({ absoluteThreshold: 20 }), counts, 0.05);
    expect(reading.status).toBe('tripped');
    expect(reading.treatment.withEvent).toBeNull();
    expect(reading.difference).toBeGreaterThan(50);
    expect(reading.summary).toMatch(
      /^guard "latency" tripped: mean latency_ms "on" 2\d\d(\.\d+)? \(200 users\)/,
    );
  });

  it('stays healthy for the same speed and for a difference under the threshold', () => {
    const random = seeded(4);
    expect(readGuard(latency(), means(around(200, 300, random), around(200, 900, random)), 0.05).status).toBe(
      'healthy',
    );
    const slightlySlower = means(around(210, 2000, random), around(200, 2000, random));
    expect(readGuard(latency(), slightlySlower, 0.05).status).toBe('tripped');
    expect(readGuard(latency({ absoluteThreshold: 25 }), slightlySlower, 0.05).status).toBe('healthy');
  });
});
