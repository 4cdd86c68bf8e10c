/**
 * Propagation: N streams held by a few client processes, first on the bare node:http SSE server (the
 * physical limit), then — with the same client processes — on Switchboard. Latency runs from just before
 * the triggering HTTP call (admin API change/kill, or the bare server's broadcast) to each stream's
 * receipt, on one monotonic system clock (process.hrtime). Server RSS per idle stream comes from /proc.
 * One unreported warm-up event of each kind precedes the measured rounds.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hardFileLimit, spawnNodeWithRaisedFileLimit, stopChild } from '../lib/child';
import type { MachineInfo } from '../lib/machine';
import { describeMachine, machineInfo } from '../lib/machine';
import type { LatencySummary } from '../lib/stats';
import { latencySummary } from '../lib/stats';
import { formatNumber, formatRatio, markdownTable } from '../lib/table';
import type { ClientCommand, ClientReply, ClientResponse, StreamTarget } from './protocol';
import type { ServerUnderTest } from './servers';
import { BENCH_FLAG, rssOf, startBareServer, startSwitchboard } from './servers';

export const DEFAULT_SIZES = [100, 1_000, 10_000];
export const QUICK_SIZES = [10];

export interface PropagationOptions {
  sizes: readonly number[];
  /** Client processes sharing the streams. */
  clientProcesses: number;
  /** Measured events of each kind per size. */
  rounds: number;
  /** How long a round waits for the last stream before counting it as missing. */
  collectTimeoutMs: number;
  /** Pause after connecting before reading RSS and measuring. */
  settleMs: number;
  log: (line: string) => void;
}

export const FULL_PROPAGATION: Omit<PropagationOptions, 'sizes' | 'log'> = {
  clientProcesses: 4,
  rounds: 5,
  collectTimeoutMs: 30_000,
  settleMs: 2_000,
};
export const QUICK_PROPAGATION: Omit<PropagationOptions, 'sizes' | 'log'> = {
  clientProcesses: 2,
  rounds: 1,
  collectTimeoutMs: 10_000,
  settleMs: 200,
};

export interface LatencyResult extends LatencySummary {
  /** Streams that never saw one of the measured events. */
  missing: number;
  /** Duration of the triggering HTTP call (median over rounds), ms. */
  callMs: number;
}

export interface SizeResult {
  streams: number;
  bare: {
    broadcast: LatencyResult;
    rssPerStreamBytes: number;
    connectMs: number;
  };
  switchboard: {
    change: LatencyResult;
    kill: LatencyResult;
    rssPerStreamBytes: number;
    connectMs: number;
  };
  /** Switchboard p99 ÷ bare p99 (target for kill: ≤ 1.5). */
  changeP99OverBare: number;
  killP99OverBare: number;
  /** Switchboard RSS per idle stream ÷ bare (target ≤ 1.5). */
  rssOverBare: number;
}

export interface PropagationReport {
  suite: 'propagation';
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  options: Omit<PropagationOptions, 'log'>;
  bareEventBytes: number | null;
  sizes: SizeResult[];
  failures: Array<{ streams: number; error: string }>;
  /** False when a size failed or any stream missed an event. */
  ok: boolean;
}

export const clientScript = fileURLToPath(new URL('./client-worker.ts', import.meta.url));

/** A client process and its request/response channel. */
export class ClientProcess {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: ClientReply) => void>();

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: ClientResponse) => {
      this.pending.get(message.id)?.(message.reply);
      this.pending.delete(message.id);
    });
    child.once('exit', (code, signal) => {
      for (const resolve of this.pending.values()) {
        resolve({ type: 'failed', error: `client process exited (code ${code}, signal ${signal})` });
      }
      this.pending.clear();
    });
  }

  async ask<T extends ClientReply['type']>(
    command: ClientCommand,
    expected: T,
  ): Promise<Extract<ClientReply, { type: T }>> {
    const id = this.nextId++;
    const reply = await new Promise<ClientReply>((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, command });
    });
    if (reply.type === 'failed') throw new Error(reply.error);
    if (reply.type !== expected) throw new Error(`expected ${expected}, got ${reply.type}`);
    return reply as Extract<ClientReply, { type: T }>;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Opens `count` streams spread over the client processes; returns the slowest process's time. */
export async function connectAll(
  clients: readonly ClientProcess[],
  target: StreamTarget,
  count: number,
): Promise<number> {
  const replies = await Promise.all(
    clients.map((client, index) => {
      const share = Math.floor(count / clients.length) + (index < count % clients.length ? 1 : 0);
      return client.ask({ type: 'connect', target, count: share }, 'connected');
    }),
  );
  const streams = replies.reduce((sum, reply) => sum + reply.streams, 0);
  if (streams !== count) throw new Error(`connected ${streams} of ${count} streams`);
  return Math.max(...replies.map((reply) => reply.ms));
}

/** Runs `rounds` measured events: arm every client, trigger, collect every receipt. */
export async function measureEvents(
  clients: readonly ClientProcess[],
  rounds: number,
  collectTimeoutMs: number,
  trigger: () => Promise<void>,
  afterEach: () => Promise<void> = async () => undefined,
): Promise<LatencyResult> {
  const latencies: number[] = [];
  const callDurations: number[] = [];
  let missing = 0;
  for (let round = 0; round < rounds; round++) {
    await Promise.all(clients.map((client) => client.ask({ type: 'arm' }, 'armed')));
    const start = process.hrtime.bigint();
    await trigger();
    callDurations.push(Number(process.hrtime.bigint() - start) / 1e6);
    const replies = await Promise.all(
      clients.map((client) => client.ask({ type: 'collect', timeoutMs: collectTimeoutMs }, 'collected')),
    );
    for (const reply of replies) {
      missing += reply.missing;
      for (const time of reply.receivedAt) latencies.push(Number(BigInt(time) - start) / 1e6);
    }
    await afterEach();
  }
  return { ...latencySummary(latencies), missing, callMs: median(callDurations) };
}

async function rssGrowthPerStream(
  server: ServerUnderTest,
  count: number,
  settleMs: number,
  connect: () => Promise<number>,
): Promise<{ rssPerStreamBytes: number; connectMs: number }> {
  await sleep(settleMs);
  const before = rssOf(server.pid);
  const connectMs = await connect();
  await sleep(settleMs);
  return { rssPerStreamBytes: (rssOf(server.pid) - before) / count, connectMs };
}

async function measureSize(
  streams: number,
  options: PropagationOptions,
  onBareEvent: (bytes: number) => void,
): Promise<SizeResult> {
  const processCount = Math.max(1, Math.min(options.clientProcesses, streams));
  const clients = Array.from(
    { length: processCount },
    () => new ClientProcess(spawnNodeWithRaisedFileLimit([clientScript], { ipc: true, typescript: true })),
  );
  const disconnectAll = () =>
    Promise.all(clients.map((client) => client.ask({ type: 'disconnect' }, 'disconnected')));
  try {
    const bare = await startBareServer();
    onBareEvent(bare.eventBytes);
    let bareResult: SizeResult['bare'];
    try {
      const memory = await rssGrowthPerStream(bare, streams, options.settleMs, () =>
        connectAll(clients, { kind: 'bare', url: bare.url }, streams),
      );
      await measureEvents(clients, 1, options.collectTimeoutMs, bare.broadcast); // warm-up, not reported
      // Twice the rounds: the bare event stands in for both the change and the kill.
      const broadcast = await measureEvents(
        clients,
        options.rounds * 2,
        options.collectTimeoutMs,
        bare.broadcast,
      );
      bareResult = { broadcast, ...memory };
      await disconnectAll();
    } finally {
      await bare.stop();
    }

    const switchboard = await startSwitchboard();
    let switchboardResult: SizeResult['switchboard'];
    try {
      const target: StreamTarget = {
        kind: 'switchboard',
        url: switchboard.url,
        sdkKey: switchboard.sdkKey,
        flagKey: BENCH_FLAG,
      };
      const memory = await rssGrowthPerStream(switchboard, streams, options.settleMs, () =>
        connectAll(clients, target, streams),
      );
      // Each kill is undone (and its delivery awaited) before the next one.
      const unkill = async () => {
        await measureEvents(clients, 1, options.collectTimeoutMs, switchboard.unkill);
      };
      // Warm-up (first requests through each route), not reported.
      await measureEvents(clients, 1, options.collectTimeoutMs, switchboard.changeFlag);
      await measureEvents(clients, 1, options.collectTimeoutMs, switchboard.kill, unkill);
      const change = await measureEvents(
        clients,
        options.rounds,
        options.collectTimeoutMs,
        switchboard.changeFlag,
      );
      const kill = await measureEvents(
        clients,
        options.rounds,
        options.collectTimeoutMs,
        switchboard.kill,
        unkill,
      );
      switchboardResult = { change, kill, ...memory };
      await disconnectAll();
    } catch (error) {
      throw new Error(`${String(error)}\nlast server log lines:\n${switchboard.logTail()}`);
    } finally {
      await switchboard.stop();
    }

    return {
      streams,
      bare: bareResult,
      switchboard: switchboardResult,
      changeP99OverBare: switchboardResult.change.p99 / bareResult.broadcast.p99,
      killP99OverBare: switchboardResult.kill.p99 / bareResult.broadcast.p99,
      rssOverBare: switchboardResult.rssPerStreamBytes / bareResult.rssPerStreamBytes,
    };
  } finally {
    await Promise.all(clients.map((client) => stopChild(client.child)));
  }
}

export async function runPropagationSuite(
  partial: Pick<PropagationOptions, 'sizes' | 'log'> & Partial<PropagationOptions>,
): Promise<PropagationReport> {
  const options: PropagationOptions = { ...FULL_PROPAGATION, ...partial };
  const started = Date.now();
  const fileLimit = hardFileLimit();
  const largest = Math.max(...options.sizes);
  if (largest + 1_000 > fileLimit) {
    options.log(
      `warning: the open-file hard limit is ${fileLimit}; the server needs one per stream (${largest}). ` +
        "Run with a higher limit, e.g. sudo prlimit or bash -c 'ulimit -Hn 65536; npm run bench:propagation'.",
    );
  }
  const sizes: SizeResult[] = [];
  const failures: PropagationReport['failures'] = [];
  let bareEventBytes: number | null = null;
  for (const streams of options.sizes) {
    options.log(`  N=${streams}: connecting…`);
    try {
      const result = await measureSize(streams, options, (bytes) => (bareEventBytes = bytes));
      sizes.push(result);
      options.log(
        `  N=${streams}: bare p99 ${result.bare.broadcast.p99.toFixed(1)} ms, change p99 ${result.switchboard.change.p99.toFixed(1)} ms, ` +
          `kill p99 ${result.switchboard.kill.p99.toFixed(1)} ms`,
      );
    } catch (error) {
      failures.push({
        streams,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      options.log(`  N=${streams}: FAILED ${String(error)}`);
    }
  }
  const { log: _log, ...recorded } = options;
  const missing = sizes.some(
    (size) =>
      size.bare.broadcast.missing + size.switchboard.change.missing + size.switchboard.kill.missing > 0,
  );
  return {
    suite: 'propagation',
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    machine: machineInfo(),
    options: recorded,
    bareEventBytes,
    sizes,
    failures,
    ok: failures.length === 0 && !missing,
  };
}

/** Milliseconds for tables: two decimals below 10, one above. */
export function ms(value: number): string {
  return formatNumber(value, value < 10 ? 2 : 1);
}

function kib(bytes: number): string {
  return `${formatNumber(bytes / 1024, 1)} KiB`;
}

/** One latency table row: p50, p99, max, receipts (and missing), the triggering call's time, a ratio. */
export function latencyRow(
  streams: number,
  label: string,
  latency: LatencyResult,
  ratio: number | null,
): string[] {
  return [
    `${formatNumber(streams)} ${label}`,
    ms(latency.p50),
    ms(latency.p99),
    ms(latency.max),
    `${formatNumber(latency.count)}${latency.missing > 0 ? ` (${latency.missing} MISSING)` : ''}`,
    ms(latency.callMs),
    ratio === null ? '' : formatRatio(ratio),
  ];
}

export function renderPropagationReport(report: PropagationReport): string {
  const latencyRows = report.sizes.flatMap((size) => {
    const row = (label: string, latency: LatencyResult, ratio: number | null) =>
      latencyRow(size.streams, label, latency, ratio);
    return [
      row('bare broadcast', size.bare.broadcast, null),
      row('switchboard change', size.switchboard.change, size.changeP99OverBare),
      row('switchboard kill', size.switchboard.kill, size.killP99OverBare),
    ];
  });
  const memoryRows = report.sizes.map((size) => [
    formatNumber(size.streams),
    kib(size.bare.rssPerStreamBytes),
    kib(size.switchboard.rssPerStreamBytes),
    // Below ~1,000 streams the growth is within GC noise and can even be negative.
    size.bare.rssPerStreamBytes > 0 && size.switchboard.rssPerStreamBytes > 0
      ? formatRatio(size.rssOverBare)
      : 'n/a',
    `${formatNumber(size.bare.connectMs)} / ${formatNumber(size.switchboard.connectMs)} ms`,
  ]);
  const o = report.options;
  return [
    `Propagation: ${o.clientProcesses} client processes, ${o.rounds} rounds per event kind, bare event ${report.bareEventBytes ?? '?'} bytes`,
    `Machine: ${describeMachine(report.machine)}`,
    '',
    markdownTable(
      ['streams / event', 'p50 ms', 'p99 ms', 'max ms', 'receipts', 'API call ms', 'p99 ÷ bare'],
      latencyRows,
    ),
    '',
    'Target: kill p99 within 1.5× of the bare fan-out at every N.',
    '',
    markdownTable(
      ['streams', 'bare RSS/stream', 'switchboard RSS/stream', 'ratio', 'connect bare / switchboard'],
      memoryRows,
    ),
    '',
    'Target: server memory per idle stream within 1.5× of the bare server.',
    ...report.failures.map((failure) => `FAILED at N=${failure.streams}: ${failure.error}`),
    report.ok ? '' : 'PROBLEMS: a size failed or a stream missed an event (see above).',
  ].join('\n');
}
