/**
 * The `sdk` part of every SDK report (who the instance is, which ruleset version it serves) is a
 * heartbeat: kept in memory and written in batches, not one store write per report. At thousands
 * of instances (each reports every 10 s) a write per report meant a transaction and its fsync for
 * every few reports, blocking the thread and delaying everything else, kills included.
 *
 * Durability: a crash loses at most the heartbeats of one flush interval, which the instances send
 * again with their next report; flag changes never pass through here. Readers of the instances
 * call flush() first, so what they list includes every report answered so far.
 */
import type { SdkInstance } from '../insight/types';
import type { DeliveryStore } from '../store/delivery';

/**
 * Instances written per transaction (a few milliseconds of work): the thread is free between two, and
 * a kill arriving during a flush waits for one of these at most.
 */
const INSTANCES_PER_TRANSACTION = 200;

export interface HeartbeatLogger {
  warn(object: object, message: string): void;
}

export class InstanceHeartbeats {
  /** Latest report per environment and instance, not yet written. */
  private pending = new Map<string, SdkInstance>();
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: DeliveryStore,
    private readonly flushIntervalMs: number,
    private readonly log: HeartbeatLogger,
  ) {}

  record(instance: SdkInstance): void {
    const key = `${instance.environment}\u0000${instance.instanceId}`;
    const unwritten = this.pending.get(key);
    this.pending.set(key, unwritten ? { ...instance, firstSeenAt: unwritten.firstSeenAt } : instance);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(() => undefined), this.flushIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Writes every heartbeat recorded so far; settles once they are stored (rejects if that failed). */
  flush(): Promise<void> {
    const flushed = this.flushing.then(() => this.writePending());
    this.flushing = flushed.catch(() => undefined);
    return flushed;
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    // In key order: two replicas writing the same instances lock their rows in the same order.
    const instances = [...this.pending].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, instance]) => instance);
    this.pending = new Map();
    for (let start = 0; start < instances.length; start += INSTANCES_PER_TRANSACTION) {
      const part = instances.slice(start, start + INSTANCES_PER_TRANSACTION);
      try {
        await this.store.batch(async (queries) => {
          for (const instance of part) await queries.upsertInstance(instance);
        });
      } catch (error) {
        // Lost heartbeats come again with the instances' next reports.
        this.log.warn({ err: error, instances: instances.length - start }, 'SDK instance heartbeats lost');
        throw error;
      }
    }
  }
}
