/**
 * Exponential backoff with full jitter: the n-th retry waits a uniformly random time in
 * [0, min(maxMs, baseMs · 2^n)). Randomising the whole interval spreads a fleet of SDKs that lost
 * the same server, so they do not reconnect in lock-step when it comes back.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Returns a number in [0, 1); injectable for tests. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Consecutive failures since the last reset. */
  get failures(): number {
    return this.attempt;
  }

  /** The delay before the next retry; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.options.maxMs, this.options.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }
}
