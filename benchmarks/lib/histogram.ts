/**
 * A latency histogram that processes can fill separately and merge: logarithmic buckets 1% wide from
 * 1 µs up, so quantiles of millions of receipts cost a few hundred counters and come out at most 1% high.
 */
const SMALLEST_MS = 0.001;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);

/** The histogram as plain JSON (IPC, result files): [bucket index, count] pairs and the exact maximum. */
export interface SerializedHistogram {
  buckets: Array<[number, number]>;
  count: number;
  maxMs: number;
}

export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  count = 0;
  maxMs = 0;

  record(ms: number): void {
    const index = ms <= SMALLEST_MS ? 0 : Math.ceil(Math.log(ms / SMALLEST_MS) / LOG_GROWTH);
    this.counts.set(index, (this.counts.get(index) ?? 0) + 1);
    this.count++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  merge(other: SerializedHistogram): void {
    for (const [index, count] of other.buckets) this.counts.set(index, (this.counts.get(index) ?? 0) + count);
    this.count += other.count;
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  /** The q-quantile (nearest rank): the upper edge of its bucket, never above the maximum; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const index of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(index) as number;
      if (seen >= rank) return Math.min(SMALLEST_MS * GROWTH ** index, this.maxMs);
    }
    return this.maxMs;
  }

  toJSON(): SerializedHistogram {
    return { buckets: [...this.counts], count: this.count, maxMs: this.maxMs };
  }

  static from(serialized: SerializedHistogram): LatencyHistogram {
    const histogram = new LatencyHistogram();
    histogram.merge(serialized);
    return histogram;
  }
}
