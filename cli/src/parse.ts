import type { Context, Weight } from '@switchboard/core';
import { usageError } from './errors';

/** Rollouts count in buckets of 0.001%: 100% = 100000 buckets. */
export const BUCKETS_PER_PERCENT = 1000;
export const TOTAL_BUCKETS = 100 * BUCKETS_PER_PERCENT;

/**
 * Parses a percentage with at most three decimals ("25", "0.5", "33.333") into buckets, exactly:
 * decimal strings are converted digit by digit so 0.1 + 0.2 style float error cannot creep in.
 */
export function parsePercent(text: string, what = 'percent'): number {
  const match = /^(\d{1,3})(?:\.(\d{1,3}))?$/.exec(text.trim());
  if (!match) {
    throw usageError(`invalid ${what} "${text}": expected a number from 0 to 100 with at most 3 decimals`);
  }
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(3, '0'));
  const buckets = whole * BUCKETS_PER_PERCENT + fraction;
  if (buckets > TOTAL_BUCKETS) throw usageError(`invalid ${what} "${text}": more than 100`);
  return buckets;
}

/** Parses `on=25,off=75` into rollout weights (in buckets) that must add up to exactly 100%. */
export function parseWeights(text: string): Weight[] {
  const weights: Weight[] = [];
  for (const part of text.split(',')) {
    const separator = part.lastIndexOf('=');
    const variant = part.slice(0, separator).trim();
    if (separator <= 0 || variant === '') {
      throw usageError(`invalid --weights "${text}": expected variant=percent pairs, e.g. on=25,off=75`);
    }
    if (weights.some((weight) => weight.variant === variant)) {
      throw usageError(`invalid --weights "${text}": variant "${variant}" appears twice`);
    }
    weights.push({ variant, weight: parsePercent(part.slice(separator + 1), `weight of "${variant}"`) });
  }
  const total = weights.reduce((sum, weight) => sum + weight.weight, 0);
  if (total !== TOTAL_BUCKETS) {
    throw usageError(`invalid --weights "${text}": weights add up to ${formatPercent(total)}, not 100%`);
  }
  return weights;
}

/** Formats buckets as a percentage without float noise: 25000 → "25%", 333 → "0.333%". */
export function formatPercent(buckets: number): string {
  const whole = Math.floor(buckets / BUCKETS_PER_PERCENT);
  const fraction = String(buckets % BUCKETS_PER_PERCENT)
    .padStart(3, '0')
    .replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}%` : `${whole}%`;
}

const DURATION_UNITS_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `--since`: a duration back from `now` (`90s`, `15m`, `1h`, `7d`, `2w`) or an ISO-8601 time. */
export function parseSince(text: string, now: Date = new Date()): Date {
  const match = /^(\d+)([smhdw])$/.exec(text.trim());
  if (match) {
    const unit = DURATION_UNITS_MS[match[2] as string] as number;
    return new Date(now.getTime() - Number(match[1]) * unit);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const time = new Date(text);
    if (!Number.isNaN(time.getTime())) return time;
  }
  throw usageError(`invalid --since "${text}": expected a duration like 30m, 1h, 7d or an ISO-8601 time`);
}

/** Parses `--context` JSON; it must be an object of attributes. */
export function parseContext(text: string): Context {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw usageError(`invalid --context: not JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw usageError('invalid --context: expected a JSON object such as {"userId":"u1"}');
  }
  return parsed as Context;
}
