/**
 * Benchmark runner.
 *
 *   npm run bench                                   local evaluation suite (default)
 *   npm run bench -- eval --systems flagd-core,switchboard-core --scenarios plain,rollout
 *   npm run bench -- propagation --sizes 100,1000   propagation suite (also: npm run bench:propagation)
 *       --rounds 5 --client-processes 4             measured events per kind, processes holding the streams
 *   --clock cpu                                     eval tables by CPU time (robust on a busy machine)
 *   --quick                                         tiny configuration (checks that everything runs)
 *   --out DIR                                       where the JSON goes (default benchmarks/results)
 *
 * Exits 1 when a suite's results are not trustworthy (a failed cell, a fairness problem, a lost change).
 */
import { parseArgs } from 'node:util';
import { checkBuilt } from './lib/built';
import { writeResults } from './lib/results';
import { FULL_MEASURE, QUICK_MEASURE } from './eval/cell';
import type { ScenarioId } from './eval/scenarios';
import { DEFAULT_SCENARIOS, DEFAULT_SYSTEMS, renderEvalReport, runEvalSuite } from './eval/suite';
import {
  DEFAULT_SIZES,
  FULL_PROPAGATION,
  QUICK_PROPAGATION,
  QUICK_SIZES,
  renderPropagationReport,
  runPropagationSuite,
} from './propagation/suite';

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
  } else {
    console.error(`unknown suite "${suite}" (known: eval, propagation)`);
    process.exit(2);
  }
}
process.exit(ok ? 0 : 1);
