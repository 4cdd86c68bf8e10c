/**
 * The replicated fan-out's delivery rules, against an in-memory store and channel: every change once,
 * in sequence order, whatever the hints (late, repeated, lost, out of order) and however the channel
 * comes and goes. The real thing (PostgreSQL, Redis, three replicas) is test/scale-replicas.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChangeNotice, ChangeRecord } from '../src/fanout/fanout';
import type { FanoutStore, NoticeChannel, NoticeHandlers, WireNotice } from '../src/fanout/replicated';
import { ReplicatedFanout } from '../src/fanout/replicated';
import type { Environment } from '../src/store/repository';

/** One environment's committed changes; `retainedFrom` is the oldest seq still in the change log. */
class MemoryStore implements FanoutStore {
  changes: ChangeRecord[] = [];
  retainedFrom = 1;
  reads = 0;
  failing = false;

  commit(count = 1): ChangeRecord[] {
    const added = Array.from({ length: count }, (_, index) => {
      const seq = this.changes.length + 1 + index;
      return { environment: 'production', seq, kind: 'flag' as const, key: `flag-${seq}`, value: null };
    });
    this.changes.push(...added);
    return added;
  }

  get seq(): number {
    return this.changes.length;
  }

  async listEnvironments(): Promise<Environment[]> {
    if (this.failing) throw new Error('the database is away');
    return [{ key: 'production', name: 'production', seq: this.seq, createdAt: '2025-01-01T00:00:00.000Z' }];
  }

  async getEnvironment(key: string): Promise<Environment | undefined> {
    return (await this.listEnvironments()).find((environment) => environment.key === key);
  }

  async changesSince(_environment: string, afterSeq: number): Promise<ChangeRecord[] | null> {
    this.reads++;
    if (this.failing) throw new Error('the database is away');
    if (afterSeq + 1 < this.retainedFrom) return null;
    return this.changes.slice(afterSeq);
  }
}

class MemoryChannel implements NoticeChannel {
  readonly name = 'redis';
  handlers: NoticeHandlers | null = null;
  readonly announced: WireNotice[] = [];

  start(handlers: NoticeHandlers): void {
    this.handlers = handlers;
  }

  announce(notice: WireNotice): void {
    this.announced.push(notice);
  }

  async close(): Promise<void> {}

  /** Another replica's announcement. */
  hear(seq: number): void {
    this.handlers?.notice({ environment: 'production', seq, urgent: false, committedAt: Date.now() });
  }
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('ReplicatedFanout', () => {
  let store: MemoryStore;
  let channel: MemoryChannel;
  let fanout: ReplicatedFanout;
  let received: ChangeNotice[];
  const seqs = () => received.flatMap((notice) => notice.changes?.map((change) => change.seq) ?? []);

  beforeEach(async () => {
    vi.useFakeTimers();
    store = new MemoryStore();
    store.commit(2);
    channel = new MemoryChannel();
    fanout = new ReplicatedFanout({
      store,
      channel,
      pollIntervalMs: 500,
      sweepIntervalMs: 5_000,
      log: silent,
    });
    await fanout.start();
    received = [];
    fanout.subscribe((notice) => received.push(notice));
    channel.handlers?.up();
    await vi.advanceTimersByTimeAsync(0);
  });
  afterEach(async () => {
    await fanout.close();
    vi.useRealTimers();
  });

  it('starts where the store stands and delivers nothing committed before', () => {
    expect(fanout.deliveredSeqs()).toEqual(new Map([['production', 2]]));
    expect(received).toEqual([]);
  });

  it('delivers its own commit at once, without reading the store, and announces it', () => {
    const [change] = store.commit();
    const reads = store.reads;
    fanout.publish({ environment: 'production', seq: 3, urgent: true, changes: [change!] });
    expect(received).toEqual([{ environment: 'production', seq: 3, urgent: true, changes: [change] }]);
    expect(store.reads).toBe(reads);
    expect(channel.announced).toEqual([
      { environment: 'production', seq: 3, urgent: true, committedAt: expect.any(Number) },
    ]);
  });

  it("reads another replica's changes from the store once, whatever the hints repeat", async () => {
    store.commit(3);
    const reads = store.reads;
    channel.hear(4);
    channel.hear(5);
    channel.hear(3);
    await vi.advanceTimersByTimeAsync(0);
    channel.hear(5);
    await vi.advanceTimersByTimeAsync(0);
    expect(seqs()).toEqual([3, 4, 5]);
    expect(store.reads - reads).toBe(1);
    expect(fanout.deliveredSeqs().get('production')).toBe(5);
  });

  it('drops a hint that is ahead of the store (another installation on the channel)', async () => {
    channel.hear(99);
    await vi.advanceTimersByTimeAsync(0);
    expect(received).toEqual([]);
    store.commit();
    channel.hear(3);
    await vi.advanceTimersByTimeAsync(0);
    expect(seqs()).toEqual([3]);
  });

  it('fills a gap before its own commit: the changes come in sequence order', async () => {
    store.commit(2); // 3 and 4, by another replica, not announced (yet)
    const [own] = store.commit();
    fanout.publish({ environment: 'production', seq: 5, urgent: false, changes: [own!] });
    await vi.advanceTimersByTimeAsync(0);
    channel.hear(3);
    channel.hear(4);
    await vi.advanceTimersByTimeAsync(0);
    expect(seqs()).toEqual([3, 4, 5]);
  });

  it('tells subscribers to reload when the change log no longer reaches back', async () => {
    store.commit(10);
    store.retainedFrom = 8;
    channel.hear(12);
    await vi.advanceTimersByTimeAsync(0);
    expect(received).toEqual([{ environment: 'production', seq: 12, urgent: true }]);
  });

  it('polls every pollIntervalMs while the channel is down, and catches up at once when it is back', async () => {
    channel.handlers?.down();
    expect(fanout.status()).toEqual({ mode: 'redis', connected: false, pollIntervalMs: 500 });
    store.commit(); // announced on a channel nobody hears
    await vi.advanceTimersByTimeAsync(499);
    expect(seqs()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seqs()).toEqual([3]);

    store.commit();
    channel.handlers?.up();
    await vi.advanceTimersByTimeAsync(0);
    expect(seqs()).toEqual([3, 4]);
    expect(fanout.status()).toEqual({ mode: 'redis', connected: true, pollIntervalMs: 5_000 });
  });

  it('finds a change whose announcement was lost at the next sweep', async () => {
    store.commit();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(seqs()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seqs()).toEqual([3]);
  });

  it('tries again from the same seq after the store failed', async () => {
    store.commit();
    store.failing = true;
    channel.hear(3);
    await vi.advanceTimersByTimeAsync(0);
    expect(received).toEqual([]);
    store.failing = false;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seqs()).toEqual([3]);
  });
});

describe('ReplicatedFanout without a channel', () => {
  it('polls the store every pollIntervalMs', async () => {
    vi.useFakeTimers();
    const store = new MemoryStore();
    const fanout = new ReplicatedFanout({ store, pollIntervalMs: 200, sweepIntervalMs: 5_000, log: silent });
    try {
      await fanout.start();
      expect(fanout.status()).toEqual({ mode: 'polling', pollIntervalMs: 200 });
      const received: number[] = [];
      fanout.subscribe((notice) => received.push(...(notice.changes ?? []).map((change) => change.seq)));
      store.commit(2);
      await vi.advanceTimersByTimeAsync(200);
      expect(received).toEqual([1, 2]);
    } finally {
      await fanout.close();
      vi.useRealTimers();
    }
  });
});
