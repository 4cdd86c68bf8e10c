/**
 * Benchmark runner.
 *
 *   npm run bench                                   local evaluation suite (default)
 *   npm run bench -- eval --systems flagd-core,switchboard-core --scenarios plain,rollout
 *   npm run bench -- propagation --sizes 100,1000   propagation suite (also: npm run bench:propagation)
 *       --rounds 5 --client-processes 4             measured events per kind, processes holding the streams
 *   npm run bench -- client-eval                    POST /client/v1/evaluate throughput next to a bare Fastify route
 *       --connections 50 --duration 5 --rounds 3   autocannon connections, seconds per window, windows per server
 *   npm run bench -- replicas --sizes 1000          change/kill via replica A to clients on replicas B and C
 *                                                   (PostgreSQL + Redis fan-out) next to a single node
 *   npm run bench -- soak --duration 600            one server under 5,000 streams, 2,000 evaluate req/s and a
 *       --streams 5000 --sdk-clients 100 --rate 2000  change every 100 ms: delivery, propagation, RSS, event loop
 *   --clock cpu                                     eval tables by CPU time (robust on a busy machine)
 *   --quick                                         tiny configuration (checks that everything runs)
 *   --out DIR                                       where the JSON goes (default benchmarks/results)
 *
 * Exits 1 when a suite's results are not trustworthy (a failed cell, a fairness problem, a lost change).
 */
import { parseArgs } from 'node:util';
import { checkBuilt } from './lib/built';
import { writeResults } from './lib/results';
import {
  FULL_CLIENT_EVAL,
  QUICK_CLIENT_EVAL,
  renderClientEvalReport,
  runClientEvalSuite,
} from './client-eval/suite';
import { FULL_MEASURE, QUICK_MEASURE } from './eval/cell';
import type { ScenarioId } from './eval/scenarios';
import { FULL_SOAK, QUICK_SOAK, renderSoakReport, runSoakSuite, writeSoakResults } from './soak/suite';
import { DEFAULT_SCENARIOS, DEFAULT_SYSTEMS, renderEvalReport, runEvalSuite } from './eval/suite';
import {
  DEFAULT_SIZES,
  FULL_PROPAGATION,
  QUICK_PROPAGATION,
  QUICK_SIZES,
  renderPropagationReport,
  runPropagationSuite,
} from './propagation/suite';
import {
  DEFAULT_REPLICA_SIZES,
  FULL_REPLICAS,
  QUICK_REPLICA_SIZES,
  QUICK_REPLICAS,
  renderReplicasReport,
  runReplicasSuite,
} from './replicas/suite';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    systems: { type: 'string' },
    scenarios: { type: 'string' },
    sizes: { type: 'string' },
    rounds: { type: 'string' },
    'client-processes': { type: 'string' },
    quick: { type: 'boolean', default: false },
    concurrency: { type: 'string' },
    clock: { type: 'string', default: 'wall' },
    out: { type: 'string' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    streams: { type: 'string' },
    'sdk-clients': { type: 'string' },
    rate: { type: 'string' },
  },
});

const { missing, stale } = checkBuilt();
if (missing.length > 0) {
  console.error(`Not built: ${missing.join(', ')}. Run \`npm run build\` at the repository root first.`);
  process.exit(2);
}
if (stale.length > 0)
  console.warn(`warning: older than its sources: ${stale.join(', ')} (run \`npm run build\`)`);

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);
const log = (line: string) => console.log(line);
const suites = positionals.length === 0 ? ['eval'] : positionals;
let ok = true;

for (const suite of suites) {
  if (suite === 'eval') {
    const report = await runEvalSuite({
      systems: list(values.systems) ?? DEFAULT_SYSTEMS,
      scenarios: (list(values.scenarios) as ScenarioId[] | undefined) ?? DEFAULT_SCENARIOS,
      measure: values.quick ? QUICK_MEASURE : FULL_MEASURE,
      concurrency: Number(values.concurrency ?? (values.quick ? 2 : 1)),
      processPerCell: !values.quick,
      clock: values.clock === 'cpu' ? 'cpu' : 'wall',
      log,
    });
    console.log(`\n${renderEvalReport(report)}`);
    console.log(`\nJSON: ${writeResults('eval', report, values.out)}`);
    ok &&= report.ok;
  } else if (suite === 'propagation') {
    const defaults = values.quick ? QUICK_PROPAGATION : FULL_PROPAGATION;
    const report = await runPropagationSuite({
      ...defaults,
      sizes: list(values.sizes)?.map(Number) ?? (values.quick ? QUICK_SIZES : DEFAULT_SIZES),
      rounds: Number(values.rounds ?? defaults.rounds),
      clientProcesses: Number(values['client-processes'] ?? defaults.clientProcesses),
      log,
    });
    console.log(`\n${renderPropagationReport(report)}`);
    console.log(`\nJSON: ${writeResults('propagation', report, values.out)}`);
    ok &&= report.ok;
  } else if (suite === 'client-eval') {
    const defaults = values.quick ? QUICK_CLIENT_EVAL : FULL_CLIENT_EVAL;
    const report = await runClientEvalSuite({
      ...defaults,
      connections: Number(values.connections ?? defaults.connections),
      durationSeconds: Number(values.duration ?? defaults.durationSeconds),
      rounds: Number(values.rounds ?? defaults.rounds),
      log,
    });
    console.log(`\n${renderClientEvalReport(report)}`);
    console.log(`\nJSON: ${writeResults('client-eval', report, values.out)}`);
    ok &&= report.ok;
  } else if (suite === 'replicas') {
    const defaults = values.quick ? QUICK_REPLICAS : FULL_REPLICAS;
    const report = await runReplicasSuite({
      ...defaults,
      sizes: list(values.sizes)?.map(Number) ?? (values.quick ? QUICK_REPLICA_SIZES : DEFAULT_REPLICA_SIZES),
      rounds: Number(values.rounds ?? defaults.rounds),
      clientProcesses: Number(values['client-processes'] ?? defaults.clientProcesses),
      log,
    });
    console.log(`\n${renderReplicasReport(report)}`);
    console.log(`\nJSON: ${writeResults('replicas', report, values.out)}`);
    ok &&= report.ok;
  } else if (suite === 'soak') {
    const defaults = values.quick ? QUICK_SOAK : FULL_SOAK;
    const report = await runSoakSuite({
      ...defaults,
      durationSeconds: Number(values.duration ?? defaults.durationSeconds),
      streams: Number(values.streams ?? defaults.streams),
      sdkClients: Number(values['sdk-clients'] ?? defaults.sdkClients),
      evaluateRate: Number(values.rate ?? defaults.evaluateRate),
      streamProcesses: Number(values['client-processes'] ?? defaults.streamProcesses),
      log,
    });
    console.log(`\n${renderSoakReport(report)}`);
    const written = writeSoakResults(report, values.out);
    console.log(`\nJSON: ${written.json}\nChart: ${written.svg}`);
    ok &&= report.ok;
  } else {
    console.error(`unknown suite "${suite}" (known: eval, propagation, client-eval, replicas, soak)`);
    process.exit(2);
  }
}
process.exit(ok ? 0 : 1);
