/**
 * Fan-out for several replicas on one database. Each replica delivers every environment's changes
 * to its own subscribers (SDK streams, client streams, ruleset caches) exactly once and in
 * change-sequence order, whoever committed them:
 *
 * - its own commits are delivered at once, with their changes (no store read);
 * - another replica's commit is heard of as a hint (environment, seq) — through a NoticeChannel
 *   (Redis) or by polling each environment's seq in the store — and the changes are read from the
 *   store's change log (`changesSince` the last seq delivered), so a hint can be late, repeated or
 *   lost without a change being missed, repeated or reordered;
 * - when the change log no longer reaches back (a long outage), a notice without changes tells
 *   subscribers to reload the whole ruleset.
 *
 * Polling runs every `pollIntervalMs` while there is no channel or the channel is down, and every
 * `sweepIntervalMs` while it is up (a pub/sub message lost in a network blip is found there); when
 * the channel comes back, a sweep runs at once.
 */
import type { ChangeListener, ChangeNotice, Fanout, FanoutStatus } from './fanout';
import { InProcessFanout } from './in-process';
import type { Repository } from '../store/repository';

/** What replicas tell each other after a commit. */
export interface WireNotice {
  environment: string;
  seq: number;
  urgent: boolean;
  /** Commit time, ms since the epoch (for the fan-out delay metric). */
  committedAt: number;
}

export interface NoticeHandlers {
  notice(notice: WireNotice): void;
  /** The channel delivers again (after start, or after an outage): whatever it missed is lost. */
  up(): void;
  down(): void;
}

/** A way for replicas to tell each other about commits (Redis pub/sub). Best effort: may lose notices. */
export interface NoticeChannel {
  readonly name: 'redis';
  start(handlers: NoticeHandlers): void;
  announce(notice: WireNotice): void;
  close(): Promise<void>;
}

export type FanoutStore = Pick<Repository, 'listEnvironments' | 'getEnvironment' | 'changesSince'>;

export interface FanoutLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface FanoutObserver {
  /** A change another replica committed (and announced) was delivered here `delaySeconds` after its commit. */
  announcedChangeDelivered(delaySeconds: number): void;
}

export interface ReplicatedFanoutOptions {
  store: FanoutStore;
  channel?: NoticeChannel;
  /** Polling interval without a channel, or while it is down. */
  pollIntervalMs: number;
  /** Polling interval while the channel is up. */
  sweepIntervalMs: number;
  log: FanoutLogger;
  observer?: FanoutObserver;
}

export const DEFAULT_POLL_INTERVAL_MS = 500;
export const DEFAULT_SWEEP_INTERVAL_MS = 5_000;

/** Delivery state of one environment on this replica. */
interface Cursor {
  /** The last seq delivered to subscribers. */
  delivered: number;
  /** The highest seq some hint announced. */
  target: number;
  urgent: boolean;
  catchingUp: boolean;
  /** Commit times of announced seqs not yet delivered. */
  announced: Map<number, number>;
}

export class ReplicatedFanout implements Fanout {
  private readonly local = new InProcessFanout();
  private readonly cursors = new Map<string, Cursor>();
  private channelUp = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: ReplicatedFanoutOptions) {}

  /** Reads where every environment stands (nothing before it is delivered), then starts listening. */
  async start(): Promise<void> {
    for (const environment of await this.options.store.listEnvironments()) {
      this.cursor(environment.key).delivered = environment.seq;
    }
    this.options.channel?.start({
      notice: (notice) => this.hint(notice.environment, notice.seq, notice.urgent, notice.committedAt),
      up: () => {
        this.channelUp = true;
        this.options.log.info({ channel: this.options.channel?.name }, 'fan-out: channel up, catching up');
        void this.sweep();
        this.schedulePoll();
      },
      down: () => {
        if (!this.channelUp) return;
        this.channelUp = false;
        this.options.log.warn(
          { channel: this.options.channel?.name, pollIntervalMs: this.options.pollIntervalMs },
          'fan-out: channel down, polling the store',
        );
        this.schedulePoll();
      },
    });
    this.schedulePoll();
  }

  /** A commit of this replica: delivered here at once, then announced to the others. */
  publish(notice: ChangeNotice): void {
    const cursor = this.cursor(notice.environment);
    const fresh = notice.changes?.filter((change) => change.seq > cursor.delivered);
    if (
      !cursor.catchingUp &&
      fresh !== undefined &&
      fresh.length > 0 &&
      fresh.every((change, index) => change.seq === cursor.delivered + 1 + index)
    ) {
      this.deliver(cursor, { ...notice, changes: fresh });
    } else {
      this.hint(notice.environment, notice.seq, notice.urgent);
    }
    this.options.channel?.announce({
      environment: notice.environment,
      seq: notice.seq,
      urgent: notice.urgent,
      committedAt: Date.now(),
    });
  }

  subscribe(listener: ChangeListener): () => void {
    return this.local.subscribe(listener);
  }

  /** The last seq delivered here, per environment. */
  deliveredSeqs(): Map<string, number> {
    return new Map([...this.cursors].map(([environment, cursor]) => [environment, cursor.delivered]));
  }

  status(): FanoutStatus {
    const channel = this.options.channel;
    if (!channel) return { mode: 'polling', pollIntervalMs: this.options.pollIntervalMs };
    return this.channelUp
      ? { mode: channel.name, connected: true, pollIntervalMs: this.options.sweepIntervalMs }
      : { mode: channel.name, connected: false, pollIntervalMs: this.options.pollIntervalMs };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    await this.options.channel?.close();
    await this.sweeping;
    await this.local.close();
  }

  private cursor(environment: string): Cursor {
    let cursor = this.cursors.get(environment);
    if (!cursor) {
      // An environment created after start: its changes start at seq 1.
      cursor = { delivered: 0, target: 0, urgent: false, catchingUp: false, announced: new Map() };
      this.cursors.set(environment, cursor);
    }
    return cursor;
  }

  /** Some replica committed `seq` in the environment: read and deliver what is missing. */
  private hint(environment: string, seq: number, urgent: boolean, committedAt?: number): void {
    if (this.closed) return;
    const cursor = this.cursor(environment);
    if (seq <= cursor.delivered) return;
    if (committedAt !== undefined) cursor.announced.set(seq, committedAt);
    cursor.target = Math.max(cursor.target, seq);
    cursor.urgent ||= urgent;
    if (!cursor.catchingUp) void this.catchUp(environment, cursor);
  }

  private async catchUp(environment: string, cursor: Cursor): Promise<void> {
    cursor.catchingUp = true;
    try {
      while (!this.closed && cursor.delivered < cursor.target) {
        const urgent = cursor.urgent;
        cursor.urgent = false;
        const changes = await this.options.store.changesSince(environment, cursor.delivered);
        if (this.closed) return;
        if (changes === null) {
          // The log no longer reaches back: subscribers reload the whole ruleset.
          const seq = (await this.options.store.getEnvironment(environment))?.seq ?? cursor.target;
          this.deliver(cursor, { environment, seq, urgent: true });
        } else if (changes.length === 0 || changes[changes.length - 1]!.seq <= cursor.delivered) {
          // The hint was ahead of the store (e.g. it came from another installation on the channel).
          cursor.target = cursor.delivered;
          cursor.announced.clear();
        } else {
          this.deliver(cursor, { environment, seq: changes[changes.length - 1]!.seq, urgent, changes });
        }
      }
    } catch (error) {
      // The next hint or poll tries again from the same seq.
      this.options.log.error({ err: error, environment }, 'fan-out: reading changes from the store failed');
    } finally {
      cursor.catchingUp = false;
    }
  }

  private deliver(cursor: Cursor, notice: ChangeNotice): void {
    cursor.delivered = notice.seq;
    const now = Date.now();
    for (const [seq, committedAt] of cursor.announced) {
      if (seq > notice.seq) continue;
      cursor.announced.delete(seq);
      this.options.observer?.announcedChangeDelivered(Math.max(0, now - committedAt) / 1000);
    }
    this.local.publish(notice);
  }

  /** Compares every environment's seq in the store with what was delivered here. */
  private sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      try {
        for (const environment of await this.options.store.listEnvironments()) {
          this.hint(environment.key, environment.seq, false);
        }
      } catch (error) {
        this.options.log.warn({ err: error }, 'fan-out: polling the store failed');
      } finally {
        this.sweeping = null;
      }
    })();
    return this.sweeping;
  }

  private schedulePoll(): void {
    if (this.closed) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    const interval = this.channelUp ? this.options.sweepIntervalMs : this.options.pollIntervalMs;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      void this.sweep().finally(() => this.schedulePoll());
    }, interval);
    this.pollTimer.unref();
  }
}
