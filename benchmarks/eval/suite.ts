/**
 * The local-evaluation suite: every (system × scenario) cell in its own child process, then the table,
 * the fairness table and the ratios against the targets.
 */
import { fileURLToPath } from 'node:url';
import { firstMessage, forkTs } from '../lib/child';
import type { MachineInfo } from '../lib/machine';
import { describeMachine, installedVersion, machineInfo } from '../lib/machine';
import { formatNs, formatRatio, markdownTable } from '../lib/table';
import type { CellOutcome, CellRequest, CellResult, Clock, MeasureOptions } from './cell';
import type { ScenarioId } from './scenarios';
import { SCENARIOS } from './scenarios';
import { measures, SYSTEMS } from './systems';
import type { BenchSystem } from './systems/types';

const workerScript = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface EvalSuiteOptions {
  systems: readonly string[];
  scenarios: readonly ScenarioId[];
  measure: MeasureOptions;
  /** Child processes at once. 1 for real numbers; more only to check that everything runs. */
  concurrency: number;
  /** The clock the tables and ratios use (the JSON has both). */
  clock: Clock;
  /** One process per cell (fresh JIT: real numbers), or one per lane (quick checks: fewer start-ups). */
  processPerCell: boolean;
  log: (line: string) => void;
}

export interface ScenarioRatios {
  scenario: ScenarioId;
  fastestPeer: string | null;
  fastestPeerNs: number | null;
  /** Fastest peer's median ns/op divided by Switchboard's (above 1: Switchboard is faster). */
  fastestPeerOverCore: number | null;
  fastestPeerOverSdk: number | null;
  /** Switchboard's median ns/op divided by Map.get's (plain scenario only; target ≤ 2). */
  coreOverMapGet: number | null;
  sdkOverMapGet: number | null;
}

export interface EvalReport {
  suite: 'eval';
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  measure: MeasureOptions;
  clock: Clock;
  systems: Array<
    Pick<BenchSystem, 'id' | 'label' | 'kind' | 'packageName' | 'api'> & { version: string | null }
  >;
  scenarios: Array<{ id: ScenarioId; title: string; flags: number }>;
  cells: CellResult[];
  failures: Array<{ system: string; scenario: ScenarioId; error: string }>;
  ratios: ScenarioRatios[];
  /** False when a cell failed or any system's answers did not match the scenario's meaning. */
  ok: boolean;
}

export const DEFAULT_SYSTEMS = SYSTEMS.map((system) => system.id);
export const DEFAULT_SCENARIOS = SCENARIOS.map((scenario) => scenario.id);

async function measureInChild(requests: readonly CellRequest[]): Promise<CellOutcome[]> {
  // Applications run with NODE_ENV=production; some SDKs (GrowthBook) do extra debug work otherwise.
  const child = forkTs(workerScript, [JSON.stringify(requests)], { NODE_ENV: 'production' });
  try {
    return await firstMessage<CellOutcome[]>(child, 300_000 * requests.length);
  } catch (error) {
    return requests.map((request) => ({
      ok: false,
      system: request.system,
      scenario: request.scenario,
      error: String(error),
    }));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

async function runPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

function ratioFor(cells: readonly CellResult[], scenario: ScenarioId, clock: Clock): ScenarioRatios {
  const nsOf = (cell: CellResult | undefined) => (cell ? cell[clock].nsPerOp.median : null);
  const median = (systemId: string) =>
    nsOf(cells.find((cell) => cell.system === systemId && cell.scenario === scenario));
  const peers = cells
    .filter(
      (cell) => cell.scenario === scenario && SYSTEMS.find((s) => s.id === cell.system)?.kind === 'peer',
    )
    .sort((a, b) => a[clock].nsPerOp.median - b[clock].nsPerOp.median);
  const fastest = peers[0];
  const core = median('switchboard-core');
  const sdk = median('switchboard-sdk');
  const mapGet = median('map-get');
  const divide = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
  return {
    scenario,
    fastestPeer: fastest?.system ?? null,
    fastestPeerNs: nsOf(fastest),
    fastestPeerOverCore: divide(nsOf(fastest), core),
    fastestPeerOverSdk: divide(nsOf(fastest), sdk),
    coreOverMapGet: divide(core, mapGet),
    sdkOverMapGet: divide(sdk, mapGet),
  };
}

export async function runEvalSuite(options: EvalSuiteOptions): Promise<EvalReport> {
  const started = Date.now();
  const systems = options.systems.map((id) => {
    const system = SYSTEMS.find((candidate) => candidate.id === id);
    if (!system) throw new Error(`unknown system "${id}" (known: ${DEFAULT_SYSTEMS.join(', ')})`);
    return system;
  });
  const scenarios = SCENARIOS.filter((scenario) => options.scenarios.includes(scenario.id));
  const requests: CellRequest[] = scenarios.flatMap((scenario) =>
    systems
      .filter((system) => measures(system, scenario))
      .map((system) => ({ system: system.id, scenario: scenario.id, measure: options.measure })),
  );

  // Quick runs: one process per lane, each system's cells kept together, systems dealt round-robin.
  const groups = options.processPerCell
    ? requests.map((request) => [request])
    : Array.from({ length: Math.max(1, options.concurrency) }, (_, lane) =>
        requests.filter(
          (request) => systems.findIndex((s) => s.id === request.system) % options.concurrency === lane,
        ),
      ).filter((group) => group.length > 0);

  const outcomes = (
    await runPool(groups, options.concurrency, async (group) => {
      const groupOutcomes = await measureInChild(group);
      groupOutcomes.forEach(logOutcome(options.log, options.clock));
      return groupOutcomes;
    })
  ).flat();

  const cells = outcomes.flatMap((outcome) => (outcome.ok ? [outcome.result] : []));
  const failures = outcomes.flatMap((outcome) =>
    outcome.ok ? [] : [{ system: outcome.system, scenario: outcome.scenario, error: outcome.error }],
  );
  return {
    suite: 'eval',
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    machine: machineInfo(),
    measure: options.measure,
    clock: options.clock,
    systems: systems.map(({ id, label, kind, packageName, api }) => ({
      id,
      label,
      kind,
      packageName,
      api,
      version: packageName ? installedVersion(packageName) : null,
    })),
    scenarios: scenarios.map(({ id, title, flags }) => ({ id, title, flags: flags.length })),
    cells,
    failures,
    ratios: scenarios.map((scenario) => ratioFor(cells, scenario.id, options.clock)),
    ok: failures.length === 0 && cells.every((cell) => cell.problems.length === 0),
  };
}

function logOutcome(log: (line: string) => void, clock: Clock) {
  return (outcome: CellOutcome) => {
    if (outcome.ok) {
      const { system, scenario, enabledFraction, problems } = outcome.result;
      const { nsPerOp } = outcome.result[clock];
      log(
        `  ${scenario.padEnd(9)} ${system.padEnd(26)} ${formatNs(nsPerOp.median).padStart(9)} ns/op` +
          `  on ${(enabledFraction * 100).toFixed(2)}%${problems.length > 0 ? `  PROBLEMS: ${problems.length}` : ''}`,
      );
    } else {
      log(
        `  ${outcome.scenario.padEnd(9)} ${outcome.system.padEnd(26)} FAILED: ${outcome.error.split('\n')[0]}`,
      );
    }
  };
}

function spread(cell: CellResult, clock: Clock): string {
  const { median, p10, p90 } = cell[clock].nsPerOp;
  const deviation = Math.max(p90 - median, median - p10) / median;
  return `±${Math.round(deviation * 100)}%`;
}

/** The human-readable report: timing table, fairness table, problems. */
export function renderEvalReport(report: EvalReport): string {
  const cell = (system: string, scenario: ScenarioId) =>
    report.cells.find((candidate) => candidate.system === system && candidate.scenario === scenario);
  const orNa = (value: number | null) => (value === null ? 'n/a' : formatRatio(value));

  const timingRows = report.scenarios.map((scenario) => {
    const ratios = report.ratios.find((ratio) => ratio.scenario === scenario.id);
    return [
      scenario.title,
      ...report.systems.map((system) => {
        const measured = cell(system.id, scenario.id);
        if (measured)
          return `${formatNs(measured[report.clock].nsPerOp.median)} ${spread(measured, report.clock)}`;
        return report.failures.some((f) => f.system === system.id && f.scenario === scenario.id)
          ? 'FAILED'
          : '—';
      }),
      orNa(ratios?.fastestPeerOverCore ?? null),
      orNa(ratios?.fastestPeerOverSdk ?? null),
      orNa(ratios?.coreOverMapGet ?? null),
      orNa(ratios?.sdkOverMapGet ?? null),
    ];
  });
  const timing = markdownTable(
    [
      `median ns/op, ${report.clock} clock (±p10–p90)`,
      ...report.systems.map((system) => system.label),
      'peer/core',
      'peer/sdk',
      'core/Map.get',
      'sdk/Map.get',
    ],
    timingRows,
  );

  const fairnessRows = report.scenarios.map((scenario) => {
    const expected = report.cells.find((c) => c.scenario === scenario.id)?.expectedFraction;
    return [
      scenario.title,
      expected === undefined ? '—' : `${(expected * 100).toFixed(2)}%`,
      ...report.systems.map((system) => {
        const measured = cell(system.id, scenario.id);
        if (!measured) return '—';
        return `${(measured.enabledFraction * 100).toFixed(2)}%${measured.problems.length > 0 ? ' ✗' : ''}`;
      }),
    ];
  });
  const fairness = markdownTable(
    ['share of users on', 'expected', ...report.systems.map((system) => system.label)],
    fairnessRows,
  );

  const problems = [
    ...report.cells.flatMap((c) => c.problems.map((problem) => `${c.system} / ${c.scenario}: ${problem}`)),
    ...report.failures.map((f) => `${f.system} / ${f.scenario}: FAILED ${f.error.split('\n')[0]}`),
  ];
  const versions = report.systems
    .filter((system) => system.packageName)
    .map((system) => `${system.packageName} ${system.version}`);
  return [
    `Local evaluation, ${report.measure.userCount} rotating users, ${report.measure.batches} batches of ~${report.measure.batchMs} ms`,
    `Machine: ${describeMachine(report.machine)}`,
    `Packages: ${[...new Set(versions)].join(', ')}`,
    '',
    timing,
    '',
    'peer/x = fastest peer ÷ Switchboard (target ≥ 10× for rollout, targeting, 200 flags); x/Map.get target ≤ 2× (plain).',
    '',
    fairness,
    '',
    problems.length === 0
      ? 'Fairness: every system served the scenario as specified, offline.'
      : `PROBLEMS (results not trustworthy):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
  ].join('\n');
}
