import type { Rollout, Serve, Weight } from '@switchboard/core';

/** Bucket count when a rollout names none: weights are in units of 0.001%. */
export const DEFAULT_BUCKETS = 100_000;

export function bucketsOf(rollout: Rollout): number {
  return rollout.buckets ?? DEFAULT_BUCKETS;
}

/** A weight as a percentage of all users. */
export function weightToPercent(weight: number, buckets: number): number {
  return (weight / buckets) * 100;
}

/** The integer weight closest to `percent` (0–100), clamped to the bucket range. */
export function percentToWeight(percent: number, buckets: number): number {
  if (!Number.isFinite(percent)) return 0;
  return Math.min(buckets, Math.max(0, Math.round((percent * buckets) / 100)));
}

/** Decimal places a percentage needs to show one bucket exactly (3 for 100,000 buckets). */
export function percentDecimals(buckets: number): number {
  return Math.max(0, Math.ceil(Math.log10(buckets / 100)));
}

/** "25%", "0.001%", "33.333%": as many decimals as the buckets resolve, trailing zeros dropped. */
export function formatPercent(weight: number, buckets: number): string {
  const text = weightToPercent(weight, buckets).toFixed(percentDecimals(buckets));
  return `${text.includes('.') ? text.replace(/\.?0+$/, '') : text}%`;
}

/** Which variant each bucket range serves: consecutive ranges from bucket 0, in order. */
export type Allocation = readonly Weight[];

/** The allocation a serve gives over `buckets` buckets; a single variant owns every bucket. */
export function allocationOf(serve: Serve, buckets: number): Allocation {
  return 'variant' in serve ? [{ variant: serve.variant, weight: buckets }] : serve.rollout.weights;
}

export interface Transition {
  from: string;
  to: string;
  /** Buckets whose users now get `to` instead of `from`. */
  weight: number;
}

/**
 * How many users a change of allocation moves to another variant, by transition. Users keep their bucket
 * (same salt and bucketBy), so a bucket moves exactly when the variant owning it changes.
 */
export function movedUsers(before: Allocation, after: Allocation): Transition[] {
  const byPair = new Map<string, Transition>();
  let i = 0;
  let j = 0;
  let beforeEnd = before[0]?.weight ?? 0;
  let afterEnd = after[0]?.weight ?? 0;
  let position = 0;
  while (i < before.length && j < after.length) {
    const end = Math.min(beforeEnd, afterEnd);
    const from = before[i]!.variant;
    const to = after[j]!.variant;
    if (end > position && from !== to) {
      const pair = `${from}\u0000${to}`;
      const transition = byPair.get(pair) ?? { from, to, weight: 0 };
      transition.weight += end - position;
      byPair.set(pair, transition);
    }
    position = end;
    if (beforeEnd === end) beforeEnd += before[++i]?.weight ?? 0;
    if (afterEnd === end) afterEnd += after[++j]?.weight ?? 0;
  }
  return [...byPair.values()];
}

export function totalWeight(weights: Allocation): number {
  return weights.reduce((sum, w) => sum + w.weight, 0);
}

/**
 * Sets one variant's share of a rollout, taking the difference from (or giving it to) the other variants,
 * last ones first, so that the order of the ranges — and the buckets of users already in — is kept.
 */
export function setShare(weights: Allocation, variant: string, weight: number, buckets: number): Weight[] {
  const target = Math.min(buckets, Math.max(0, Math.round(weight)));
  const next = weights.map((w) => ({ ...w }));
  const own = next.find((w) => w.variant === variant);
  if (own === undefined) return next;
  let surplus = totalWeight(next) - own.weight + target - buckets;
  own.weight = target;
  for (let k = next.length - 1; k >= 0 && surplus !== 0; k--) {
    const other = next[k]!;
    if (other === own) continue;
    const change = surplus > 0 ? Math.min(surplus, other.weight) : surplus;
    other.weight -= change;
    surplus -= change;
  }
  return next;
}
