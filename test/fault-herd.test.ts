/**
 * Thundering herd: 5,000 SDK streams (raw SSE clients in two child processes) on a server process
 * that is SIGKILLed and restarted; they all reconnect at once, without jitter. The server must stay
 * up and every stream must be back with a fresh `put`. The time that takes is printed, not asserted.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { hardFileLimit, spawnNodeWithRaisedFileLimit, stopChild } from '../benchmarks/lib/child';
import { ServerProcess } from './fault-harness';
import type { HerdStatus } from './fault-herd-streams';
import { booleanFlag, eventually, flagPath } from './scale-harness';

const STREAMS = 5_000;
const CHILDREN = 2;
const STREAMS_SCRIPT = fileURLToPath(new URL('./fault-herd-streams.ts', import.meta.url));

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function status(child: ChildProcess): Promise<HerdStatus> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) reject(new Error(`a stream process exited (${child.exitCode})`));
    child.once('message', (message) => resolve(message as HerdStatus));
    child.send('status');
  });
}

async function herdStatus(children: ChildProcess[]): Promise<HerdStatus> {
  const all = await Promise.all(children.map(status));
  const failures: Record<string, number> = {};
  for (const one of all) {
    for (const [reason, count] of Object.entries(one.failures)) {
      failures[reason] = (failures[reason] ?? 0) + count;
    }
  }
  return {
    up: all.reduce((sum, one) => sum + one.up, 0),
    connections: all.reduce((sum, one) => sum + one.connections, 0),
    failures,
  };
}

/** Waits until `up` streams are up; a timeout says how far they got and what failed. */
async function untilUp(children: ChildProcess[], up: number, what: string, timeoutMs: number) {
  let last: HerdStatus | null = null;
  try {
    await eventually(
      async () => {
        last = await herdStatus(children);
        return last.up === up;
      },
      what,
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last status: ${JSON.stringify(last)}`);
  }
}

it(`reconnects all ${STREAMS} streams at once after a SIGKILL and restart, and stays up`, async () => {
  // The server holds a socket per stream, plus files of its own (children hold their share each).
  expect(hardFileLimit(), 'the open-file limit (ulimit -Hn)').toBeGreaterThan(STREAMS + 1_000);
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-fault-herd-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const server = await ServerProcess.start(join(dir, 'switchboard.db'), dir);
  cleanups.push(() => server.kill());
  await server.expectOk('PUT', flagPath('herd'), booleanFlag('herd', 'on'));
  const sdkKey = await server.serverKey();

  const children = Array.from({ length: CHILDREN }, () => {
    const child = spawnNodeWithRaisedFileLimit(
      [STREAMS_SCRIPT, server.url, sdkKey, String(STREAMS / CHILDREN)],
      { ipc: true, typescript: true },
    );
    cleanups.push(() => stopChild(child));
    return child;
  });
  let connectedAt = Date.now();
  await untilUp(children, STREAMS, `all ${STREAMS} streams to connect`, 60_000);
  console.log(`fault-herd: ${STREAMS} streams connected in ${Date.now() - connectedAt} ms`);

  await server.kill();
  await untilUp(children, 0, 'every stream to notice the kill', 30_000);
  const before = await herdStatus(children);

  const restartedAt = Date.now();
  await server.start(60_000);
  const listeningAfterMs = Date.now() - restartedAt;
  connectedAt = Date.now();
  await untilUp(children, STREAMS, `all ${STREAMS} streams to reconnect and get a put`, 60_000);
  const allBackMs = Date.now() - restartedAt;
  const after = await herdStatus(children);
  console.log(
    `fault-herd: after SIGKILL + restart, the server answered /healthz ${listeningAfterMs} ms after ` +
      `starting; all ${STREAMS} streams were back with a put ${allBackMs} ms after the start ` +
      `(${Date.now() - connectedAt} ms after /healthz), ` +
      `${after.connections - before.connections} connection attempts ` +
      `(failures since the start: ${JSON.stringify(after.failures)})`,
  );
  expect(server.running).toBe(true);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
}, 200_000);
