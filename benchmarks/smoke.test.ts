/**
 * CI smoke of both benchmark suites in a tiny configuration: they run end to end against the built
 * packages and produce well-formed results. No timing thresholds: performance is judged by `npm run bench`.
 */
import { describe, expect, it } from 'vitest';
import { QUICK_MEASURE } from './eval/cell';
import { SCENARIOS } from './eval/scenarios';
import { DEFAULT_SCENARIOS, DEFAULT_SYSTEMS, renderEvalReport, runEvalSuite } from './eval/suite';
import { measures, SYSTEMS } from './eval/systems';
import { QUICK_PROPAGATION, renderPropagationReport, runPropagationSuite } from './propagation/suite';

const positiveFinite = (value: number) => Number.isFinite(value) && value > 0;
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
});
