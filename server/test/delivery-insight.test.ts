/**
 * Insight: evaluations per variant over time from SDK metrics, the last evaluation, the SDK
 * instances of an environment with the ruleset version each reported (or, streaming here, was sent
 * on its stream); and stale flags
 * (`GET /api/v1/flags?stale=true`). Ages are made by writing old times into the database (the
 * server's clock is never faked).
 */
import { randomUUID } from 'node:crypto';
import { createClient } from '@switchboard/sdk-node';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventReader } from './client-sse';
import type { Json, TestServer } from './helpers';
import { booleanFlag, flagPath, startServer } from './helpers';

const DAY_MS = 24 * 60 * 60 * 1000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

let server: TestServer;
let serverKey: string;

beforeAll(async () => {
  server = await startServer({ delivery: { tickMs: 50 } });
  serverKey = await server.token('server', 'production');
});

afterAll(async () => {
  await server.close();
});

async function postMetrics(
  windowStart: string,
  counts: Array<[flag: string, variant: string | null, count: number]>,
) {
  const reply = await server.request('POST', '/sdk/v1/metrics', {
    token: serverKey,
    body: {
      windowStart,
      windowEnd: new Date(Date.parse(windowStart) + 60_000).toISOString(),
      counts: counts.map(([flag, variant, count]) => ({
        flag,
        variant,
        reason: variant === null ? 'ERROR' : 'FALLTHROUGH',
        count,
      })),
    },
  });
  expect(reply.status).toBe(202);
}

/** Sets when the flag was created and last changed, as if it had been long ago. */
function backdate(key: string, createdAt: string, updatedAt = createdAt) {
  const db = new Database(server.databasePath);
  try {
    db.prepare('UPDATE flags SET created_at = ?, updated_at = ? WHERE key = ?').run(
      createdAt,
      updatedAt,
      key,
    );
  } finally {
    db.close();
  }
}

describe('flag insight', () => {
  it('charts evaluations per variant over time and tells when the flag was last evaluated', async () => {
    await server.request('PUT', flagPath('charted'), { body: booleanFlag('charted') });
    const older = ago(3 * 60 * 60 * 1000);
    const newer = ago(10 * 60 * 1000);
    await postMetrics(older, [
      ['charted', 'on', 30],
      ['charted', 'off', 70],
    ]);
    await postMetrics(newer, [
      ['charted', 'on', 5],
      ['charted', null, 2],
    ]);
    await postMetrics(ago(30 * DAY_MS), [['charted', 'on', 1000]]);

    const insight = (
      await server.request('GET', `${flagPath('charted')}/environments/production/insight?hours=24`)
    ).body;
    expect(insight.evaluations.bucketSeconds).toBe(1800);
    expect(insight.evaluations.totals).toEqual({ on: 35, off: 70, '': 2 });
    const filled = insight.evaluations.buckets.filter(
      (bucket: Json) => Object.keys(bucket.counts).length > 0,
    );
    expect(filled.map((bucket: Json) => bucket.counts)).toEqual([
      { on: 30, off: 70 },
      { on: 5, '': 2 },
    ]);
    for (const [bucket, windowStart] of [
      [filled[0], older],
      [filled[1], newer],
    ]) {
      expect(Date.parse(bucket.start)).toBeLessThanOrEqual(Date.parse(windowStart));
      expect(Date.parse(bucket.start) + 1_800_000).toBeGreaterThan(Date.parse(windowStart));
    }
    expect(insight.lastEvaluatedAt).toBe(newer);

    const staging = (await server.request('GET', `${flagPath('charted')}/environments/staging/insight`)).body;
    expect(staging.lastEvaluatedAt).toBeNull();
    expect(staging.evaluations.totals).toEqual({});

    expect((await server.request('GET', `${flagPath('nope')}/environments/production/insight`)).status).toBe(
      404,
    );
    expect((await server.request('GET', `${flagPath('charted')}/environments/nope/insight`)).status).toBe(
      404,
    );
    expect(
      (await server.request('GET', `${flagPath('charted')}/environments/production/insight?hours=0`)).status,
    ).toBe(400);
  });

  it('lists the connected SDK instances with the ruleset version each reported', async () => {
    await server.request('PUT', flagPath('watched-sdk'), { body: booleanFlag('watched-sdk') });
    const client = createClient({ url: server.url, sdkKey: serverKey, eventsFlushIntervalMs: 50 });
    const insight = async () =>
      (await server.request('GET', `${flagPath('watched-sdk')}/environments/production/insight`)).body;
    const ourInstance = async () =>
      ((await insight()).sdks.instances as Json[]).find(
        (instance) => instance.sdk === 'switchboard-sdk-node',
      );
    const waitFor = async (check: (instance: Json) => boolean) => {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const instance = await ourInstance();
        if (instance && check(instance)) return instance;
        if (Date.now() > deadline) throw new Error(`instance never matched: ${JSON.stringify(instance)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      await client.ready();
      const seen = await waitFor((instance) => instance.current);
      expect(seen).toMatchObject({ sdkVersion: '0.1.0', connected: true, rulesetVersion: client.version });
      const view = await insight();
      expect(view.sdks.currentVersion).toBe(client.version);
      expect(view.sdks.streams).toEqual([{ version: client.version, streams: 1 }]);

      await server.request('PUT', `${flagPath('watched-sdk')}/environments/production/enabled`, {
        body: { enabled: false },
      });
      const caughtUp = await waitFor(
        (instance) => instance.current && instance.rulesetVersion > seen.rulesetVersion,
      );
      expect(caughtUp.instanceId).toBe(seen.instanceId);
    } finally {
      await client.close();
    }
  });
});

describe('SDK instances streaming from the server', () => {
  const openStream = (instanceHeader?: string) =>
    EventReader.open(`${server.url}/sdk/v1/stream`, {
      headers: {
        authorization: `Bearer ${serverKey}`,
        ...(instanceHeader === undefined ? {} : { 'x-switchboard-instance': instanceHeader }),
      },
    });
  const report = async (instanceId: string, rulesetVersion: number) => {
    const reply = await server.request('POST', '/sdk/v1/events', {
      token: serverKey,
      body: { sdk: { instanceId, name: 'raw-sse', version: '1.0.0', rulesetVersion } },
    });
    expect(reply.status).toBe(202);
  };
  const instanceOf = async (flag: string, instanceId: string): Promise<Json> =>
    (
      (await server.request('GET', `${flagPath(flag)}/environments/production/insight`)).body.sdks
        .instances as Json[]
    ).find((instance) => instance.instanceId === instanceId);
  const disable = async (flag: string) => {
    const reply = await server.request('PUT', `${flagPath(flag)}/environments/production/enabled`, {
      body: { enabled: false },
    });
    expect(reply.status).toBe(200);
  };

  it('show the version their stream was sent at once, and the reported one once it closed', async () => {
    await server.request('PUT', flagPath('streamed'), { body: booleanFlag('streamed') });
    const instanceId = randomUUID();
    const stream = await openStream(instanceId);
    let reported = -1;
    try {
      const put = await stream.next();
      expect(put.type).toBe('put');
      reported = put.data.version;
      await report(instanceId, reported);
      const before = await instanceOf('streamed', instanceId);
      expect(before).toMatchObject({ rulesetVersion: reported, current: true, streaming: true });

      await disable('streamed');
      // No report since: the version comes from what this server wrote to the stream.
      const after = await instanceOf('streamed', instanceId);
      expect(after).toMatchObject({
        rulesetVersion: reported + 1,
        current: true,
        connected: true,
        streaming: true,
        lastSeenAt: before.lastSeenAt,
      });
      expect(await stream.next()).toMatchObject({ type: 'patch', id: String(reported + 1) });
    } finally {
      stream.close();
    }

    const deadline = Date.now() + 5_000;
    let closed = await instanceOf('streamed', instanceId);
    while (closed.streaming && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      closed = await instanceOf('streamed', instanceId);
    }
    expect(closed).toMatchObject({
      rulesetVersion: reported,
      current: false,
      connected: true,
      streaming: false,
    });
  });

  it('ignore an instance id that is not 1–64 of A–Z, a–z, 0–9, _ and -, and still stream', async () => {
    await server.request('PUT', flagPath('misnamed'), { body: booleanFlag('misnamed') });
    const longest = 'L'.repeat(64);
    const named = [longest, 'L'.repeat(65), 'with space', 'x'.repeat(200)];
    const streams = await Promise.all(named.map(openStream));
    try {
      const puts = await Promise.all(streams.map((stream) => stream.next()));
      expect(puts.map((event) => event.type)).toEqual(['put', 'put', 'put', 'put']);
      const reported: number = puts[0]!.data.version;
      for (const instanceId of named.slice(0, 3)) await report(instanceId, reported);

      await disable('misnamed');
      expect(await instanceOf('misnamed', longest)).toMatchObject({
        rulesetVersion: reported + 1,
        streaming: true,
      });
      for (const instanceId of named.slice(1, 3)) {
        expect(await instanceOf('misnamed', instanceId)).toMatchObject({
          rulesetVersion: reported,
          current: false,
          streaming: false,
        });
      }
      for (const stream of streams) {
        expect(await stream.next()).toMatchObject({ type: 'patch', id: String(reported + 1) });
      }
    } finally {
      for (const stream of streams) stream.close();
    }
  });
});

describe('stale flags', () => {
  const staleList = async (query = '') =>
    (await server.request('GET', `/api/v1/flags?stale=true${query}`)).body;

  it('are old flags nobody evaluates, and flags serving one variant for the whole period', async () => {
    const old = ago(100 * DAY_MS);
    for (const key of [
      's-forgotten',
      's-once-used',
      's-constant',
      's-mixed',
      's-new',
      's-erroring',
      's-ramping',
    ]) {
      await server.request('PUT', flagPath(key), { body: booleanFlag(key) });
    }
    for (const key of ['s-forgotten', 's-once-used', 's-constant', 's-mixed', 's-erroring', 's-ramping'])
      backdate(key, old);
    await postMetrics(ago(35 * DAY_MS), [['s-once-used', 'on', 10]]);
    await postMetrics(ago(DAY_MS), [
      ['s-constant', 'on', 500],
      ['s-mixed', 'on', 10],
      ['s-mixed', 'off', 10],
      ['s-erroring', 'off', 10],
      ['s-erroring', null, 1],
      ['s-ramping', 'on', 10],
    ]);
    await postMetrics(ago(2 * DAY_MS), [['s-constant', 'on', 100]]);
    await server.request('PUT', `${flagPath('s-ramping')}/environments/production/plan`, {
      body: { steps: [{ enabled: true, holdSeconds: 600 }, { enabled: true }] },
    });

    const answer = await staleList();
    expect(answer.flags.map((flag: Json) => flag.key)).toEqual(['s-constant', 's-forgotten', 's-once-used']);
    expect(answer.stale).toEqual({
      's-constant': {
        reason: 'single-variant',
        lastEvaluatedAt: expect.any(String),
        variants: { production: 'on' },
      },
      's-forgotten': { reason: 'not-evaluated', lastEvaluatedAt: null, variants: {} },
      's-once-used': { reason: 'not-evaluated', lastEvaluatedAt: expect.any(String), variants: {} },
    });

    // A changed flag is not stale: it may be about to serve something else.
    backdate('s-constant', old, ago(DAY_MS / 2));
    expect((await staleList()).flags.map((flag: Json) => flag.key)).not.toContain('s-constant');
    // Over 60 days the once-used flag was evaluated, always serving "on".
    const longer = await staleList('&staleDays=60');
    expect(longer.flags.map((flag: Json) => flag.key)).toEqual(['s-forgotten', 's-once-used']);
    expect(longer.stale['s-once-used']).toMatchObject({
      reason: 'single-variant',
      variants: { production: 'on' },
    });
  });

  it('page like the flag list and honour its filters', async () => {
    const old = ago(400 * DAY_MS);
    for (const key of ['p-a', 'p-b', 'p-c']) {
      await server.request('PUT', flagPath(key), { body: booleanFlag(key, { tags: ['cleanup'] }) });
      backdate(key, old);
    }
    const first = await staleList('&tag=cleanup&limit=2');
    expect(first.flags.map((flag: Json) => flag.key)).toEqual(['p-a', 'p-b']);
    const second = await staleList(`&tag=cleanup&limit=2&cursor=${first.nextCursor}`);
    expect(second.flags.map((flag: Json) => flag.key)).toEqual(['p-c']);
    expect(second.nextCursor).toBeNull();
    expect((await server.request('GET', '/api/v1/flags?stale=yes')).status).toBe(400);
    // The plain list is unchanged by all this.
    expect((await server.request('GET', '/api/v1/flags?tag=cleanup')).body).toEqual({
      flags: expect.any(Array),
      nextCursor: null,
    });
  });
});
