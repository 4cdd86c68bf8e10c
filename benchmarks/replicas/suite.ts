/**
 * Cross-replica propagation: three Switchboard processes share one PostgreSQL schema (fresh for the run)
 * and announce commits through a redis-server of the run's own. SDK clients (the propagation suite's
 * client processes, each holding real sdk-node clients) connect half to replica B and half to replica C;
 * the change or kill goes through replica A's admin API, and latency runs from just before that call to
 * each client's `change` event. The single-node figure comes first, in the same run: the same clients all
 * on replica A alone (same PostgreSQL and Redis), the change through A.
 */
import { randomBytes } from 'node:crypto';
import { hardFileLimit, spawnNodeWithRaisedFileLimit, stopChild } from '../lib/child';
import { requestJson } from '../lib/http-json';
import type { MachineInfo } from '../lib/machine';
import { describeMachine, machineInfo } from '../lib/machine';
import { formatNumber, markdownTable } from '../lib/table';
import type { StreamTarget } from '../propagation/protocol';
import type { BenchFlagControls, SwitchboardProcess } from '../propagation/servers';
import { BENCH_FLAG, controlBenchFlag, spawnSwitchboard } from '../propagation/servers';
import type { LatencyResult } from '../propagation/suite';
import { ClientProcess, clientScript, connectAll, latencyRow, measureEvents, ms } from '../propagation/suite';
import { createTestSchema, POSTGRES_URL, postgresAvailable } from '../../server/test/postgres-fixture';
import { RedisProcess, redisServerAvailable } from '../../test/scale-harness';

export const DEFAULT_REPLICA_SIZES = [1_000];
export const QUICK_REPLICA_SIZES = [10];

export interface ReplicasOptions {
  sizes: readonly number[];
  /** Client processes sharing the SDK clients (at least 2: one half on replica B, the other on C). */
  clientProcesses: number;
  /** Measured events of each kind per size and topology. */
  rounds: number;
  /** How long a round waits for the last client before counting it as missing. */
  collectTimeoutMs: number;
  log: (line: string) => void;
}

export const FULL_REPLICAS: Omit<ReplicasOptions, 'sizes' | 'log'> = {
  clientProcesses: 4,
  rounds: 5,
  collectTimeoutMs: 30_000,
};
export const QUICK_REPLICAS: Omit<ReplicasOptions, 'sizes' | 'log'> = {
  clientProcesses: 2,
  rounds: 1,
  collectTimeoutMs: 10_000,
};

export interface TopologyResult {
  change: LatencyResult;
  kill: LatencyResult;
  /** Time to connect every client (the slowest client process), ms. */
  connectMs: number;
}

/** What a receiving replica's /metrics says about the changes announced to it through Redis. */
export interface ReplicaFanout {
  replica: 'B' | 'C';
  /** `switchboard_fanout_connected`: its Redis channel was up (not polling the store). */
  connected: boolean;
  /** Changes from replica A delivered after a Redis notice (warm-up and unkills included). */
  announcedChanges: number;
  /** Mean time from A's commit to B's or C's delivery of it (`switchboard_fanout_delay_seconds`), ms. */
  meanDelayMs: number;
}

export interface ReplicaSizeResult {
  clients: number;
  fanout: ReplicaFanout[];
  /** Every client on replica A, which also takes the admin call. */
  singleNode: TopologyResult;
  /** Half the clients on replica B, half on C; the admin call goes to A. */
  crossReplica: TopologyResult;
  /** Cross-replica p99 ÷ single-node p99 (target ≤ 2). */
  changeP99OverSingle: number;
  killP99OverSingle: number;
}

export interface ReplicasReport {
  suite: 'replicas';
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  options: Omit<ReplicasOptions, 'log'>;
  sizes: ReplicaSizeResult[];
  failures: Array<{ clients: number; error: string }>;
  /** False when a size failed or any client missed an event. */
  ok: boolean;
}

/** One unreported warm-up event of each kind, then `rounds` changes and `rounds` kills (each undone). */
async function measureTopology(
  clients: readonly ClientProcess[],
  controls: BenchFlagControls,
  options: ReplicasOptions,
): Promise<Pick<TopologyResult, 'change' | 'kill'>> {
  const { rounds, collectTimeoutMs } = options;
  // Each kill is undone (and its delivery awaited) before the next one.
  const unkill = async () => {
    await measureEvents(clients, 1, collectTimeoutMs, controls.unkill);
  };
  await measureEvents(clients, 1, collectTimeoutMs, controls.changeFlag);
  await measureEvents(clients, 1, collectTimeoutMs, controls.kill, unkill);
  const change = await measureEvents(clients, rounds, collectTimeoutMs, controls.changeFlag);
  const kill = await measureEvents(clients, rounds, collectTimeoutMs, controls.kill, unkill);
  return { change, kill };
}

function metricValue(exposition: string, name: string): number {
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

async function fanoutOf(
  replica: ReplicaFanout['replica'],
  server: SwitchboardProcess,
): Promise<ReplicaFanout> {
  const { status, body } = await requestJson('GET', `${server.url}/metrics`);
  if (status !== 200 || typeof body !== 'string')
    throw new Error(`replica ${replica}: /metrics answered ${status}`);
  const count = metricValue(body, 'switchboard_fanout_delay_seconds_count');
  return {
    replica,
    connected: metricValue(body, 'switchboard_fanout_connected') === 1,
    announcedChanges: count,
    meanDelayMs: (metricValue(body, 'switchboard_fanout_delay_seconds_sum') / count) * 1_000,
  };
}

function targetOf(server: SwitchboardProcess, sdkKey: string): StreamTarget {
  return { kind: 'switchboard', url: server.url, sdkKey, flagKey: BENCH_FLAG };
}

async function measureSize(count: number, options: ReplicasOptions): Promise<ReplicaSizeResult> {
  const processCount = Math.max(2, Math.min(options.clientProcesses, count));
  const schema = await createTestSchema();
  const servers = new Map<'A' | 'B' | 'C', SwitchboardProcess>();
  const clients = Array.from(
    { length: processCount },
    () => new ClientProcess(spawnNodeWithRaisedFileLimit([clientScript], { ipc: true, typescript: true })),
  );
  const disconnectAll = () =>
    Promise.all(clients.map((client) => client.ask({ type: 'disconnect' }, 'disconnected')));
  let redis: RedisProcess | null = null;
  const stopRedis = () => void redis?.stop();
  process.once('exit', stopRedis);
  try {
    redis = await RedisProcess.start();
    const cluster = {
      env: { DATABASE_URL: schema.url, REDIS_URL: redis.url },
      adminToken: `bench-admin-${randomBytes(24).toString('hex')}`,
      // Migrating a fresh schema on a busy machine can take a while.
      readyTimeoutMs: 90_000,
    };
    const startReplica = async (name: 'A' | 'B' | 'C') => {
      const server = await spawnSwitchboard(cluster);
      servers.set(name, server);
      return server;
    };
    // A first, alone: it migrates the fresh schema.
    const replicaA = await startReplica('A');
    const controls = await controlBenchFlag(replicaA);

    const singleConnectMs = await connectAll(clients, targetOf(replicaA, controls.sdkKey), count);
    const single = await measureTopology(clients, controls, options);
    await disconnectAll();
    options.log(
      `  N=${count}: single node change p99 ${single.change.p99.toFixed(1)} ms, kill p99 ${single.kill.p99.toFixed(1)} ms`,
    );

    const [replicaB, replicaC] = await Promise.all([startReplica('B'), startReplica('C')]);
    const half = Math.ceil(processCount / 2);
    const onB = clients.slice(0, half);
    const onC = clients.slice(half);
    const countOnB = Math.round((count * onB.length) / processCount);
    const connectMs = await Promise.all([
      connectAll(onB, targetOf(replicaB, controls.sdkKey), countOnB),
      connectAll(onC, targetOf(replicaC, controls.sdkKey), count - countOnB),
    ]);
    const cross = await measureTopology(clients, controls, options);
    const fanout = [await fanoutOf('B', replicaB), await fanoutOf('C', replicaC)];
    const notThroughRedis = fanout.filter((replica) => !replica.connected || !(replica.announcedChanges > 0));
    if (notThroughRedis.length > 0) {
      throw new Error(`changes did not reach replicas through Redis: ${JSON.stringify(notThroughRedis)}`);
    }
    await disconnectAll();
    options.log(
      `  N=${count}: cross-replica change p99 ${cross.change.p99.toFixed(1)} ms, kill p99 ${cross.kill.p99.toFixed(1)} ms`,
    );

    return {
      clients: count,
      fanout,
      singleNode: { ...single, connectMs: singleConnectMs },
      crossReplica: { ...cross, connectMs: Math.max(...connectMs) },
      changeP99OverSingle: cross.change.p99 / single.change.p99,
      killP99OverSingle: cross.kill.p99 / single.kill.p99,
    };
  } catch (error) {
    const logs = [...servers].map(([name, server]) => `replica ${name}:\n${server.logTail()}`);
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\nlast server log lines:\n${logs.join('\n')}`);
  } finally {
    await Promise.all([
      ...clients.map((client) => stopChild(client.child)),
      ...[...servers.values()].map((server) => server.stop()),
    ]);
    await redis?.stop();
    process.off('exit', stopRedis);
    await schema.drop();
  }
}

export async function runReplicasSuite(
  partial: Pick<ReplicasOptions, 'sizes' | 'log'> & Partial<ReplicasOptions>,
): Promise<ReplicasReport> {
  const options: ReplicasOptions = { ...FULL_REPLICAS, ...partial };
  const started = Date.now();
  const largest = Math.max(...options.sizes);
  const fileLimit = hardFileLimit();
  if (largest + 1_000 > fileLimit) {
    options.log(`warning: the open-file hard limit is ${fileLimit}; a replica may hold ${largest} streams.`);
  }
  const sizes: ReplicaSizeResult[] = [];
  const failures: ReplicasReport['failures'] = [];
  // Without them nothing can be measured: a failure here (the probes warn, or throw with CI=true).
  const suiteName = 'the replicas benchmark';
  const prerequisites = (await postgresAvailable(suiteName)) && redisServerAvailable(suiteName);
  if (!prerequisites) {
    failures.push({
      clients: 0,
      error: `PostgreSQL at ${POSTGRES_URL} or the redis-server binary is missing`,
    });
  }
  for (const count of prerequisites ? options.sizes : []) {
    options.log(
      `  N=${count}: PostgreSQL ${POSTGRES_URL} (fresh schema), redis-server on a free port, connecting…`,
    );
    try {
      sizes.push(await measureSize(count, options));
    } catch (error) {
      failures.push({
        clients: count,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      options.log(`  N=${count}: FAILED ${String(error)}`);
    }
  }
  const { log: _log, ...recorded } = options;
  const missing = sizes.some((size) =>
    [size.singleNode, size.crossReplica].some(
      (topology) => topology.change.missing + topology.kill.missing > 0,
    ),
  );
  return {
    suite: 'replicas',
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    machine: machineInfo(),
    options: recorded,
    sizes,
    failures,
    ok: failures.length === 0 && !missing,
  };
}

export function renderReplicasReport(report: ReplicasReport): string {
  const rows = report.sizes.flatMap((size) => {
    const row = (label: string, latency: LatencyResult, ratio: number | null) =>
      latencyRow(size.clients, label, latency, ratio);
    return [
      row('single-node change', size.singleNode.change, null),
      row('single-node kill', size.singleNode.kill, null),
      row('cross-replica change', size.crossReplica.change, size.changeP99OverSingle),
      row('cross-replica kill', size.crossReplica.kill, size.killP99OverSingle),
    ];
  });
  const o = report.options;
  return [
    `Replicas: 3 server processes on one PostgreSQL schema + Redis fan-out; clients half on B, half on C, ` +
      `admin call to A; single node = every client on A. ${o.clientProcesses} client processes, ${o.rounds} rounds per event kind`,
    `Machine: ${describeMachine(report.machine)}`,
    '',
    markdownTable(
      ['clients / event', 'p50 ms', 'p99 ms', 'max ms', 'receipts', 'API call ms', 'p99 ÷ single node'],
      rows,
    ),
    '',
    'Target: cross-replica p99 within 2× of the single node.',
    ...report.sizes.map(
      (size) =>
        `N=${formatNumber(size.clients)}: A's commit → delivery on ` +
        size.fanout
          .map(
            (replica) =>
              `${replica.replica} ${ms(replica.meanDelayMs)} ms (mean of ${replica.announcedChanges})`,
          )
          .join(', ') +
        ' (switchboard_fanout_delay_seconds; Redis channel up on both).',
    ),
    ...report.failures.map((failure) => `FAILED at N=${failure.clients}: ${failure.error}`),
    report.ok ? '' : 'PROBLEMS: a size failed or a client missed an event (see above).',
  ].join('\n');
}
