import type { EvaluationResult, MetricsBatch, MetricsCount } from '@switchboard/core';

/**
 * Evaluation counts per flag/variant/reason for one time window.
 *
 * The hot path is an identity check and an increment: core returns shared frozen result objects for
 * every outcome of a compiled flag, so the result object itself identifies (flag, variant, reason).
 * The counters of the two most recent outcomes are kept at hand (a hot flag alternates between its
 * on and off outcomes); otherwise one Map lookup by result object finds the counter. A result object shared by several flags (e.g. core's
 * "flag not found") falls back to a string key.
 */

interface Counter {
  readonly flag: string;
  readonly variant: string | null;
  readonly reason: EvaluationResult['reason'];
  count: number;
}

/** The most distinct (flag, variant, reason) counters kept per window; more are dropped, not stored. */
export const MAX_COUNTERS = 10_000;

export class EvaluationCounter {
  private byResult = new Map<EvaluationResult, Counter>();
  private byName = new Map<string, Counter>();
  private windowStart = Date.now();
  private lastResult: EvaluationResult | null = null;
  private lastCounter: Counter | null = null;
  private previousResult: EvaluationResult | null = null;
  private previousCounter: Counter | null = null;
  /** Evaluations not counted because the counter table was full. */
  dropped = 0;

  constructor(private readonly maxCounters = MAX_COUNTERS) {}

  count(flag: string, result: EvaluationResult): void {
    const last = this.lastCounter;
    if (result === this.lastResult && last !== null && last.flag === flag) {
      last.count++;
      return;
    }
    const previous = this.previousCounter;
    const counter =
      result === this.previousResult && previous !== null ? previous : this.byResult.get(result);
    if (counter !== undefined && counter.flag === flag) {
      counter.count++;
      this.previousResult = this.lastResult;
      this.previousCounter = last;
      this.lastResult = result;
      this.lastCounter = counter;
    } else this.countSlow(flag, result, counter);
  }

  private countSlow(
    flag: string,
    result: EvaluationResult,
    sharedWithAnotherFlag: Counter | undefined,
  ): void {
    if (sharedWithAnotherFlag === undefined && this.size() < this.maxCounters) {
      this.byResult.set(result, newCounter(flag, result));
      return;
    }
    const name = `${flag}\u0000${result.variant ?? ''}\u0000${result.reason}`;
    const counter = this.byName.get(name);
    if (counter !== undefined) counter.count++;
    else if (this.size() < this.maxCounters) this.byName.set(name, newCounter(flag, result));
    else this.dropped++;
  }

  private size(): number {
    return this.byResult.size + this.byName.size;
  }

  /**
   * Ends the current window: returns its counts (null when nothing was evaluated) and starts a new one.
   * Counters idle for a whole window are forgotten, so results of replaced rulesets do not pile up.
   */
  takeBatch(now = Date.now()): MetricsBatch | null {
    const totals = new Map<string, MetricsCount>();
    for (const table of [this.byResult, this.byName] as Array<Map<unknown, Counter>>) {
      for (const [key, counter] of table) {
        if (counter.count === 0) {
          table.delete(key);
          continue;
        }
        const name = `${counter.flag}\u0000${counter.variant ?? ''}\u0000${counter.reason}`;
        const total = totals.get(name);
        if (total) total.count += counter.count;
        else
          totals.set(name, {
            flag: counter.flag,
            variant: counter.variant,
            reason: counter.reason,
            count: counter.count,
          });
        counter.count = 0;
      }
    }
    // The kept counters may just have been forgotten: drop them so counts cannot land outside the table.
    this.lastResult = null;
    this.lastCounter = null;
    this.previousResult = null;
    this.previousCounter = null;
    const windowStart = this.windowStart;
    this.windowStart = now;
    this.dropped = 0;
    if (totals.size === 0) return null;
    return {
      windowStart: new Date(windowStart).toISOString(),
      windowEnd: new Date(now).toISOString(),
      counts: [...totals.values()],
    };
  }
}

function newCounter(flag: string, result: EvaluationResult): Counter {
  return { flag, variant: result.variant ?? null, reason: result.reason, count: 1 };
}

/**
 * Splits a batch into request bodies of at most `maxBytes` each (the server bounds request bodies;
 * 10,000 counts with long flag keys would not fit in one). Each body covers the same window.
 */
export function metricsBodies(batch: MetricsBatch, maxBytes: number): string[] {
  const envelope = JSON.stringify({ ...batch, counts: [] });
  const bodies: string[] = [];
  let parts: string[] = [];
  let size = envelope.length;
  for (const count of batch.counts) {
    const part = JSON.stringify(count);
    const partBytes = Buffer.byteLength(part) + 1;
    if (parts.length > 0 && size + partBytes > maxBytes) {
      bodies.push(withCounts(envelope, parts));
      parts = [];
      size = envelope.length;
    }
    parts.push(part);
    size += partBytes;
  }
  if (parts.length > 0) bodies.push(withCounts(envelope, parts));
  return bodies;
}

const withCounts = (envelope: string, parts: string[]) =>
  envelope.replace('"counts":[]', `"counts":[${parts.join(',')}]`);
