/**
 * The SDK stream heartbeat: idle streams get a comment every interval (SDKs take a silent stream for
 * a dead one), streams that were just sent a change need none, and a sweep reaches every stream.
 */
import type { EnvironmentRuleset, FlagConfig } from '@switchboard/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../src/fanout/fanout';
import type { StreamSocket } from '../src/sdk-api/environment-hub';
import { EnvironmentHub } from '../src/sdk-api/environment-hub';

const HEARTBEAT_MS = 40;
const HEARTBEAT = ':\n\n';

class FakeSocket implements StreamSocket {
  destroyed = false;
  readonly writableLength = 0;
  readonly written: string[] = [];
  write(bytes: Buffer): boolean {
    this.written.push(bytes.toString('utf8'));
    return true;
  }
  end(): void {}
  destroy(): void {
    this.destroyed = true;
  }
  cork(): void {}
  uncork(): void {}
  once(): this {
    return this;
  }
  get heartbeats(): number {
    return this.written.filter((text) => text === HEARTBEAT).length;
  }
}

const ruleset: EnvironmentRuleset = { environment: 'production', version: 0, flags: {}, segments: {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let hub: EnvironmentHub | undefined;
afterEach(() => hub?.closeAll());

async function hubWithStreams(count: number): Promise<{ hub: EnvironmentHub; sockets: FakeSocket[] }> {
  const created = new EnvironmentHub(
    'production',
    { getRuleset: async () => ruleset, changesSince: async () => [] },
    { maxBufferedBytes: 1 << 20, heartbeatMs: HEARTBEAT_MS, maxFramesAfterSnapshot: 100, closeGraceMs: 100 },
    { warn: () => undefined, error: () => undefined },
    () => undefined,
  );
  hub = created;
  const sockets = Array.from({ length: count }, () => new FakeSocket());
  for (const socket of sockets) await created.attach(socket, 'token', null, null);
  return { hub: created, sockets };
}

function change(seq: number): ChangeRecord {
  const value = { key: 'flag', version: seq } as unknown as FlagConfig;
  return { environment: 'production', seq, kind: 'flag', key: 'flag', value };
}

describe('SDK stream heartbeat', () => {
  it('reaches every idle stream, thousands included', async () => {
    const { sockets } = await hubWithStreams(2_500);
    await sleep(HEARTBEAT_MS * 2.5);
    expect(sockets.filter((socket) => socket.heartbeats === 0)).toHaveLength(0);
  });

  it('is not sent while changes keep the streams busy, and resumes once they are idle', async () => {
    const { hub: busy, sockets } = await hubWithStreams(3);
    for (let seq = 1; seq <= 10; seq++) {
      busy.onNotice({ environment: 'production', seq, urgent: false, changes: [change(seq)] });
      await sleep(HEARTBEAT_MS / 4);
    }
    expect(sockets.map((socket) => socket.heartbeats)).toEqual([0, 0, 0]);
    expect(sockets.every((socket) => socket.written.some((text) => text.includes('id: 10\n')))).toBe(true);

    await sleep(HEARTBEAT_MS * 2.5);
    expect(sockets.every((socket) => socket.heartbeats > 0)).toBe(true);
  });
});
