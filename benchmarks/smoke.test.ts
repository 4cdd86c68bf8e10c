/**
 * CI smoke of the benchmark suites in a tiny configuration: they run end to end against the built
 * packages and produce well-formed results. No timing thresholds: performance is judged by `npm run bench`.
 */
import { describe, expect, it } from 'vitest';
import { QUICK_MEASURE } from './eval/cell';
import { SCENARIOS } from './eval/scenarios';
import { DEFAULT_SCENARIOS, DEFAULT_SYSTEMS, renderEvalReport, runEvalSuite } from './eval/suite';
import { measures, SYSTEMS } from './eval/systems';
import { QUICK_PROPAGATION, renderPropagationReport, runPropagationSuite } from './propagation/suite';
import { QUICK_CLIENT_EVAL, renderClientEvalReport, runClientEvalSuite } from './client-eval/suite';
import { QUICK_REPLICAS, renderReplicasReport, runReplicasSuite } from './replicas/suite';
import { renderSoakChart } from './soak/chart';
import { QUICK_SOAK, renderSoakReport, runSoakSuite } from './soak/suite';
import { postgresAvailable } from '../server/test/postgres-fixture';
import { redisServerAvailable } from '../test/scale-harness';

const positiveFinite = (value: number) => Number.isFinite(value) && value > 0;
const replicasSmoke = 'the replicas benchmark smoke test';
const replicasPrerequisites = (await postgresAvailable(replicasSmoke)) && redisServerAvailable(replicasSmoke);
const quiet = () => undefined;

/** What each scenario means, independently of any system: the share of (user, flag) pairs that get on. */
const EXPECTED_SHARE = { plain: 1, rollout: 0.25, targeting: [0.03, 0.08], flags200: [0.35, 0.45] } as const;

describe('benchmarks smoke', () => {
  it('local evaluation: every system × scenario cell is measured, positive and faithful to the scenario', async () => {
    const report = await runEvalSuite({
      systems: DEFAULT_SYSTEMS,
      scenarios: DEFAULT_SCENARIOS,
      measure: QUICK_MEASURE,
      concurrency: 2,
      processPerCell: false,
      clock: 'wall',
      log: quiet,
    });

    expect(report.failures).toEqual([]);
    const expectedCells = SCENARIOS.flatMap((scenario) =>
      SYSTEMS.filter((system) => measures(system, scenario)).map((system) => `${system.id}/${scenario.id}`),
    );
    expect(report.cells.map((cell) => `${cell.system}/${cell.scenario}`).sort()).toEqual(
      expectedCells.sort(),
    );

    for (const cell of report.cells) {
      const where = `${cell.system}/${cell.scenario}`;
      expect(cell.problems, where).toEqual([]);
      for (const { nsPerOp, batchNsPerOp } of [cell.wall, cell.cpu]) {
        expect(batchNsPerOp.length, where).toBe(QUICK_MEASURE.batches);
        expect(
          batchNsPerOp.every((ns) => Number.isFinite(ns) && ns >= 0),
          where,
        ).toBe(true);
        expect(nsPerOp.min <= nsPerOp.median && nsPerOp.median <= nsPerOp.max, where).toBe(true);
      }
      expect(cell.wall.batchNsPerOp.every(positiveFinite), where).toBe(true);
      const expected = EXPECTED_SHARE[cell.scenario];
      if (typeof expected === 'number') expect(cell.expectedFraction, where).toBe(expected);
      else {
        expect(cell.expectedFraction, where).toBeGreaterThan(expected[0]);
        expect(cell.expectedFraction, where).toBeLessThan(expected[1]);
      }
      expect(Math.abs(cell.enabledFraction - cell.expectedFraction), where).toBeLessThan(0.05);
    }
    for (const ratio of report.ratios) {
      expect(positiveFinite(ratio.fastestPeerOverCore ?? Number.NaN), ratio.scenario).toBe(true);
      expect(positiveFinite(ratio.fastestPeerOverSdk ?? Number.NaN), ratio.scenario).toBe(true);
    }
    expect(report.ok).toBe(true);
    const table = renderEvalReport(report);
    for (const system of SYSTEMS) expect(table).toContain(system.label);
  }, 90_000);

  it('propagation: every stream receives every change and kill, from Switchboard and the bare server', async () => {
    const streams = 10;
    const report = await runPropagationSuite({ ...QUICK_PROPAGATION, sizes: [streams], log: quiet });

    expect(report.failures).toEqual([]);
    expect(report.sizes).toHaveLength(1);
    const [size] = report.sizes;
    if (!size) throw new Error('no result for N=10');
    const { rounds } = QUICK_PROPAGATION;
    const latencies = [
      [size.bare.broadcast, streams * rounds * 2],
      [size.switchboard.change, streams * rounds],
      [size.switchboard.kill, streams * rounds],
    ] as const;
    for (const [latency, receipts] of latencies) {
      expect(latency.missing).toBe(0);
      expect(latency.count).toBe(receipts);
      expect([latency.p50, latency.p99, latency.max, latency.callMs].every(positiveFinite)).toBe(true);
      expect(latency.p50 <= latency.p99 && latency.p99 <= latency.max).toBe(true);
    }
    for (const value of [size.bare.rssPerStreamBytes, size.switchboard.rssPerStreamBytes, size.rssOverBare]) {
      expect(Number.isFinite(value)).toBe(true);
    }
    expect([size.changeP99OverBare, size.killP99OverBare].every(positiveFinite)).toBe(true);
    expect(report.ok).toBe(true);
    expect(renderPropagationReport(report)).toContain('switchboard kill');
  }, 60_000);

  it('client evaluate: every answer from Switchboard and the bare route is a 200 with all 50 flags', async () => {
    const report = await runClientEvalSuite({ ...QUICK_CLIENT_EVAL, log: quiet });

    expect(report.failures).toEqual([]);
    expect(report.responseBytes).toBeGreaterThan(0);
    for (const result of [report.switchboard, report.bare]) {
      if (!result) throw new Error('a server was not measured');
      expect(result.requests).toBeGreaterThan(0);
      expect(result.statusCodes).toEqual({ 200: result.requests });
      expect([result.non2xx, result.mismatches, result.errors, result.timeouts]).toEqual([0, 0, 0, 0]);
      expect(
        [result.requestsPerSecond, result.latencyMaxMs, result.bytesPerSecond].every(positiveFinite),
      ).toBe(true);
      expect(result.latencyP50Ms <= result.latencyP99Ms && result.latencyP99Ms <= result.latencyMaxMs).toBe(
        true,
      );
    }
    expect(
      [report.ratios?.requestsPerSecond, report.ratios?.latencyP99].every((ratio) =>
        positiveFinite(ratio ?? Number.NaN),
      ),
    ).toBe(true);
    expect(report.bundle).toHaveLength(2);
    for (const size of report.bundle) {
      expect(size.gzipBytes, size.build).toBeGreaterThan(0);
      expect(size.gzipBytes, size.build).toBeLessThan(size.minifiedBytes);
    }
    expect(report.ok).toBe(true);
    expect(renderClientEvalReport(report)).toContain('bare fastify');
  }, 90_000);

  it.skipIf(!replicasPrerequisites)(
    'replicas: every client on replicas B and C, and on a single node, receives every change and kill made on A',
    async () => {
      const clients = 10;
      const report = await runReplicasSuite({ ...QUICK_REPLICAS, sizes: [clients], log: quiet });

      expect(report.failures).toEqual([]);
      expect(report.sizes).toHaveLength(1);
      const [size] = report.sizes;
      if (!size) throw new Error('no result for N=10');
      for (const topology of [size.singleNode, size.crossReplica]) {
        for (const latency of [topology.change, topology.kill]) {
          expect(latency.missing).toBe(0);
          expect(latency.count).toBe(clients * QUICK_REPLICAS.rounds);
          expect([latency.p50, latency.p99, latency.max, latency.callMs].every(positiveFinite)).toBe(true);
          expect(latency.p50 <= latency.p99 && latency.p99 <= latency.max).toBe(true);
        }
      }
      expect([size.changeP99OverSingle, size.killP99OverSingle].every(positiveFinite)).toBe(true);
      // Replicas B and C heard of A's changes through Redis, not by polling the store.
      expect(size.fanout.map((replica) => [replica.replica, replica.connected])).toEqual([
        ['B', true],
        ['C', true],
      ]);
      for (const replica of size.fanout) {
        expect(replica.announcedChanges, replica.replica).toBeGreaterThan(0);
        expect(positiveFinite(replica.meanDelayMs), replica.replica).toBe(true);
      }
      expect(report.ok).toBe(true);
      expect(renderReplicasReport(report)).toContain('cross-replica kill');
    },
    90_000,
  );

  it('soak: under streams, evaluate load and a change every 100 ms, every stream gets every change once, in order', async () => {
    const report = await runSoakSuite({ ...QUICK_SOAK, log: quiet });

    expect(report.failures).toEqual([]);
    expect(report.streams.readers + report.streams.sdkClients).toBe(QUICK_SOAK.streams);
    expect(report.streams.sdkClients).toBe(QUICK_SOAK.sdkClients);
    expect(report.changes.slots).toBe((QUICK_SOAK.durationSeconds * 1000) / QUICK_SOAK.changeIntervalMs);
    // A slow machine makes fewer changes (admin calls take longer than the interval); each one counts.
    const changes = report.changes.made;
    expect(changes).toBeGreaterThan(0);
    expect(changes).toBeLessThanOrEqual(report.changes.slots);
    expect(report.changes.lastSeq - report.changes.firstSeq + 1).toBe(changes);
    const { delivery } = report;
    expect(delivery.expected).toBe(changes * QUICK_SOAK.streams);
    expect(delivery.delivered).toBe(delivery.expected);
    expect([delivery.missing, delivery.duplicates, delivery.outOfOrder, delivery.unexpected]).toEqual([
      0, 0, 0, 0,
    ]);
    expect(delivery.streamsWithLoss).toBe(0);
    const { propagation } = report;
    expect(propagation.count).toBe(delivery.expected);
    expect([propagation.p50, propagation.p99, propagation.max].every(positiveFinite)).toBe(true);
    expect(propagation.p50 <= propagation.p99 && propagation.p99 <= propagation.max).toBe(true);

    expect(report.windows).toHaveLength(QUICK_SOAK.durationSeconds / QUICK_SOAK.windowSeconds);
    expect(report.windows.reduce((sum, window) => sum + window.changes, 0)).toBe(changes);
    expect(report.windows.reduce((sum, window) => sum + window.delivered, 0)).toBe(delivery.expected);
    expect(report.samples.length).toBeGreaterThan(0);
    expect(report.samples.every((sample, index) => sample.t > (report.samples[index - 1]?.t ?? 0))).toBe(
      true,
    );
    expect(report.samples.every((sample) => positiveFinite(sample.rssMiB))).toBe(true);
    expect(report.samples.some((sample) => positiveFinite(sample.eventLoopP99Ms ?? Number.NaN))).toBe(true);
    expect(Number.isFinite(report.server.rssSlopeMiBPerMinute)).toBe(true);

    const evaluate = report.clientEvaluate;
    expect(evaluate.scheduled).toBe(QUICK_SOAK.evaluateRate * QUICK_SOAK.durationSeconds);
    expect(evaluate.succeeded).toBe(evaluate.scheduled);
    expect(evaluate.errors).toBe(0);
    expect([evaluate.achievedRate, evaluate.latency.p99].every(positiveFinite)).toBe(true);
    expect(report.ok).toBe(true);

    expect(renderSoakReport(report)).toContain('changes delivered / expected');
    const chart = renderSoakChart(report);
    expect(chart.startsWith('<svg')).toBe(true);
    expect(chart.trimEnd().endsWith('</svg>')).toBe(true);
    for (const title of ['Propagation', 'Server RSS', 'event-loop delay']) expect(chart).toContain(title);
  }, 120_000);
});
