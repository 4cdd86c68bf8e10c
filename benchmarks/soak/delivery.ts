/**
 * What one stream received of the soak's changes: each change has an environment change sequence
 * (the SSE event id), and every stream must see each one exactly once, in order.
 */
export type Receipt = 'first' | 'duplicate' | 'unexpected';

export class DeliveryTracker {
  /** One bit per change after `base`: set once received. */
  private seen = new Uint8Array(128);
  /** Highest sequence received (or covered by a snapshot); `base` before any. */
  private highest: number;
  distinct = 0;
  duplicates = 0;
  /** Changes that arrived after a later one. */
  outOfOrder = 0;
  /** Events with a sequence at or below `base` (from before the soak started). */
  unexpected = 0;

  /** `base`: the change sequence of the stream's initial snapshot, taken before the first change. */
  constructor(readonly base: number) {
    this.highest = base;
  }

  /** The highest sequence this stream holds: where a reconnect resumes from. */
  get position(): number {
    return this.highest;
  }

  record(seq: number): Receipt {
    if (!Number.isSafeInteger(seq) || seq <= this.base) {
      this.unexpected++;
      return 'unexpected';
    }
    const offset = seq - this.base - 1;
    const byte = offset >>> 3;
    const bit = 1 << (offset & 7);
    if (byte >= this.seen.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.seen.length * 2));
      grown.set(this.seen);
      this.seen = grown;
    }
    if ((this.seen[byte] as number) & bit) {
      this.duplicates++;
      return 'duplicate';
    }
    this.seen[byte] = (this.seen[byte] as number) | bit;
    this.distinct++;
    if (seq < this.highest) this.outOfOrder++;
    else this.highest = seq;
    return 'first';
  }

  /**
   * A fresh snapshot (a `put` after a reconnect that could not resume) brings the stream up to `seq`:
   * changes it skipped were not delivered as events and stay missing.
   */
  snapshotAt(seq: number): void {
    if (seq > this.highest) this.highest = seq;
  }

  has(seq: number): boolean {
    const offset = seq - this.base - 1;
    if (offset < 0) return false;
    return (((this.seen[offset >>> 3] ?? 0) >> (offset & 7)) & 1) === 1;
  }

  /** The sequences in [first, last] never received. */
  missing(first: number, last: number): number[] {
    const result: number[] = [];
    for (let seq = first; seq <= last; seq++) if (!this.has(seq)) result.push(seq);
    return result;
  }
}
