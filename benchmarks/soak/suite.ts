/**
 * Soak: one real Switchboard server under everything at once for a long time — thousands of SDK streams,
 * a steady client-evaluate load and a flag change every 100 ms — to show that every change still reaches
 * every stream, in order, exactly once, that propagation stays fast, and that memory and the event loop
 * hold steady. Latency runs from just before each admin call (parent) to each stream's receipt (stream
 * processes), on one monotonic system clock (process.hrtime).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { FlagDocument } from '@switchboard/core';
import { firstMessage, hardFileLimit, spawnNodeWithRaisedFileLimit, stopChild } from '../lib/child';
import { LatencyHistogram } from '../lib/histogram';
import { expectJson, requestJson } from '../lib/http-json';
import { IpcPeer } from '../lib/ipc';
import type { MachineInfo } from '../lib/machine';
import { describeMachine, machineInfo } from '../lib/machine';
import { writeResults } from '../lib/results';
import type { LatencySummary } from '../lib/stats';
import { leastSquaresSlope, quantile } from '../lib/stats';
import { formatNumber, markdownTable } from '../lib/table';
import { scenarioById, singleFlag } from '../eval/scenarios';
import { flagConfig } from '../eval/systems/switchboard-flags';
import { BENCH_FLAG, rssOf, startSwitchboard } from '../propagation/servers';
import type { SwitchboardServer } from '../propagation/servers';
import { renderSoakChart } from './chart';
import type {
  ChangeStarted,
  EvaluateLoadJob,
  EvaluateLoadReady,
  EvaluateLoadResult,
  StreamWorkerCommand,
  StreamWorkerFinished,
  StreamWorkerReply,
} from './protocol';

const ENVIRONMENT = 'production';

export interface SoakOptions {
  durationSeconds: number;
  /** SDK streams in all, `sdkClients` of them real sdk-node clients, the rest plain SSE readers. */
  streams: number;
  sdkClients: number;
  /** Processes sharing the streams. */
  streamProcesses: number;
  /** Client-evaluate requests per second (open loop). */
  evaluateRate: number;
  changeIntervalMs: number;
  /** Latency and delivery are reported per window of this many seconds. */
  windowSeconds: number;
  /** How long streams may take after the last change before what they lack counts as missing. */
  drainTimeoutMs: number;
  log: (line: string) => void;
}

export type SoakSettings = Omit<SoakOptions, 'log'>;

export const FULL_SOAK: SoakSettings = {
  durationSeconds: 600,
  streams: 5_000,
  sdkClients: 100,
  streamProcesses: 4,
  evaluateRate: 2_000,
  changeIntervalMs: 100,
  windowSeconds: 10,
  drainTimeoutMs: 30_000,
};

export const QUICK_SOAK: SoakSettings = {
  durationSeconds: 20,
  streams: 200,
  sdkClients: 10,
  streamProcesses: 2,
  evaluateRate: 200,
  changeIntervalMs: 100,
  windowSeconds: 5,
  drainTimeoutMs: 15_000,
};

/** One second of the server, sampled from /proc and its /metrics. */
export interface ServerSample {
  /** Seconds since the load started. */
  t: number;
  rssMiB: number;
  /** p99 event-loop delay since the previous sample (prom-client's monitorEventLoopDelay histogram, reset per scrape). */
  eventLoopP99Ms: number | null;
  /** Server CPU over the last second, % of one core. */
  cpuPercent: number;
  /** Open SDK streams the server counts. */
  sdkStreams: number | null;
  /** The machine's 1-minute load average. */
  load1: number;
}

export interface SoakWindow {
  /** Seconds since the load started, [start, end). */
  start: number;
  end: number;
  changes: number;
  /** Streams × changes started in this window. */
  expected: number;
  /** First receipts of those changes. */
  delivered: number;
  missing: number;
  propagation: LatencySummary;
  rssMiB: number | null;
  /** Highest per-second p99 event-loop delay in the window. */
  eventLoopP99Ms: number | null;
  evaluate: { requestsPerSecond: number; p99: number; errors: number };
}

export interface SoakReport {
  suite: 'soak';
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  options: SoakSettings;
  loadAverage: { start: number[]; end: number[] };
  streams: { readers: number; sdkClients: number; connectMs: number; reconnects: number };
  changes: {
    /** Changes the schedule has room for: duration ÷ interval. */
    slots: number;
    /** Fewer than the slots when admin calls took longer than the interval. */
    made: number;
    firstSeq: number;
    lastSeq: number;
    /** Changes that started more than one interval after their slot (the previous call took too long). */
    late: number;
    callMs: LatencySummary;
  };
  delivery: {
    expected: number;
    delivered: number;
    missing: number;
    duplicates: number;
    outOfOrder: number;
    unexpected: number;
    streamsWithLoss: number;
  };
  propagation: LatencySummary;
  server: {
    rssIdleMiB: number;
    rssConnectedMiB: number;
    rssStartMiB: number;
    rssEndMiB: number;
    rssMaxMiB: number;
    /** Least-squares slope of RSS over the second half of the run. */
    rssSlopeMiBPerMinute: number;
    eventLoopP99Ms: { median: number; max: number } | null;
    cpuPercentMean: number;
  };
  clientEvaluate: {
    targetRate: number;
    achievedRate: number;
    scheduled: number;
    succeeded: number;
    errors: number;
    errorKinds: Record<string, number>;
    latency: LatencySummary;
  };
  windows: SoakWindow[];
  samples: ServerSample[];
  failures: string[];
  /** False when anything failed, a stream lost, duplicated or reordered a change, or an evaluate call failed. */
  ok: boolean;
}

const streamWorkerScript = fileURLToPath(new URL('./stream-worker.ts', import.meta.url));
const loadGeneratorScript = fileURLToPath(new URL('./load-generator.ts', import.meta.url));

type StreamProcess = IpcPeer<StreamWorkerCommand, StreamWorkerReply>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => bytes / 2 ** 20;

function summarize(histogram: LatencyHistogram): LatencySummary {
  return {
    count: histogram.count,
    p50: histogram.quantile(0.5),
    p99: histogram.quantile(0.99),
    max: histogram.count === 0 ? Number.NaN : histogram.maxMs,
  };
}

/** The flags every evaluate request evaluates besides the soak flag: on/off, a rollout, targeting. */
async function createEvaluateFlags(server: SwitchboardServer): Promise<void> {
  for (const id of ['plain', 'rollout', 'targeting']) {
    const { key, variants, version: _version, ...environment } = flagConfig(singleFlag(scenarioById(id)));
    const document: Omit<FlagDocument, 'version'> = {
      key,
      description: 'soak benchmark: evaluated by the client-evaluate load',
      tags: ['benchmark'],
      variants,
      environments: { [ENVIRONMENT]: environment },
    };
    await expectJson('PUT', `${server.url}/api/v1/flags/${key}`, {
      token: server.adminToken,
      body: document,
    });
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** The value of one series (`name` or `name{labels}`, exactly as exposed) in Prometheus text. */
function metricValue(text: string, series: string): number | null {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

/**
 * Samples the server once a second from `runStart` on: RSS and CPU from /proc every second; the
 * event-loop figure from a /metrics scrape, which a starved server may answer late — while one is
 * running, the seconds after it have none (the next one then covers them all). `stop()` returns the samples.
 */
function sampleServer(server: SwitchboardServer, runStart: bigint): { stop(): Promise<ServerSample[]> } {
  const samples: ServerSample[] = [];
  let cpuBefore = cpuSecondsOf(server.pid);
  let at = process.hrtime.bigint();
  let scrape: Promise<void> | null = null;
  const scrapeInto = async (sample: ServerSample) => {
    try {
      const response = await requestJson('GET', `${server.url}/metrics`, { timeoutMs: 30_000 });
      const metrics = typeof response.body === 'string' ? response.body : '';
      const lag = metricValue(metrics, 'nodejs_eventloop_lag_p99_seconds');
      // An empty histogram (no delay measured since the last scrape) reads min > max and a meaningless p99.
      const min = metricValue(metrics, 'nodejs_eventloop_lag_min_seconds') ?? 0;
      const max = metricValue(metrics, 'nodejs_eventloop_lag_max_seconds') ?? 0;
      sample.eventLoopP99Ms = lag === null || min > max ? null : lag * 1000;
      sample.sdkStreams = metricValue(metrics, `switchboard_sdk_streams{environment="${ENVIRONMENT}"}`);
    } catch {
      // A failed scrape leaves this sample's event-loop figure empty.
    }
  };
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    let sample: ServerSample;
    try {
      const cpu = cpuSecondsOf(server.pid);
      sample = {
        t: Number(now - runStart) / 1e9,
        rssMiB: mib(rssOf(server.pid)),
        eventLoopP99Ms: null,
        cpuPercent: ((cpu - cpuBefore) / (Number(now - at) / 1e9)) * 100,
        sdkStreams: null,
        load1: os.loadavg()[0] as number,
      };
      [cpuBefore, at] = [cpu, now];
    } catch {
      return; // the server is gone: the run fails elsewhere, the samples end here
    }
    samples.push(sample);
    scrape ??= scrapeInto(sample).finally(() => (scrape = null));
  }, 1_000);
  return {
    stop: async () => {
      clearInterval(timer);
      await scrape;
      return samples;
    },
  };
}

interface ChangeRecord {
  seq: number;
  window: number;
  callMs: number;
}

/** A change every `changeIntervalMs` (one at a time: each PUT is based on the version the last returned). */
async function makeChanges(
  server: SwitchboardServer,
  streamProcesses: readonly StreamProcess[],
  options: SoakOptions,
  baseSeq: number,
  runStart: bigint,
): Promise<{ changes: ChangeRecord[]; late: number }> {
  const intervalNs = BigInt(Math.round(options.changeIntervalMs * 1e6));
  const windowNs = options.windowSeconds * 1e9;
  const end = runStart + BigInt(options.durationSeconds) * 1_000_000_000n;
  const changes: ChangeRecord[] = [];
  let late = 0;
  let nextLog = options.windowSeconds * 6;
  for (let index = 0; ; index++) {
    const due = runStart + BigInt(index) * intervalNs;
    const now = process.hrtime.bigint();
    if (due >= end || now >= end) break;
    if (due > now) await sleep(Number(due - now) / 1e6);
    else if (now - due > intervalNs) late++;
    const seq = baseSeq + index + 1;
    const start = process.hrtime.bigint();
    const window = Math.floor(Number(start - runStart) / windowNs);
    const call = server.changeFlag();
    const notice: ChangeStarted = { type: 'change', seq, startNs: String(start), window };
    for (const worker of streamProcesses) worker.child.send(notice);
    await call;
    changes.push({ seq, window, callMs: Number(process.hrtime.bigint() - start) / 1e6 });
    const elapsed = Number(process.hrtime.bigint() - runStart) / 1e9;
    if (elapsed >= nextLog) {
      options.log(`  ${Math.round(elapsed)} s: ${changes.length} changes (${late} late)`);
      nextLog += options.windowSeconds * 6;
    }
  }
  return { changes, late };
}

function mergeFinished(results: readonly StreamWorkerFinished[]) {
  const missingBySeq = new Map<number, number>();
  const windows = new Map<number, LatencyHistogram>();
  for (const result of results) {
    for (const [seq, count] of result.missingBySeq)
      missingBySeq.set(seq, (missingBySeq.get(seq) ?? 0) + count);
    for (const [window, histogram] of result.windows) {
      const merged = windows.get(window);
      if (merged) merged.merge(histogram);
      else windows.set(window, LatencyHistogram.from(histogram));
    }
  }
  const sum = (
    field:
      | 'readers'
      | 'sdkClients'
      | 'delivered'
      | 'duplicates'
      | 'outOfOrder'
      | 'unexpected'
      | 'streamsWithLoss'
      | 'reconnects',
  ) => results.reduce((total, result) => total + result[field], 0);
  return {
    readers: sum('readers'),
    sdkClients: sum('sdkClients'),
    delivered: sum('delivered'),
    duplicates: sum('duplicates'),
    outOfOrder: sum('outOfOrder'),
    unexpected: sum('unexpected'),
    streamsWithLoss: sum('streamsWithLoss'),
    reconnects: sum('reconnects'),
    missingBySeq,
    windows,
  };
}

function windowsOf(
  options: SoakSettings,
  changes: readonly ChangeRecord[],
  delivery: ReturnType<typeof mergeFinished>,
  evaluate: EvaluateLoadResult,
  samples: readonly ServerSample[],
): SoakWindow[] {
  const evaluateWindows = new Map(
    evaluate.windows.map(([window, histogram, errors]) => [window, { histogram, errors }]),
  );
  const count = Math.ceil(options.durationSeconds / options.windowSeconds);
  return Array.from({ length: count }, (_, window) => {
    const start = window * options.windowSeconds;
    const end = Math.min(options.durationSeconds, start + options.windowSeconds);
    const inWindow = changes.filter((change) => change.window === window);
    const latency = delivery.windows.get(window) ?? new LatencyHistogram();
    const seconds = samples.filter((sample) => sample.t > start && sample.t <= end);
    const lags = seconds.flatMap((sample) => (sample.eventLoopP99Ms === null ? [] : [sample.eventLoopP99Ms]));
    const evaluated = evaluateWindows.get(window);
    return {
      start,
      end,
      changes: inWindow.length,
      expected: inWindow.length * options.streams,
      delivered: latency.count,
      missing: inWindow.reduce((total, change) => total + (delivery.missingBySeq.get(change.seq) ?? 0), 0),
      propagation: summarize(latency),
      rssMiB: seconds.at(-1)?.rssMiB ?? null,
      eventLoopP99Ms: lags.length === 0 ? null : Math.max(...lags),
      evaluate: {
        requestsPerSecond: (evaluated?.histogram.count ?? 0) / (end - start),
        p99: evaluated ? LatencyHistogram.from(evaluated.histogram).quantile(0.99) : Number.NaN,
        errors: evaluated?.errors ?? 0,
      },
    };
  });
}

export async function runSoakSuite(
  partial: Pick<SoakOptions, 'log'> & Partial<SoakOptions>,
): Promise<SoakReport> {
  const options: SoakOptions = { ...FULL_SOAK, ...partial };
  const { log } = options;
  const started = Date.now();
  const loadAtStart = os.loadavg();
  const fileLimit = hardFileLimit();
  if (options.streams + 1_000 > fileLimit) {
    log(
      `warning: the open-file hard limit is ${fileLimit}; the server needs one per stream (${options.streams}).`,
    );
  }
  if (options.sdkClients > options.streams) {
    throw new Error(`--sdk-clients (${options.sdkClients}) is more than --streams (${options.streams})`);
  }
  const failures: string[] = [];
  const server = await startSwitchboard();
  const streamProcesses: StreamProcess[] = [];
  let loadGenerator: ReturnType<typeof spawnNodeWithRaisedFileLimit> | null = null;
  let sampler: ReturnType<typeof sampleServer> | null = null;
  try {
    await createEvaluateFlags(server);
    const { token: clientKey } = (await expectJson('POST', `${server.url}/api/v1/tokens`, {
      token: server.adminToken,
      body: { name: 'soak-client-evaluate', kind: 'client', environment: ENVIRONMENT },
    })) as { token: string };
    const { version: baseSeq } = (await expectJson('GET', `${server.url}/sdk/v1/flags`, {
      token: server.sdkKey,
    })) as { version: number };
    const rssIdleMiB = mib(rssOf(server.pid));

    const processCount = Math.max(1, Math.min(options.streamProcesses, options.streams));
    for (let index = 0; index < processCount; index++) {
      streamProcesses.push(
        new IpcPeer(spawnNodeWithRaisedFileLimit([streamWorkerScript], { ipc: true, typescript: true })),
      );
    }
    const share = (total: number, index: number) =>
      Math.floor(total / processCount) + (index < total % processCount ? 1 : 0);
    log(`  connecting ${options.streams} streams (${options.sdkClients} sdk-node clients)…`);
    const target = { url: server.url, sdkKey: server.sdkKey, flagKey: BENCH_FLAG, baseSeq };
    const connected = await Promise.all(
      streamProcesses.map((worker, index) => {
        const sdkClients = share(options.sdkClients, index);
        const readers = share(options.streams, index) - sdkClients;
        return worker.ask({ type: 'connect', target, readers, sdkClients }, 'connected');
      }),
    );
    const connectMs = Math.max(...connected.map((reply) => reply.ms));
    await sleep(2_000);
    const rssConnectedMiB = mib(rssOf(server.pid));

    // The first scrape starts prom-client's process metrics (created on the first /metrics call), so the
    // event-loop histogram runs from here; a failure shows as samples without event-loop figures.
    await requestJson('GET', `${server.url}/metrics`).catch(() => undefined);
    loadGenerator = spawnNodeWithRaisedFileLimit([loadGeneratorScript], { ipc: true, typescript: true });
    await firstMessage<EvaluateLoadReady>(loadGenerator, 60_000);
    const evaluated = firstMessage<EvaluateLoadResult>(
      loadGenerator,
      options.durationSeconds * 1000 + 120_000,
    );
    evaluated.catch(() => undefined); // awaited below; a failure before then must not go unhandled
    log(`  soaking for ${options.durationSeconds} s…`);
    const runStart = process.hrtime.bigint();
    sampler = sampleServer(server, runStart);
    const job: EvaluateLoadJob = {
      type: 'run',
      url: server.url,
      clientKey,
      requestsPerSecond: options.evaluateRate,
      durationMs: options.durationSeconds * 1000,
      runStartNs: String(runStart),
      windowMs: options.windowSeconds * 1000,
    };
    loadGenerator.send(job);
    const changed = await makeChanges(server, streamProcesses, options, baseSeq, runStart);
    const lastSeq = baseSeq + changed.changes.length;
    const finished = await Promise.all(
      streamProcesses.map((worker) =>
        worker.ask(
          { type: 'finish', firstSeq: baseSeq + 1, lastSeq, timeoutMs: options.drainTimeoutMs },
          'finished',
        ),
      ),
    );
    const evaluate = await evaluated;
    const samples = (await sampler.stop()).filter((sample) => sample.t <= options.durationSeconds + 0.5);
    const { version: finalSeq } = (await expectJson('GET', `${server.url}/sdk/v1/flags`, {
      token: server.sdkKey,
    })) as { version: number };
    if (finalSeq !== lastSeq) {
      failures.push(
        `the environment's change sequence is ${finalSeq} after the run; the soak's changes make it ${lastSeq}`,
      );
    }

    const delivery = mergeFinished(finished);
    const missing = [...delivery.missingBySeq.values()].reduce((total, count) => total + count, 0);
    const expected = changed.changes.length * options.streams;
    if (delivery.readers + delivery.sdkClients !== options.streams) {
      failures.push(`${delivery.readers + delivery.sdkClients} streams connected, not ${options.streams}`);
    }
    const propagation = new LatencyHistogram();
    for (const histogram of delivery.windows.values()) propagation.merge(histogram.toJSON());
    const callDurations = changed.changes.map((change) => change.callMs);
    const secondHalf = samples
      .filter((sample) => sample.t >= options.durationSeconds / 2)
      .map((sample) => [sample.t / 60, sample.rssMiB] as const);
    const lags = samples.flatMap((sample) => (sample.eventLoopP99Ms === null ? [] : [sample.eventLoopP99Ms]));
    const rss = samples.map((sample) => sample.rssMiB);
    const { log: _log, ...settings } = options;
    const evaluateLatency = LatencyHistogram.from(evaluate.latency);
    const report: SoakReport = {
      suite: 'soak',
      startedAt: new Date(started).toISOString(),
      durationMs: 0,
      machine: machineInfo(),
      options: settings,
      loadAverage: { start: loadAtStart, end: os.loadavg() },
      streams: {
        readers: delivery.readers,
        sdkClients: delivery.sdkClients,
        connectMs,
        reconnects: delivery.reconnects,
      },
      changes: {
        slots: Math.floor((options.durationSeconds * 1000) / options.changeIntervalMs),
        made: changed.changes.length,
        firstSeq: baseSeq + 1,
        lastSeq,
        late: changed.late,
        callMs: {
          count: callDurations.length,
          p50: quantile(callDurations, 0.5),
          p99: quantile(callDurations, 0.99),
          max: quantile(callDurations, 1),
        },
      },
      delivery: {
        expected,
        delivered: delivery.delivered,
        missing,
        duplicates: delivery.duplicates,
        outOfOrder: delivery.outOfOrder,
        unexpected: delivery.unexpected,
        streamsWithLoss: delivery.streamsWithLoss,
      },
      propagation: summarize(propagation),
      server: {
        rssIdleMiB,
        rssConnectedMiB,
        rssStartMiB: rss[0] ?? Number.NaN,
        rssEndMiB: rss.at(-1) ?? Number.NaN,
        rssMaxMiB: Math.max(...rss),
        rssSlopeMiBPerMinute: leastSquaresSlope(secondHalf),
        eventLoopP99Ms: lags.length === 0 ? null : { median: quantile(lags, 0.5), max: Math.max(...lags) },
        cpuPercentMean: samples.reduce((total, sample) => total + sample.cpuPercent, 0) / samples.length,
      },
      clientEvaluate: {
        targetRate: options.evaluateRate,
        achievedRate: evaluate.succeeded / evaluate.elapsedSeconds,
        scheduled: evaluate.scheduled,
        succeeded: evaluate.succeeded,
        errors: evaluate.errors,
        errorKinds: evaluate.errorKinds,
        latency: summarize(evaluateLatency),
      },
      windows: windowsOf(settings, changed.changes, delivery, evaluate, samples),
      samples,
      failures,
      ok: false,
    };
    report.ok =
      failures.length === 0 &&
      expected > 0 &&
      delivery.delivered === expected &&
      missing === 0 &&
      delivery.duplicates === 0 &&
      delivery.outOfOrder === 0 &&
      delivery.unexpected === 0 &&
      evaluate.errors === 0;
    report.durationMs = Date.now() - started;
    return report;
  } catch (error) {
    throw new Error(`${String(error)}\nlast server log lines:\n${server.logTail()}`);
  } finally {
    await sampler?.stop();
    await Promise.all(
      streamProcesses.map(async (worker) => {
        await worker.ask({ type: 'disconnect' }, 'disconnected').catch(() => undefined);
        await stopChild(worker.child);
      }),
    );
    if (loadGenerator) await stopChild(loadGenerator);
    await server.stop();
  }
}

function ms(value: number): string {
  return Number.isFinite(value) ? formatNumber(value, value < 10 ? 2 : 1) : '–';
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '–' : `${formatNumber((part / whole) * 100, part === whole ? 0 : 4)}%`;
}

export function renderSoakReport(report: SoakReport): string {
  const o = report.options;
  const d = report.delivery;
  const s = report.server;
  const e = report.clientEvaluate;
  const windowRows = report.windows.map((window) => [
    `${window.start}–${Number.isInteger(window.end) ? window.end : window.end.toFixed(1)}`,
    formatNumber(window.changes),
    `${formatNumber(window.delivered)} / ${formatNumber(window.expected)}${window.missing > 0 ? ` (${formatNumber(window.missing)} LOST)` : ''}`,
    ms(window.propagation.p50),
    ms(window.propagation.p99),
    ms(window.propagation.max),
    window.rssMiB === null ? '–' : formatNumber(window.rssMiB, 1),
    window.eventLoopP99Ms === null ? '–' : ms(window.eventLoopP99Ms),
    formatNumber(window.evaluate.requestsPerSecond),
    ms(window.evaluate.p99),
    formatNumber(window.evaluate.errors),
  ]);
  const lag = s.eventLoopP99Ms;
  const summaryRows = [
    [
      'changes made / slots (late)',
      `${formatNumber(report.changes.made)} / ${formatNumber(report.changes.slots)} (${formatNumber(report.changes.late)} late)`,
    ],
    [
      'admin call p50 / p99 / max ms',
      `${ms(report.changes.callMs.p50)} / ${ms(report.changes.callMs.p99)} / ${ms(report.changes.callMs.max)}`,
    ],
    [
      'changes delivered / expected',
      `${formatNumber(d.delivered)} / ${formatNumber(d.expected)} (${percent(d.delivered, d.expected)})`,
    ],
    [
      'missing / duplicate / out of order / unexpected',
      `${d.missing} / ${d.duplicates} / ${d.outOfOrder} / ${d.unexpected}`,
    ],
    ['streams with a loss; reconnects', `${d.streamsWithLoss}; ${report.streams.reconnects}`],
    [
      'propagation p50 / p99 / max ms',
      `${ms(report.propagation.p50)} / ${ms(report.propagation.p99)} / ${ms(report.propagation.max)}`,
    ],
    [
      'server RSS idle → connected → end (max) MiB',
      `${formatNumber(s.rssIdleMiB, 1)} → ${formatNumber(s.rssConnectedMiB, 1)} → ${formatNumber(s.rssEndMiB, 1)} (${formatNumber(s.rssMaxMiB, 1)})`,
    ],
    ['server RSS slope, second half', `${formatNumber(s.rssSlopeMiBPerMinute, 2)} MiB/min`],
    [
      'event-loop delay p99 per second: median / max ms',
      lag ? `${ms(lag.median)} / ${ms(lag.max)}` : 'no /metrics scrape answered',
    ],
    ['server CPU (mean, % of one core)', formatNumber(s.cpuPercentMean, 0)],
    [
      'client evaluate: target / achieved req/s',
      `${formatNumber(e.targetRate)} / ${formatNumber(e.achievedRate)}`,
    ],
    [
      'client evaluate p50 / p99 / max ms',
      `${ms(e.latency.p50)} / ${ms(e.latency.p99)} / ${ms(e.latency.max)}`,
    ],
    ['client evaluate errors', `${e.errors}${e.errors > 0 ? ` ${JSON.stringify(e.errorKinds)}` : ''}`],
  ];
  const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' ');
  return [
    `Soak: ${formatNumber(o.streams)} streams (${formatNumber(report.streams.readers)} SSE readers + ${formatNumber(report.streams.sdkClients)} sdk-node clients, ` +
      `${o.streamProcesses} processes, connected in ${formatNumber(report.streams.connectMs)} ms), ${formatNumber(o.evaluateRate)} client-evaluate req/s, ` +
      `a change every ${o.changeIntervalMs} ms, ${o.durationSeconds} s`,
    `Machine: ${describeMachine(report.machine)}; load average ${load(report.loadAverage.start)} at start, ${load(report.loadAverage.end)} at end`,
    '',
    markdownTable(['measure', 'value'], summaryRows),
    '',
    markdownTable(
      [
        'window s',
        'changes',
        'delivered / expected',
        'p50 ms',
        'p99 ms',
        'max ms',
        'RSS MiB',
        'loop p99 ms',
        'eval req/s',
        'eval p99 ms',
        'eval errors',
      ],
      windowRows,
    ),
    '',
    "Propagation: from just before the admin PUT to each stream's receipt. Every stream must receive every change once, in order.",
    ...report.failures.map((failure) => `FAILED: ${failure}`),
    report.ok
      ? ''
      : 'PROBLEMS: a stream lost, duplicated or reordered a change, or an evaluate request failed (see above).',
  ].join('\n');
}

/** Writes the JSON (benchmarks/results/soak-<timestamp>.json) and the chart next to it (.svg). */
export function writeSoakResults(report: SoakReport, dir?: string): { json: string; svg: string } {
  const json = writeResults('soak', report, dir);
  const svg = json.replace(/\.json$/, '.svg');
  writeFileSync(svg, renderSoakChart(report));
  return { json, svg };
}
