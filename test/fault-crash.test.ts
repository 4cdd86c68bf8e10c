/**
 * A server process SIGKILLed while writers stream flag changes and 24 SDKs listen, then restarted
 * on the same port and SQLite file: no acknowledged write is lost, the audit chain is intact, every
 * SDK converges and none ever went back to an older version than one it had served.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { FlagDocument } from '@switchboard/core';
import { createClient } from '@switchboard/sdk-node';
import type { SwitchboardClient } from '@switchboard/sdk-node';
import { ServerProcess } from './fault-harness';
import { eventually, flagPath } from './scale-harness';

const CLIENTS = 24;
/** One writer per flag, each write raising that flag's number by one. */
const FLAGS = ['counter-a', 'counter-b', 'counter-c'];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A number flag serving `value` to everyone, as a PUT body based on `version`. */
function counterFlag(key: string, value: number, version: number | undefined) {
  const environment = { enabled: true, offVariant: 'off', fallthrough: { variant: 'current' } };
  const document: Omit<FlagDocument, 'version'> = {
    key,
    variants: { current: value, off: -1 },
    environments: { production: environment, staging: environment },
  };
  return { ...document, version };
}

/** What one SDK served at one moment: its ruleset version and each counter. */
interface Observation {
  version: number;
  values: number[];
}

function observe(client: SwitchboardClient): Observation[] {
  const seen: Observation[] = [];
  const record = () => {
    const version = client.version;
    const values = FLAGS.map((key) => client.numberVariation(key, {}, -2));
    if (version !== null) seen.push({ version, values });
  };
  client.on('change', record);
  // Also sample between events, as an application evaluating all the time would.
  const sampler = setInterval(record, 10);
  cleanups.push(() => clearInterval(sampler));
  record();
  return seen;
}

it('loses no acknowledged write across SIGKILL; SDKs converge and never go back in version', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-fault-crash-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const server = await ServerProcess.start(join(dir, 'switchboard.db'), dir);
  cleanups.push(() => server.kill());
  const versions: number[] = [];
  for (const key of FLAGS) {
    versions.push((await server.expectOk('PUT', flagPath(key), counterFlag(key, 0, undefined))).version);
  }
  const sdkKey = await server.serverKey();

  const clients = Array.from({ length: CLIENTS }, () => {
    const client = createClient({
      url: server.url,
      sdkKey,
      metrics: false,
      events: false,
      reconnectBaseMs: 100,
      reconnectMaxMs: 1_000,
    });
    cleanups.push(() => client.close());
    return client;
  });
  await Promise.all(clients.map((client) => client.ready()));
  const observations = clients.map(observe);

  // Each write is based on the version the previous one answered (a stale base would be a 409).
  const acknowledged = FLAGS.map(() => 0);
  let stopped = false;
  const writer = async (index: number) => {
    const key = FLAGS[index]!;
    for (let n = 1; !stopped; n++) {
      try {
        const reply = await server.request('PUT', flagPath(key), counterFlag(key, n, versions[index]));
        if (reply.status !== 200) throw new Error(`write ${n} of ${key} answered ${reply.status}`);
        versions[index] = reply.body.version as number;
        acknowledged[index] = n;
      } catch (error) {
        if (stopped) return; // the server died under this write: it was never acknowledged
        throw error;
      }
    }
  };
  const writers = Promise.all(FLAGS.map((_, index) => writer(index)));

  await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 1_500));
  stopped = true;
  await server.kill();
  await writers;
  expect(Math.min(...acknowledged)).toBeGreaterThan(0);

  await server.start();
  const latest: number[] = [];
  for (const [index, key] of FLAGS.entries()) {
    const stored = await server.expectOk('GET', flagPath(key));
    // The write in flight at the kill may or may not have committed; every acknowledged one did.
    expect(stored.version, key).toBeGreaterThanOrEqual(versions[index]!);
    expect(stored.variants.current, key).toBeGreaterThanOrEqual(acknowledged[index]!);
    expect(stored.variants.current, key).toBeLessThanOrEqual(acknowledged[index]! + 1);
    // A change after the restart, which every SDK must hear of.
    latest.push(stored.variants.current + 1);
    await server.expectOk('PUT', flagPath(key), counterFlag(key, latest[index]!, stored.version));
  }
  expect(await server.verifyAudit()).toMatchObject({ ok: true });

  const seq = await server.environmentSeq();
  await eventually(
    () => clients.every((client) => client.version === seq),
    `all ${CLIENTS} SDKs to reach version ${seq}`,
    20_000,
  );
  for (const client of clients) {
    expect(FLAGS.map((key) => client.numberVariation(key, {}, -2))).toEqual(latest);
  }
  for (const seen of observations) {
    for (let i = 1; i < seen.length; i++) {
      const [previous, current] = [seen[i - 1]!, seen[i]!];
      expect(current.version).toBeGreaterThanOrEqual(previous.version);
      for (const index of FLAGS.keys()) {
        expect(current.values[index]).toBeGreaterThanOrEqual(previous.values[index]!);
      }
    }
  }
  console.log(
    `fault-crash: ${acknowledged.join(' + ')} writes acknowledged before SIGKILL; ` +
      `SDK observations per client: ${Math.min(...observations.map((seen) => seen.length))}–` +
      `${Math.max(...observations.map((seen) => seen.length))}`,
  );
}, 60_000);
