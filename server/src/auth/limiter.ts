/**
 * Counts failed authentications per client address in fixed windows. After `max` failures an
 * address gets 429 until its window ends, so tokens cannot be guessed at network speed.
 */
export class FailedAuthLimiter {
  private readonly windows = new Map<string, { failures: number; endsAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whole seconds until the address may try again; 0 when it may try now. */
  retryAfterSeconds(address: string): number {
    const window = this.windows.get(address);
    if (!window) return 0;
    const remaining = window.endsAt - this.now();
    if (remaining <= 0) {
      this.windows.delete(address);
      return 0;
    }
    return window.failures >= this.max ? Math.ceil(remaining / 1000) : 0;
  }

  recordFailure(address: string): void {
    const now = this.now();
    const window = this.windows.get(address);
    if (window && window.endsAt > now) {
      window.failures++;
      return;
    }
    // Forget ended windows now and then, so scans from many addresses cannot grow memory forever.
    if (this.windows.size >= 10_000) {
      for (const [key, { endsAt }] of this.windows) if (endsAt <= now) this.windows.delete(key);
    }
    this.windows.set(address, { failures: 1, endsAt: now + this.windowMs });
  }
}
