/** Evaluation counts: counted on the hot path, sent in the background, bounded. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileRuleset } from '@switchboard/core';
import type { MetricsBatch } from '@switchboard/core';
import { createClient } from '../src';
import type { SwitchboardClient } from '../src';
import { EvaluationCounter, metricsBodies } from '../src/evaluation-metrics';
import { FakeSdkServer, booleanFlag, ruleset } from './fake-server';

const RULES = compileRuleset(
  ruleset(1, {
    a: booleanFlag('a', true),
    b: booleanFlag('b', false),
    split: {
      ...booleanFlag('split', true),
      fallthrough: {
        rollout: {
          weights: [
            { variant: 'on', weight: 50_000 },
            { variant: 'off', weight: 50_000 },
          ],
        },
      },
    },
  }),
);

const sortCounts = (batch: MetricsBatch | null) =>
  [...(batch?.counts ?? [])].sort((x, y) => `${x.flag}${x.variant}`.localeCompare(`${y.flag}${y.variant}`));

describe('EvaluationCounter', () => {
  it('counts per flag, variant and reason, including outcomes shared by several flags', () => {
    const counter = new EvaluationCounter();
    for (let i = 0; i < 3; i++) counter.count('a', RULES.evaluate('a', {}));
    counter.count('b', RULES.evaluate('b', {}));
    counter.count('a', RULES.evaluate('a', {}));
    // core answers every unknown key with one shared result object: it must still count per key.
    counter.count('ghost-1', RULES.evaluate('ghost-1', {}));
    counter.count('ghost-2', RULES.evaluate('ghost-2', {}));
    counter.count('ghost-1', RULES.evaluate('ghost-1', {}));
    for (let i = 0; i < 100; i++) counter.count('split', RULES.evaluate('split', { userId: `user-${i}` }));

    const batch = counter.takeBatch(Date.parse('2030-01-01T00:01:00Z'));
    const counts = sortCounts(batch);
    const splitTotal = counts.filter((c) => c.flag === 'split').reduce((sum, c) => sum + c.count, 0);
    expect(splitTotal).toBe(100);
    expect(counts.filter((c) => c.flag !== 'split')).toEqual([
      { flag: 'a', variant: 'on', reason: 'FALLTHROUGH', count: 4 },
      { flag: 'b', variant: 'off', reason: 'FALLTHROUGH', count: 1 },
      { flag: 'ghost-1', variant: null, reason: 'ERROR', count: 2 },
      { flag: 'ghost-2', variant: null, reason: 'ERROR', count: 1 },
    ]);
    expect(batch?.windowEnd).toBe('2030-01-01T00:01:00.000Z');
  });

  it('counts exactly when outcomes alternate and interleave with other flags and shared outcomes', () => {
    const counter = new EvaluationCounter();
    const expected = new Map<string, number>();
    const count = (flag: string, context: Record<string, unknown>) => {
      const result = RULES.evaluate(flag, context);
      counter.count(flag, result);
      const name = `${flag}/${result.variant ?? null}`;
      expected.set(name, (expected.get(name) ?? 0) + 1);
    };
    for (let i = 0; i < 300; i++) {
      count('split', { userId: `user-${i}` });
      if (i % 3 === 0) count('a', {});
      if (i % 5 === 0) count(i % 2 === 0 ? 'ghost-1' : 'ghost-2', {});
    }
    const counts = counter.takeBatch(1_000)?.counts ?? [];
    expect(new Map(counts.map((c) => [`${c.flag}/${c.variant}`, c.count]))).toEqual(expected);
    expect(new Set(counts.filter((c) => c.flag === 'split').map((c) => c.variant))).toEqual(
      new Set(['on', 'off']),
    );
  });

  it('adds up one outcome served by the rulesets before and after a change in the same window', () => {
    const counter = new EvaluationCounter();
    const changed = RULES.withChange({ kind: 'flag', key: 'b', value: booleanFlag('b', true) }, 2);
    counter.count('a', RULES.evaluate('a', {}));
    counter.count('b', RULES.evaluate('b', {}));
    // 'a' is unchanged (same compiled flag); 'b' now serves on.
    counter.count('a', changed.evaluate('a', {}));
    counter.count('b', changed.evaluate('b', {}));
    counter.count('b', changed.evaluate('b', {}));
    const recompiled = compileRuleset(ruleset(3, { a: booleanFlag('a', true) }));
    counter.count('a', recompiled.evaluate('a', {}));
    expect(sortCounts(counter.takeBatch())).toEqual([
      { flag: 'a', variant: 'on', reason: 'FALLTHROUGH', count: 3 },
      { flag: 'b', variant: 'off', reason: 'FALLTHROUGH', count: 1 },
      { flag: 'b', variant: 'on', reason: 'FALLTHROUGH', count: 2 },
    ]);
  });

  it('starts a new window after each batch, and answers null for an idle window', () => {
    const counter = new EvaluationCounter();
    counter.count('a', RULES.evaluate('a', {}));
    const first = counter.takeBatch(1_000);
    counter.count('a', RULES.evaluate('a', {}));
    const second = counter.takeBatch(2_000);
    expect(second?.windowStart).toBe(first?.windowEnd);
    expect(second?.counts).toEqual([{ flag: 'a', variant: 'on', reason: 'FALLTHROUGH', count: 1 }]);
    expect(counter.takeBatch(3_000)).toBeNull();
  });

  it('keeps at most maxCounters distinct outcomes and counts what it drops', () => {
    const counter = new EvaluationCounter(2);
    counter.count('a', RULES.evaluate('a', {}));
    counter.count('b', RULES.evaluate('b', {}));
    counter.count('x', RULES.evaluate('x', {}));
    counter.count('y', RULES.evaluate('y', {}));
    counter.count('a', RULES.evaluate('a', {}));
    expect(counter.dropped).toBe(2);
    expect(sortCounts(counter.takeBatch()).map((c) => [c.flag, c.count])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
  });
});

describe('metricsBodies', () => {
  it('splits a large batch into bodies under the size bound, keeping every count and the window', () => {
    const batch: MetricsBatch = {
      windowStart: '2030-01-01T00:00:00.000Z',
      windowEnd: '2030-01-01T00:01:00.000Z',
      counts: Array.from({ length: 10_000 }, (_, i) => ({
        flag: `${'ü'.repeat(190)}-${i}`,
        variant: 'on',
        reason: 'FALLTHROUGH' as const,
        count: i + 1,
      })),
    };
    const bodies = metricsBodies(batch, 256 * 1024);
    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(256 * 1024);
    const parsed = bodies.map((body) => JSON.parse(body) as MetricsBatch);
    expect(
      parsed.every((part) => part.windowStart === batch.windowStart && part.windowEnd === batch.windowEnd),
    ).toBe(true);
    expect(parsed.flatMap((part) => part.counts)).toEqual(batch.counts);
  });

  it('keeps a small batch in one body', () => {
    const batch: MetricsBatch = {
      windowStart: 'a',
      windowEnd: 'b',
      counts: [{ flag: 'f', variant: null, reason: 'ERROR', count: 1 }],
    };
    expect(metricsBodies(batch, 256 * 1024).map((body) => JSON.parse(body))).toEqual([batch]);
  });
});

describe('client metrics', () => {
  let server: FakeSdkServer;
  const clients: SwitchboardClient[] = [];
  beforeEach(async () => {
    server = new FakeSdkServer();
    server.ruleset = ruleset(1, { a: booleanFlag('a', true) });
    await server.listen();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server.close();
  });

  it('posts the counts in the background with the SDK key', async () => {
    const sdk = createClient({ url: server.url, sdkKey: 'sb_server_test', flushIntervalMs: 20 });
    clients.push(sdk);
    await sdk.ready();
    for (let i = 0; i < 5; i++) sdk.isEnabled('a', { userId: `u${i}` });
    const [posted] = await server.waitForRequests('/sdk/v1/metrics', 1);
    expect(posted?.method).toBe('POST');
    expect(posted?.headers.authorization).toBe('Bearer sb_server_test');
    expect(JSON.parse(posted!.body).counts).toEqual([
      { flag: 'a', variant: 'on', reason: 'FALLTHROUGH', count: 5 },
    ]);
  });

  it('drops a batch the server does not take instead of piling counts up', async () => {
    let accept = false;
    server.onMetrics = (_request, response) => response.writeHead(accept ? 202 : 503).end();
    const sdk = createClient({ url: server.url, sdkKey: 'sb_server_test', flushIntervalMs: 20 });
    clients.push(sdk);
    await sdk.ready();
    sdk.isEnabled('a', {});
    sdk.isEnabled('a', {});
    await server.waitForRequests('/sdk/v1/metrics', 1); // refused
    accept = true;
    sdk.isEnabled('a', {});
    await server.waitForRequests('/sdk/v1/metrics', 2);
    const bodies = server
      .requestsTo('/sdk/v1/metrics')
      .map((request) => JSON.parse(request.body) as MetricsBatch);
    expect(bodies.map((body) => body.counts[0]?.count)).toEqual([2, 1]);
  });

  it('sends nothing when metrics are off', async () => {
    const sdk = createClient({
      url: server.url,
      sdkKey: 'sb_server_test',
      metrics: false,
      flushIntervalMs: 10,
    });
    await sdk.ready();
    sdk.isEnabled('a', {});
    await sdk.close();
    expect(server.requestsTo('/sdk/v1/metrics')).toHaveLength(0);
  });
});
