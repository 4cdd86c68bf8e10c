import { tallyOf } from '@switchboard/core';
import type { EvaluationResult, MetricsBatch, MetricsCount, OutcomeTally } from '@switchboard/core';

/**
 * Evaluation counts per flag/variant/reason for one time window.
 *
 * The hot path is an increment: every result a compiled flag serves carries its own counter slot (core's
 * `tallyOf`), so counting needs no lookup and no branch on which outcome came last. A slot joins the
 * window's list the first time it counts. Results shared by several flags (core's "flag not found", the
 * SDK's "not ready") have no slot and are counted by name in a Map.
 */

/** A counter of one (flag, variant, reason) outcome; core's slots have this shape too. */
interface Counter {
  readonly flag: string;
  readonly variant: string | null;
  readonly reason: EvaluationResult['reason'];
  count: number;
}

/** The most distinct (flag, variant, reason) counters kept per window; more are dropped, not stored. */
export const MAX_COUNTERS = 10_000;

export class EvaluationCounter {
  /** Slots that counted in this window. */
  private touched: OutcomeTally[] = [];
  private byName = new Map<string, Counter>();
  private windowStart = Date.now();
  /** Evaluations not counted because the counter table was full. */
  dropped = 0;

  /** One counter per compiled ruleset: its results' slots count for this counter only. */
  constructor(private readonly maxCounters = MAX_COUNTERS) {}

  /** Counts `result`, what the ruleset answered for `flag`. */
  count(flag: string, result: EvaluationResult): void {
    const tally = tallyOf(result);
    if (tally !== undefined && tally.count !== 0) tally.count++;
    else this.countFirst(flag, result, tally);
  }

  /** A slot's first count in the window, or a result without a slot. */
  private countFirst(flag: string, result: EvaluationResult, tally: OutcomeTally | undefined): void {
    if (tally !== undefined && tally.flag === flag) {
      if (this.size() < this.maxCounters) {
        this.touched.push(tally);
        tally.count = 1;
      } else this.dropped++;
      return;
    }
    const name = `${flag}\u0000${result.variant ?? ''}\u0000${result.reason}`;
    const counter = this.byName.get(name);
    if (counter !== undefined) counter.count++;
    else if (this.size() < this.maxCounters) this.byName.set(name, newCounter(flag, result));
    else this.dropped++;
  }

  private size(): number {
    return this.touched.length + this.byName.size;
  }

  /**
   * Ends the current window: returns its counts (null when nothing was evaluated) and starts a new one.
   * Counters idle for a whole window are forgotten, so results of replaced rulesets do not pile up.
   */
  takeBatch(now = Date.now()): MetricsBatch | null {
    const totals = new Map<string, MetricsCount>();
    const add = (counter: Counter) => {
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
    };
    for (const tally of this.touched) add(tally);
    this.touched = [];
    for (const [name, counter] of this.byName) {
      if (counter.count === 0) this.byName.delete(name);
      else add(counter);
    }
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
