/**
 * Client evaluate: requests per second and latency of `POST /client/v1/evaluate` — every flag's value
 * for one browser context — on the real server (`server/dist/main.js`, temporary SQLite file) with 50
 * flags, next to a bare Fastify route answering the same bytes pre-serialized (the physical HTTP limit),
 * each loaded by autocannon from a process of its own. Also the browser SDK's bundle size.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { firstMessage, spawnNodeWithRaisedFileLimit, stopChild } from '../lib/child';
import { expectJson } from '../lib/http-json';
import type { MachineInfo } from '../lib/machine';
import { describeMachine, machineInfo } from '../lib/machine';
import { quantile } from '../lib/stats';
import { formatNumber, formatRatio, markdownTable } from '../lib/table';
import type { SwitchboardProcess } from '../propagation/servers';
import { spawnSwitchboard } from '../propagation/servers';
import type { BundleSize } from './bundle-size';
import { browserBundleSizes } from './bundle-size';
import {
  CLIENT_EVAL_CONTEXT,
  CLIENT_EVAL_ENVIRONMENT,
  CLIENT_EVAL_FLAG_COUNT,
  CLIENT_EVAL_SEGMENTS,
  clientEvalFlags,
} from './flags';
import type { BareBody, BareListening, LoadJob, LoadReply, LoadResult } from './protocol';

export interface ClientEvalOptions {
  connections: number;
  pipelining: number;
  /** Seconds of load before each measured window (not reported). */
  warmupSeconds: number;
  /** Seconds of each measured window. */
  durationSeconds: number;
  /** Measured windows per server, taken in turns (Switchboard, bare, Switchboard, …). */
  rounds: number;
  log: (line: string) => void;
}

export const FULL_CLIENT_EVAL: Omit<ClientEvalOptions, 'log'> = {
  connections: 50,
  pipelining: 1,
  warmupSeconds: 2,
  durationSeconds: 5,
  rounds: 3,
};
export const QUICK_CLIENT_EVAL: Omit<ClientEvalOptions, 'log'> = {
  connections: 50,
  pipelining: 1,
  warmupSeconds: 1,
  durationSeconds: 2,
  rounds: 1,
};

export interface ClientEvalReport {
  suite: 'client-eval';
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  options: Omit<ClientEvalOptions, 'log'> & { flags: number };
  /** Size of one answer's body (both servers send the same bytes). */
  responseBytes: number | null;
  /** Over the rounds: medians of rates and latencies (max of max), sums of counts. */
  switchboard: LoadResult | null;
  bare: LoadResult | null;
  /**
   * Switchboard ÷ bare, the median of the rounds' ratios: requests per second (below 1: slower) and p99
   * latency (above 1: slower).
   */
  ratios: { requestsPerSecond: number; latencyP99: number } | null;
  /** Every measured window. */
  rounds: Array<{ switchboard: LoadResult; bare: LoadResult }>;
  bundle: BundleSize[];
  failures: string[];
  /** False when a phase failed or any answer was not a 200 with all 50 flags. */
  ok: boolean;
}

const loadScript = fileURLToPath(new URL('./load-worker.ts', import.meta.url));
const bareScript = fileURLToPath(new URL('./bare-server.ts', import.meta.url));
const EVALUATE_PATH = '/client/v1/evaluate';

async function generateLoad(job: Omit<LoadJob, 'type'>, timeoutMs: number): Promise<LoadResult> {
  const child = spawnNodeWithRaisedFileLimit([loadScript], { ipc: true, typescript: true });
  try {
    const reply = firstMessage<LoadReply>(child, timeoutMs);
    child.send({ type: 'run', ...job } satisfies LoadJob);
    const outcome = await reply;
    if (outcome.type === 'failed') throw new Error(`load generator: ${outcome.error}`);
    return outcome.result;
  } finally {
    await stopChild(child);
  }
}

/** Sets up the 50 flags, two segments and a client key; answers the request and the answer it must get. */
async function prepareSwitchboard(url: string, adminToken: string) {
  const admin = { token: adminToken };
  for (const segment of CLIENT_EVAL_SEGMENTS) {
    await expectJson('PUT', `${url}/api/v1/segments/${segment.key}`, { ...admin, body: segment });
  }
  for (const flag of clientEvalFlags()) {
    await expectJson('PUT', `${url}/api/v1/flags/${flag.key}`, { ...admin, body: flag });
  }
  const { token: clientKey } = (await expectJson('POST', `${url}/api/v1/tokens`, {
    ...admin,
    body: { name: 'client-eval-benchmark', kind: 'client', environment: CLIENT_EVAL_ENVIRONMENT },
  })) as { token: string };
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${clientKey}` };
  const body = JSON.stringify({ context: CLIENT_EVAL_CONTEXT });
  const response = await fetch(`${url}${EVALUATE_PATH}`, { method: 'POST', headers, body });
  const answer = await response.text();
  if (response.status !== 200) throw new Error(`${EVALUATE_PATH} answered ${response.status}: ${answer}`);
  const flags = Object.keys((JSON.parse(answer) as { flags: Record<string, unknown> }).flags);
  if (flags.length !== CLIENT_EVAL_FLAG_COUNT) {
    throw new Error(`${EVALUATE_PATH} answered ${flags.length} flags, expected ${CLIENT_EVAL_FLAG_COUNT}`);
  }
  return { headers, body, answer };
}

async function startBare(body: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawnNodeWithRaisedFileLimit([bareScript], { ipc: true, typescript: true });
  try {
    const listening = firstMessage<BareListening>(child, 30_000);
    child.send({ type: 'body', body } satisfies BareBody);
    return { url: `http://127.0.0.1:${(await listening).port}`, child };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** Answers that are not a 200 with the expected body, or requests that failed. */
function problemsOf(result: LoadResult): number {
  return result.non2xx + result.mismatches + result.errors + result.timeouts;
}

/** Medians of the rounds' rates and latencies; sums of their counts. */
function combineRounds(results: readonly LoadResult[]): LoadResult {
  const middle = (pick: (result: LoadResult) => number) => quantile(results.map(pick), 0.5);
  const sum = (pick: (result: LoadResult) => number) =>
    results.reduce((total, result) => total + pick(result), 0);
  const statusCodes: Record<string, number> = {};
  for (const result of results) {
    for (const [status, count] of Object.entries(result.statusCodes)) {
      statusCodes[status] = (statusCodes[status] ?? 0) + count;
    }
  }
  return {
    requestsPerSecond: middle((result) => result.requestsPerSecond),
    requests: sum((result) => result.requests),
    latencyP50Ms: middle((result) => result.latencyP50Ms),
    latencyP99Ms: middle((result) => result.latencyP99Ms),
    latencyMaxMs: Math.max(...results.map((result) => result.latencyMaxMs)),
    bytesPerSecond: middle((result) => result.bytesPerSecond),
    non2xx: sum((result) => result.non2xx),
    mismatches: sum((result) => result.mismatches),
    errors: sum((result) => result.errors),
    timeouts: sum((result) => result.timeouts),
    statusCodes,
  };
}

export async function runClientEvalSuite(
  partial: Pick<ClientEvalOptions, 'log'> & Partial<ClientEvalOptions>,
): Promise<ClientEvalReport> {
  const options: ClientEvalOptions = { ...FULL_CLIENT_EVAL, ...partial };
  const started = Date.now();
  const failures: string[] = [];
  const load = {
    connections: options.connections,
    pipelining: options.pipelining,
    warmupSeconds: options.warmupSeconds,
    durationSeconds: options.durationSeconds,
  };
  const loadTimeoutMs = (options.warmupSeconds + options.durationSeconds) * 1_000 + 60_000;
  let responseBytes: number | null = null;
  const rounds: ClientEvalReport['rounds'] = [];

  let server: SwitchboardProcess | null = null;
  let bareServer: Awaited<ReturnType<typeof startBare>> | null = null;
  try {
    server = await spawnSwitchboard();
    const request = await prepareSwitchboard(server.url, server.adminToken);
    responseBytes = Buffer.byteLength(request.answer);
    bareServer = await startBare(request.answer);
    const job = { ...request, expectBody: request.answer, ...load };
    // Both servers stay up and take turns, so that other work on the machine hits both alike.
    for (let round = 1; round <= options.rounds; round++) {
      const switchboard = await generateLoad({ url: `${server.url}${EVALUATE_PATH}`, ...job }, loadTimeoutMs);
      const bare = await generateLoad({ url: `${bareServer.url}${EVALUATE_PATH}`, ...job }, loadTimeoutMs);
      rounds.push({ switchboard, bare });
      options.log(
        `  round ${round}: switchboard ${formatNumber(switchboard.requestsPerSecond)} req/s, ` +
          `bare fastify ${formatNumber(bare.requestsPerSecond)} req/s`,
      );
    }
  } catch (error) {
    const tail = server ? `\nlast server log lines:\n${server.logTail()}` : '';
    failures.push(`${String(error)}${tail}`);
  } finally {
    await server?.stop();
    if (bareServer) await stopChild(bareServer.child);
  }

  const measured = rounds.length === options.rounds && rounds.length > 0;
  const switchboard = measured ? combineRounds(rounds.map((round) => round.switchboard)) : null;
  const bare = measured ? combineRounds(rounds.map((round) => round.bare)) : null;
  if (switchboard && problemsOf(switchboard) > 0) {
    failures.push(
      `switchboard: ${switchboard.non2xx} non-2xx, ${switchboard.mismatches} answers other than the ${CLIENT_EVAL_FLAG_COUNT}-flag one, ` +
        `${switchboard.errors} errors, ${switchboard.timeouts} timeouts (status codes ${JSON.stringify(switchboard.statusCodes)})`,
    );
  }
  if (bare && problemsOf(bare) > 0) failures.push(`bare fastify: ${JSON.stringify(bare)}`);

  let bundle: BundleSize[] = [];
  try {
    bundle = await browserBundleSizes();
  } catch (error) {
    failures.push(`bundle size: ${String(error)}`);
  }

  const { log: _log, ...recorded } = options;
  const pairedRatio = (pick: (result: LoadResult) => number) =>
    quantile(
      rounds.map((round) => pick(round.switchboard) / pick(round.bare)),
      0.5,
    );
  return {
    suite: 'client-eval',
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    machine: machineInfo(),
    options: { ...recorded, flags: CLIENT_EVAL_FLAG_COUNT },
    responseBytes,
    switchboard,
    bare,
    ratios: measured
      ? {
          requestsPerSecond: pairedRatio((result) => result.requestsPerSecond),
          latencyP99: pairedRatio((result) => result.latencyP99Ms),
        }
      : null,
    rounds,
    bundle,
    failures,
    ok: failures.length === 0 && switchboard !== null && bare !== null && bundle.length > 0,
  };
}

function ms(value: number): string {
  return formatNumber(value, value < 10 ? 2 : 1);
}

export function renderClientEvalReport(report: ClientEvalReport): string {
  const o = report.options;
  const row = (label: string, result: LoadResult | null, ratio: string) =>
    result === null
      ? [label, 'failed', '', '', '', '', '', '']
      : [
          label,
          formatNumber(result.requestsPerSecond),
          ms(result.latencyP50Ms),
          ms(result.latencyP99Ms),
          formatNumber(report.responseBytes ?? 0),
          formatNumber(result.requests),
          formatNumber(problemsOf(result)),
          ratio,
        ];
  const ratios = report.ratios;
  return [
    `Client evaluate: POST /client/v1/evaluate, one context × ${o.flags} flags; autocannon ${o.connections} connections, ` +
      `pipelining ${o.pipelining}; ${o.rounds} × (${o.warmupSeconds} s warm-up + ${o.durationSeconds} s measured) per server, ` +
      'in turns, load generator in its own process',
    `Machine: ${describeMachine(report.machine)}`,
    '',
    markdownTable(
      [
        'server',
        'req/s',
        'p50 ms',
        'p99 ms',
        'response bytes',
        'requests',
        'non-2xx / wrong / errors',
        'req/s ÷ bare',
      ],
      [
        row('switchboard', report.switchboard, ratios ? formatRatio(ratios.requestsPerSecond) : ''),
        row('bare fastify (pre-serialized)', report.bare, ''),
      ],
    ),
    '',
    ratios
      ? `Switchboard p99 ÷ bare p99: ${formatRatio(ratios.latencyP99)}. Rates and latencies: medians over the ` +
        "rounds; ratios: medians of the rounds' ratios."
      : '',
    '',
    markdownTable(
      ['browser SDK build', 'min bytes', 'min+gzip bytes'],
      report.bundle.map((size) => [
        size.build,
        formatNumber(size.minifiedBytes),
        formatNumber(size.gzipBytes),
      ]),
    ),
    ...report.failures.map((failure) => `FAILED: ${failure}`),
    report.ok ? '' : 'PROBLEMS: a phase failed or an answer was not a 200 with every flag (see above).',
  ].join('\n');
}
