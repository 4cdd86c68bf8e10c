/**
 * The test behind guards: a mixture sequential probability ratio test (mSPRT; Robbins 1970, as
 * used for A/B tests in Johari, Pekelis & Walsh, "Always Valid Inference", 2017) on the difference
 * between treatment and control, under the normal approximation.
 *
 * Why this test: the scheduler looks at a guard on every tick, for as long as the plan runs, and
 * plans pause, resume and skip, so the number of looks is not known in advance. A fixed-sample test
 * repeated at every look would trip on noise sooner or later; Bonferroni or alpha spending need the
 * number of looks (or the final sample) fixed up front. The mSPRT's likelihood ratio Λ is a
 * martingale under "no difference", so by Ville's inequality P(Λ ever reaches 1/α) ≤ α: the false
 * trip probability stays below α however often and however long the guard is looked at. Its
 * inversion gives a confidence interval that is valid at every look too (a confidence sequence);
 * the interval shown is that inversion with the test's own variance, so it leaves out 0 exactly
 * when the test rejects.
 *
 * With an estimate d̂ of the difference, its variance V and a normal mixing distribution of
 * variance τ² centred on "no difference":
 *
 *   Λ = sqrt(V / (V + τ²)) · exp(τ² d̂² / (2 V (V + τ²)))
 *   interval: d̂ ± sqrt(V (V + τ²) / τ² · (2 ln(1/α) + ln((V + τ²) / V)))
 *
 * τ² tunes which differences are detected fastest; it is set to the variance of the difference at
 * the guard's minimum sample, i.e. the test is sharpest around the moment it is first allowed to
 * decide (any fixed τ² keeps the error guarantee).
 *
 * Rates of rare events (errors at 0.5 %) are counts of a few users at first, where the normal
 * approximation is too kind to small differences: in simulations of identical arms at 0.5 % the
 * uncorrected test tripped 1.6 % of the time at α = 1 %. The rate test therefore shrinks the
 * difference by Yates' continuity correction, ½(1/n₁ + 1/n₂), before testing, which brought those
 * simulations back under α (delivery-statistics.test.ts checks the false-trip rate).
 */

/** A difference to test, with the variances the test needs. */
export interface Comparison {
  /** treatment − control. */
  difference: number;
  /** Variance of the difference if both arms were the same (the test's error rate rests on it). */
  nullVariance: number;
  /** τ²: the mixing variance. */
  mixingVariance: number;
  /** Subtracted from |difference| before testing (counts are discrete); 0 for means. */
  continuityCorrection: number;
}

export interface SequentialResult {
  /** ln Λ; 0 when there is no evidence either way (no variance). */
  logLikelihoodRatio: number;
  /** Always-valid p-value: min(1, 1/Λ). */
  pValue: number;
  /** Always-valid (1 − alpha) interval of the difference; null without variance. */
  interval: [number, number] | null;
}

function logMixtureLikelihoodRatio(difference: number, variance: number, mixing: number): number {
  if (!(variance > 0) || !(mixing > 0)) return 0;
  return (
    0.5 * Math.log(variance / (variance + mixing)) +
    (mixing * difference * difference) / (2 * variance * (variance + mixing))
  );
}

function alwaysValidInterval(
  difference: number,
  variance: number,
  mixing: number,
  alpha: number,
): [number, number] | null {
  if (!(variance > 0) || !(mixing > 0)) return null;
  const halfWidth = Math.sqrt(
    ((variance * (variance + mixing)) / mixing) *
      (2 * Math.log(1 / alpha) + Math.log((variance + mixing) / variance)),
  );
  return [difference - halfWidth, difference + halfWidth];
}

export function sequentialTest(comparison: Comparison, alpha: number): SequentialResult {
  const { difference, nullVariance, mixingVariance, continuityCorrection } = comparison;
  const tested = Math.sign(difference) * Math.max(0, Math.abs(difference) - continuityCorrection);
  const logLikelihoodRatio = logMixtureLikelihoodRatio(tested, nullVariance, mixingVariance);
  const interval = alwaysValidInterval(difference, nullVariance, mixingVariance, alpha);
  return {
    logLikelihoodRatio,
    pValue: Math.min(1, Math.exp(-logLikelihoodRatio)),
    interval: interval && [interval[0] - continuityCorrection, interval[1] + continuityCorrection],
  };
}

/** Users of one arm and how many of them had the event. */
export interface RateArm {
  users: number;
  withEvent: number;
}

/**
 * Two proportions. Under "no difference" both arms share the pooled rate p̄, so the null variance
 * is p̄(1 − p̄)(1/n₁ + 1/n₂) (the two-proportion z-test's). The difference is tested with a
 * continuity correction (see above).
 */
export function compareRates(treatment: RateArm, control: RateArm, minSample: number): Comparison | null {
  if (treatment.users === 0 || control.users === 0) return null;
  const pooled = (treatment.withEvent + control.withEvent) / (treatment.users + control.users);
  const spread = pooled * (1 - pooled);
  return {
    difference: treatment.withEvent / treatment.users - control.withEvent / control.users,
    nullVariance: spread * (1 / treatment.users + 1 / control.users),
    mixingVariance: (2 * spread) / minSample,
    continuityCorrection: 0.5 * (1 / treatment.users + 1 / control.users),
  };
}

/** Users of one arm with their values' count, sum and sum of squares (one value per user). */
export interface MeanArm {
  users: number;
  sum: number;
  sumOfSquares: number;
}

const meanOf = (arm: MeanArm) => arm.sum / arm.users;

/** Sample variance (n − 1); 0 below two users or when rounding makes it negative. */
function varianceOf(arm: MeanArm): number {
  if (arm.users < 2) return 0;
  const mean = meanOf(arm);
  return Math.max(0, (arm.sumOfSquares - arm.users * mean * mean) / (arm.users - 1));
}

/** Two means (Welch: each arm keeps its own variance, which "no difference in means" allows). */
export function compareMeans(treatment: MeanArm, control: MeanArm, minSample: number): Comparison | null {
  if (treatment.users < 2 || control.users < 2) return null;
  const [varianceT, varianceC] = [varianceOf(treatment), varianceOf(control)];
  return {
    difference: meanOf(treatment) - meanOf(control),
    nullVariance: varianceT / treatment.users + varianceC / control.users,
    mixingVariance: (varianceT + varianceC) / minSample,
    continuityCorrection: 0,
  };
}
