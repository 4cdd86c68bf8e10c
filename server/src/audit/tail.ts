/**
 * The committed audit log as a live feed across replicas: every entry once, in id order, whichever
 * replica committed it. Entries are read from the store after the last one seen, at once when this
 * replica commits (`wake`) and on an interval for what other replicas commit. Audit ids are taken by one
 * writer at a time, so an entry is never seen after one with a higher id.
 */
import type { AuditEntry } from '@switchboard/core';
import type { FastifyBaseLogger } from 'fastify';
import type { Repository } from '../store/repository';

const BATCH = 200;

/** `local`: this replica committed the entry (and has already acted on it). */
export type AuditTailListener = (entry: AuditEntry, local: boolean) => void;

export class AuditTail {
  private readonly listeners = new Set<AuditTailListener>();
  /** Ids of entries this replica committed that the tail has not read yet. */
  private readonly committedHere = new Set<number>();
  private readonly timer: NodeJS.Timeout;
  private pumping = false;
  private pumpAgain = false;
  private failing = false;
  private closed = false;

  private constructor(
    private readonly store: Repository,
    private readonly log: FastifyBaseLogger,
    /** Id of the newest entry passed to the listeners. */
    private seen: number,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.wake(), intervalMs);
    this.timer.unref();
  }

  /** Starts at the log's current end: only entries committed from now on are passed on. */
  static async start(store: Repository, log: FastifyBaseLogger, intervalMs = 1_000): Promise<AuditTail> {
    const newest = await store.listAudit({ limit: 1 });
    return new AuditTail(store, log, newest.items[0]?.id ?? 0, intervalMs);
  }

  /** Id of the newest entry passed on so far. */
  get head(): number {
    return this.seen;
  }

  /** Calls `listener(entry, local)` for each new entry, in order; answers an unsubscribe function. */
  onEntry(listener: AuditTailListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * This replica committed `entry`: read it (and anything before it) right after the answer to the
   * request that committed it has gone out: the read would otherwise run first and delay it.
   */
  committed(entry: AuditEntry): void {
    if (entry.id > this.seen) this.committedHere.add(entry.id);
    setImmediate(() => this.wake());
  }

  private wake(): void {
    if (!this.closed) void this.pump();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.listeners.clear();
    this.committedHere.clear();
  }

  /** One read at a time; a wake during a read runs another one after it. */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        for (;;) {
          const entries = await this.store.readAuditChain(this.seen, BATCH);
          for (const entry of entries) {
            this.seen = entry.id;
            const local = this.committedHere.delete(entry.id);
            for (const listener of this.listeners) listener(entry, local);
          }
          if (entries.length < BATCH) break;
        }
      } while (this.pumpAgain);
      this.failing = false;
    } catch (error) {
      // The store is away: the next wake or tick retries. Say so once, not every second.
      if (!this.failing) this.log.warn({ err: error }, 'cannot read the audit log for live updates');
      this.failing = true;
    } finally {
      this.pumping = false;
    }
  }
}
