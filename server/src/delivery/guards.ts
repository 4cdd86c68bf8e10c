/**
 * Guards: reads a guard's counts and decides insufficient / healthy / tripped.
 *
 * A guard trips when all of these hold:
 * - both variants have at least `minSample` users;
 * - the sequential test (statistics.ts) rejects "treatment is no worse than control" at `alpha`
 *   (an always-valid p-value, so repeated looks do not inflate false trips);
 * - the observed harm is at least the margin, max(absoluteThreshold, relativeThreshold × control):
 *   the test says whether treatment is worse at all, the thresholds whether by enough to act.
 */
import type { Repository } from '../store/repository';
import type { VariantCounts } from '../store/delivery';
import type { ArmReading, GuardDefinition, GuardReading, RampPlan } from './types';
import { compareMeans, compareRates, sequentialTest } from './statistics';

const DEFAULT_ALPHA = 0.05;

const NO_COUNTS: VariantCounts = { exposed: 0, withEvent: 0, valueUsers: 0, meanSum: 0, meanSumOfSquares: 0 };

function armOf(guard: GuardDefinition, variant: string, counts: VariantCounts): ArmReading {
  if (guard.kind === 'rate') {
    return {
      variant,
      users: counts.exposed,
      withEvent: counts.withEvent,
      value: counts.exposed === 0 ? null : counts.withEvent / counts.exposed,
    };
  }
  return {
    variant,
    users: counts.valueUsers,
    withEvent: null,
    value: counts.valueUsers === 0 ? null : counts.meanSum / counts.valueUsers,
  };
}

/** Judges one guard on its counts per variant. */
export function readGuard(
  guard: GuardDefinition,
  counts: ReadonlyMap<string, VariantCounts>,
  alpha: number,
): GuardReading {
  const treatmentCounts = counts.get(guard.treatment) ?? NO_COUNTS;
  const controlCounts = counts.get(guard.control) ?? NO_COUNTS;
  const treatment = armOf(guard, guard.treatment, treatmentCounts);
  const control = armOf(guard, guard.control, controlCounts);
  const comparison =
    guard.kind === 'rate'
      ? compareRates(
          { users: treatment.users, withEvent: treatmentCounts.withEvent },
          { users: control.users, withEvent: controlCounts.withEvent },
          guard.minSample,
        )
      : compareMeans(
          {
            users: treatment.users,
            sum: treatmentCounts.meanSum,
            sumOfSquares: treatmentCounts.meanSumOfSquares,
          },
          { users: control.users, sum: controlCounts.meanSum, sumOfSquares: controlCounts.meanSumOfSquares },
          guard.minSample,
        );
  const test = comparison && sequentialTest(comparison, alpha);
  const worseSign = guard.worseWhen === 'lower' ? -1 : 1;
  const harm = comparison ? worseSign * comparison.difference : 0;
  const pValue = test && harm > 0 ? test.pValue : 1;
  const margin = Math.max(
    guard.absoluteThreshold ?? 0,
    (guard.relativeThreshold ?? 0) * Math.abs(control.value ?? 0),
  );
  const enough = treatment.users >= guard.minSample && control.users >= guard.minSample;
  const tripped = enough && harm > 0 && pValue <= alpha && harm >= margin;
  const reading: Omit<GuardReading, 'summary'> = {
    name: guard.name,
    event: guard.event,
    kind: guard.kind,
    status: !enough ? 'insufficient' : tripped ? 'tripped' : 'healthy',
    treatment,
    control,
    difference: comparison?.difference ?? null,
    interval: test?.interval ?? null,
    pValue,
    margin,
    minSample: guard.minSample,
    alpha,
  };
  return { ...reading, summary: summarize(guard, reading) };
}

/** Reads every guard of the plan from the store. */
export async function readGuards(store: Repository, plan: RampPlan): Promise<GuardReading[]> {
  const guards = plan.definition.guards ?? [];
  const alpha = plan.definition.alpha ?? DEFAULT_ALPHA;
  const byEvent = new Map<string, ReadonlyMap<string, VariantCounts>>();
  const readings: GuardReading[] = [];
  for (const guard of guards) {
    let counts = byEvent.get(guard.event);
    if (counts === undefined) {
      counts = await store.delivery.read((queries) => queries.guardCounts(plan.runId, guard.event));
      byEvent.set(guard.event, counts);
    }
    readings.push(readGuard(guard, counts, alpha));
  }
  return readings;
}

// ---- Wording (audit reasons, plan history, the UI) ----

interface Format {
  value(value: number): string;
  /** A size of difference, unsigned. */
  amount(amount: number): string;
}

/** A number as people read it: four significant digits, no exponent for everyday magnitudes. */
const plain = (value: number) => Number(value.toPrecision(4)).toString();

const RATE_FORMAT: Format = {
  value: (rate) => `${(rate * 100).toFixed(2)}%`,
  amount: (amount) => `${(amount * 100).toFixed(2)} points`,
};
const MEAN_FORMAT: Format = { value: plain, amount: plain };

const signed = (format: Format, difference: number) =>
  `${difference < 0 ? '-' : '+'}${format.amount(Math.abs(difference))}`;

function describeArm(arm: ArmReading, format: Format): string {
  const value = arm.value === null ? 'no data' : format.value(arm.value);
  const users = arm.withEvent === null ? `${arm.users} users` : `${arm.withEvent} of ${arm.users} users`;
  return `"${arm.variant}" ${value} (${users})`;
}

function summarize(guard: GuardDefinition, reading: Omit<GuardReading, 'summary'>): string {
  const format = guard.kind === 'rate' ? RATE_FORMAT : MEAN_FORMAT;
  const measure = guard.kind === 'rate' ? `${guard.event} rate` : `mean ${guard.event}`;
  const arms = `${measure} ${describeArm(reading.treatment, format)} vs ${describeArm(reading.control, format)}`;
  if (reading.status === 'insufficient') {
    return `guard "${guard.name}": ${arms}; waiting for ${guard.minSample} users per variant`;
  }
  const difference = reading.difference === null ? 'none yet' : signed(format, reading.difference);
  const interval =
    reading.interval === null
      ? ''
      : `, ${Math.round((1 - reading.alpha) * 100)}% always-valid interval ` +
        `[${signed(format, reading.interval[0])}, ${signed(format, reading.interval[1])}]`;
  const pValue = reading.pValue < 0.0001 ? 'p < 0.0001' : `p = ${reading.pValue.toFixed(4)}`;
  const direction = guard.worseWhen === 'lower' ? 'lower' : 'higher';
  return (
    `guard "${guard.name}" ${reading.status}: ${arms}; difference ${difference}${interval}, ${pValue} ` +
    `(trips at p <= ${reading.alpha} when ${direction} by at least ${format.amount(reading.margin)})`
  );
}
