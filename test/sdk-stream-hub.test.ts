/** The server's SDK stream hub, with scripted sockets and store: ordering, encoding once, slow consumers. */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EnvironmentRuleset, FlagConfig } from '@switchboard/core';
import { InProcessFanout } from '@switchboard/server';
import type { ChangeNotice, ChangeRecord } from '@switchboard/server';
import type { HubLogger, HubOptions, HubStore, StreamSocket } from '../server/src/sdk-api/environment-hub';
import { HEARTBEAT, STREAM_HEAD } from '../server/src/sdk-api/sse-encoding';
import { StreamHub } from '../server/src/sdk-api/stream-hub';

class FakeSocket extends EventEmitter implements StreamSocket {
  destroyed = false;
  ended = false;
  writableLength = 0;
  readonly writes: Buffer[] = [];

  write(bytes: Buffer): boolean {
    this.writes.push(bytes);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    queueMicrotask(() => this.emit('close'));
  }
  cork(): void {}
  uncork(): void {}

  /** The SSE events written after the head, as [event, id] pairs. */
  events(): Array<[string, number]> {
    const text = Buffer.concat(this.writes).toString('utf8').slice(STREAM_HEAD.length);
    return [...text.matchAll(/event: (\w+)\nid: (\d+)\n/g)].map((m) => [m[1]!, Number(m[2])]);
  }
}

/** A store whose reads wait until the test releases them, so notices can arrive mid-read. */
class ScriptedStore implements HubStore {
  seq: number;
  log: ChangeRecord[] = [];
  /** Oldest seq still in the change log. */
  logStart = 1;
  gate: Promise<void> = Promise.resolve();
  getRuleset = vi.fn(async (environment: string): Promise<EnvironmentRuleset> => {
    const version = this.seq; // read "now", answered when the gate opens
    await this.gate;
    return { environment, version, flags: {}, segments: {} };
  });
  changesSince = vi.fn(async (_environment: string, after: number): Promise<ChangeRecord[] | null> => {
    const seq = this.seq;
    const records = this.log.filter((record) => record.seq > after && record.seq <= seq);
    await this.gate;
    if (after > seq || after + 1 < this.logStart) return null;
    return records;
  });

  constructor(seq = 0) {
    this.seq = seq;
  }

  /** Commits a change: appends it to the log and answers its notice (not yet published). */
  commit(key: string, urgent = false): ChangeNotice {
    this.seq++;
    const record: ChangeRecord = {
      environment: 'production',
      seq: this.seq,
      kind: 'flag',
      key,
      value: flag(key),
    };
    this.log.push(record);
    return { environment: 'production', seq: this.seq, urgent, changes: [record] };
  }

  hold(): () => void {
    let release: () => void = () => {};
    this.gate = new Promise((resolve) => (release = resolve));
    return release;
  }
}

const flag = (key: string): FlagConfig => ({
  key,
  version: 1,
  variants: { on: true, off: false },
  enabled: true,
  offVariant: 'off',
  fallthrough: { variant: 'on' },
});

const OPTIONS: HubOptions = {
  maxBufferedBytes: 1024,
  heartbeatMs: 15_000,
  maxFramesAfterSnapshot: 64,
  closeGraceMs: 2_000,
};
const logger: HubLogger = { warn: vi.fn(), error: vi.fn() };
const settle = () => new Promise((resolve) => setImmediate(resolve));

const hubs: StreamHub[] = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.close();
  vi.useRealTimers();
});

function setup(seq = 0, options: Partial<HubOptions> = {}) {
  const store = new ScriptedStore(seq);
  const fanout = new InProcessFanout();
  const hub = new StreamHub(store, fanout, { ...OPTIONS, ...options }, logger);
  hubs.push(hub);
  const connect = async (resumeFrom: number | null = null, tokenId = 'token-1') => {
    const socket = new FakeSocket();
    await hub.attach('production', socket, tokenId, resumeFrom, null);
    return socket;
  };
  return { store, fanout, hub, connect };
}

describe('StreamHub', () => {
  it('sends a put, then each change once, writing the same encoded bytes to every stream', async () => {
    const { store, fanout, connect } = setup(3);
    const [a, b] = await Promise.all([connect(), connect()]);
    expect(a.writes[0]).toBe(STREAM_HEAD);
    expect(store.getRuleset).toHaveBeenCalledTimes(1); // one read serves both connections

    fanout.publish(store.commit('x'));
    await settle();
    expect(a.events()).toEqual([
      ['put', 3],
      ['patch', 4],
    ]);
    expect(b.events()).toEqual(a.events());
    expect(a.writes.at(-1)).toBe(b.writes.at(-1)); // the very same Buffer
  });

  it('neither loses nor repeats changes committed while the initial ruleset is read', async () => {
    const { store, fanout, connect } = setup(5);
    const release = store.hold();
    const connecting = connect();
    await settle();
    fanout.publish(store.commit('during-read-1')); // 6: after the read: must follow the put
    release();
    fanout.publish(store.commit('during-read-2')); // 7
    const socket = await connecting;
    await settle();
    expect(socket.events()).toEqual([
      ['put', 5],
      ['patch', 6],
      ['patch', 7],
    ]);
  });

  it('drops buffered changes the initial read already contains', async () => {
    const { store, fanout, connect } = setup(5);
    const notice = store.commit('already-in-put'); // committed (6); its notice is still on its way
    const release = store.hold();
    const connecting = connect();
    await settle();
    fanout.publish(notice);
    release();
    const socket = await connecting;
    await settle();
    expect(socket.events()).toEqual([['put', 6]]);
  });

  it('resumes from Last-Event-ID with only the missed changes', async () => {
    const { store, connect } = setup(0);
    store.commit('a');
    store.commit('b');
    store.commit('c');
    const socket = await connect(1);
    expect(socket.events()).toEqual([
      ['patch', 2],
      ['patch', 3],
    ]);
    expect(store.getRuleset).not.toHaveBeenCalled();
  });

  it('sends a fresh put when the log no longer reaches back, or the id is ahead of the store', async () => {
    const { store, connect } = setup(0);
    for (const key of ['a', 'b', 'c']) store.commit(key);
    store.logStart = 3;
    expect((await connect(1)).events()).toEqual([['put', 3]]);
    expect((await connect(99)).events()).toEqual([['put', 3]]);
  });

  it('writes each change during the publish call, a multi-change commit in one write', async () => {
    const { store, fanout, connect } = setup(0);
    const socket = await connect();
    const before = socket.writes.length;
    fanout.publish(store.commit('a'));
    expect(socket.writes.length).toBe(before + 1); // no waiting for a later turn of the event loop
    // One transaction touching several flags (e.g. a kill by tag) is one notice: one write.
    const first = store.commit('b', true);
    const second = store.commit('c', true);
    fanout.publish({ ...second, changes: [...first.changes!, ...second.changes!] });
    expect(socket.writes.length).toBe(before + 2);
    expect(socket.events().slice(1)).toEqual([
      ['patch', 1],
      ['patch', 2],
      ['patch', 3],
    ]);
  });

  it('reads the log when a notice carries no changes, or when one went missing', async () => {
    const { store, fanout, connect } = setup(0);
    const socket = await connect();
    const first = store.commit('a');
    fanout.publish({ environment: 'production', seq: first.seq, urgent: false }); // seq only (another replica)
    await settle();
    store.commit('lost'); // its notice never arrives
    fanout.publish(store.commit('c'));
    await settle();
    await settle();
    expect(socket.events()).toEqual([
      ['put', 0],
      ['patch', 1],
      ['patch', 2],
      ['patch', 3],
    ]);
    expect(store.changesSince).toHaveBeenCalledWith('production', 0);
    expect(store.changesSince).toHaveBeenCalledWith('production', 1);
  });

  it('drops a slow consumer whose unsent bytes pass the bound, and only that one', async () => {
    const { store, fanout, connect, hub } = setup(0, { maxBufferedBytes: 100 });
    const [slow, fast] = await Promise.all([connect(), connect()]);
    slow.writableLength = 5_000;
    fanout.publish(store.commit('x', true));
    expect(slow.destroyed).toBe(true);
    expect(fast.destroyed).toBe(false);
    await settle();
    expect(hub.connectionCount('production')).toBe(1);
  });

  it('heartbeats every stream from one timer per environment', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { connect } = setup(0);
    const sockets = await Promise.all([connect(), connect(), connect()]);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(15_000);
    for (const socket of sockets) expect(socket.writes.at(-1)).toBe(HEARTBEAT);
  });

  it('closes the streams of one token, and everything on close', async () => {
    const { hub, connect } = setup(0);
    const revoked = await connect(null, 'revoked');
    const kept = await connect(null, 'kept');
    expect(hub.closeToken('revoked')).toBe(1);
    expect(revoked.ended).toBe(true);
    expect(kept.ended).toBe(false);
    hub.close();
    expect(kept.ended).toBe(true);
    const late = new FakeSocket();
    await hub.attach('production', late, 'kept', null, null);
    expect(late.destroyed).toBe(true);
  });

  it('counts streams by the version they were sent and flushed', async () => {
    const { store, fanout, hub, connect } = setup(0);
    const [a, b] = await Promise.all([connect(), connect()]);
    fanout.publish(store.commit('x', true));
    b.writableLength = 10; // not flushed yet
    expect(hub.versions('production')).toEqual(new Map([[1, 2]]));
    expect(hub.deliveredCount('production', 1)).toBe(1);
    b.writableLength = 0;
    expect(hub.deliveredCount('production', 1)).toBe(2);
    expect(hub.deliveredCount('production', 2)).toBe(0);
    expect(a.destroyed).toBe(false);
  });
});
