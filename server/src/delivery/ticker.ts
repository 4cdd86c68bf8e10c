/**
 * Runs async work every `intervalMs`, one run at a time (the next one is scheduled when the last
 * one has finished), with a way to run it again soon. Used by the scheduler and the webhook dispatcher.
 */
export class Ticker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(
    private readonly intervalMs: number,
    private readonly work: () => Promise<void>,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs the work as soon as possible instead of at the next interval (after a run in progress). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops, after the run in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.work().finally(() => {
        this.running = null;
        if (this.stopped) return;
        const soon = this.again;
        this.again = false;
        this.schedule(soon ? 0 : this.intervalMs);
      });
    }, delayMs);
  }
}
