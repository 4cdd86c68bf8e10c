/**
 * Several replicas behaving as one server: three in-process replicas on one PostgreSQL schema, with
 * a Redis of the test's own for the fan-out, and SDKs (sdk-node) connected to different replicas.
 */
import { createClient } from '@switchboard/sdk-node';
import type { SwitchboardClient } from '@switchboard/sdk-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Json, Replica } from './scale-harness';
import {
  booleanFlag,
  Cluster,
  eventually,
  flagPath,
  postgresAvailable,
  RedisProcess,
  redisServerAvailable,
  StreamRecorder,
} from './scale-harness';

const available =
  (await postgresAvailable('the scale-out tests')) && redisServerAvailable('the scale-out tests');

const context = { userId: 'user-1' };

function sdk(replica: Replica, sdkKey: string): SwitchboardClient {
  // Reconnect quickly: these tests stop things on purpose.
  return createClient({ url: replica.url, sdkKey, reconnectBaseMs: 50, reconnectMaxMs: 500, metrics: false });
}

/** Every event after the first put is the next seq: nothing skipped, repeated or reordered. */
function expectContiguous(recorder: StreamRecorder): void {
  const ids = recorder.events.map((event) => event.id);
  expect(recorder.events[0]?.type).toBe('put');
  for (let index = 1; index < recorder.events.length; index++) {
    const event = recorder.events[index]!;
    if (event.type === 'put') expect(event.id).toBeGreaterThan(ids[index - 1]!);
    else expect(event.id, `event ${index} of ${ids.join(',')}`).toBe(ids[index - 1]! + 1);
  }
}

describe.skipIf(!available)('three replicas with Redis', () => {
  let redis: RedisProcess;
  let cluster: Cluster;
  let replicas: [Replica, Replica, Replica];
  let clients: SwitchboardClient[];
  let recorders: StreamRecorder[];

  beforeAll(async () => {
    redis = await RedisProcess.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  beforeEach(async () => {
    clients = [];
    recorders = [];
    cluster = await Cluster.create();
    // Started together: they migrate and bootstrap the empty schema once between them.
    replicas = (await Promise.all([0, 1, 2].map(() => cluster.startReplica({ redisUrl: redis.url })))) as [
      Replica,
      Replica,
      Replica,
    ];
    await eventually(async () => {
      const states = await Promise.all(replicas.map((replica) => replica.request('GET', '/readyz')));
      return states.every((state) => state.body.fanout?.connected === true);
    }, 'every replica connected to Redis');
  });
  afterEach(async () => {
    for (const recorder of recorders) recorder.close();
    await Promise.all(clients.map((client) => client.close()));
    await cluster.close();
  });

  it('bootstraps the shared schema once and reports Redis in /readyz', async () => {
    const [a, b] = replicas;
    const { environments } = await a.expectOk('GET', '/api/v1/environments');
    expect(environments.map((environment: Json) => environment.key)).toEqual([
      'development',
      'staging',
      'production',
    ]);
    const audit = await b.expectOk('GET', '/api/v1/audit/verify');
    // The configured admin token and the three default environments, once.
    expect(audit).toMatchObject({ ok: true, entries: 4 });
    expect((await a.request('GET', '/readyz')).body).toEqual({
      status: 'ready',
      store: 'postgres',
      fanout: { mode: 'redis', connected: true, pollIntervalMs: 5000 },
    });
  });

  it('delivers a change written through A to SDKs on B and C, and a kill as well', async () => {
    const [a, b, c] = replicas;
    const key = await a.serverKey();
    clients = [sdk(b, key), sdk(c, key)];
    await Promise.all(clients.map((client) => client.ready()));

    await a.expectOk('PUT', flagPath('checkout'), booleanFlag('checkout', 'on'));
    await eventually(
      () => clients.every((client) => client.isEnabled('checkout', context)),
      'the SDKs on B and C to see the new flag',
    );

    await a.expectOk('POST', `${flagPath('checkout')}/environments/production/kill`, { reason: 'incident' });
    await eventually(
      () => clients.every((client) => client.evaluate('checkout', context).reason === 'KILLED'),
      'the SDKs on B and C to see the kill',
    );
    expect(clients.map((client) => client.version)).toEqual([2, 2]);
  });

  it('answers one of two conflicting writes through two replicas with 409', async () => {
    const [a, b] = replicas;
    await a.expectOk('PUT', flagPath('contested'), booleanFlag('contested'));
    const replies = await Promise.all(
      [a, b].map((replica, index) =>
        replica.request('PUT', flagPath('contested'), {
          ...booleanFlag('contested', index === 0 ? 'on' : 'off'),
          description: `from replica ${index}`,
          version: 1,
        }),
      ),
    );
    expect(replies.map((reply) => reply.status).sort()).toEqual([200, 409]);
    expect(replies.find((reply) => reply.status === 409)!.body).toMatchObject({
      error: 'conflict',
      currentVersion: 2,
    });
  });

  it('keeps one unbroken audit chain and gap-free sequences under 500 concurrent writes', async () => {
    const key = await replicas[0].serverKey();
    recorders = replicas.map((replica) => new StreamRecorder(replica.url, key));
    await eventually(() => recorders.every((recorder) => recorder.events.length > 0), 'the streams to start');
    const before = (await replicas[0].expectOk('GET', '/api/v1/audit/verify')).entries as number;

    const replies = await Promise.all(
      Array.from({ length: 500 }, (_, index) =>
        replicas[index % 3]!.request('PUT', flagPath(`flag-${index}`), booleanFlag(`flag-${index}`)),
      ),
    );
    expect(
      replies
        .filter((reply) => reply.status !== 201)
        .map((reply) => reply.body)
        .slice(0, 3),
    ).toEqual([]);

    for (const replica of replicas) {
      expect(await replica.expectOk('GET', '/api/v1/audit/verify')).toMatchObject({
        ok: true,
        entries: before + 500,
      });
    }
    const changes = (await replicas[1].app.store.changesSince('production', 0))!;
    expect(changes.map((change) => change.seq)).toEqual(changes.map((_, index) => index + 1));
    expect(new Set(changes.map((change) => change.key)).size).toBe(500);

    // Every stream, on every replica, got all 500 changes once and in order.
    await eventually(
      () => recorders.every((recorder) => recorder.lastId === 500),
      'every stream to reach seq 500',
      20_000,
    );
    for (const recorder of recorders) expectContiguous(recorder);
  }, 90_000);

  it('converges every SDK when Redis stops mid-test and comes back, sending nothing twice', async () => {
    const [a, b, c] = replicas;
    const key = await a.serverKey();
    clients = replicas.map((replica) => sdk(replica, key));
    recorders = replicas.map((replica) => new StreamRecorder(replica.url, key));
    await Promise.all(clients.map((client) => client.ready()));
    await a.expectOk('PUT', flagPath('flag'), booleanFlag('flag', 'off'));
    await eventually(
      () => recorders.every((recorder) => recorder.lastId === 1),
      'the first change everywhere',
    );

    await redis.stop();
    await eventually(
      async () => (await b.request('GET', '/readyz')).body.fanout.connected === false,
      'B to notice that Redis is gone',
    );
    const degraded = await b.request('GET', '/readyz');
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ status: 'degraded', fanout: { mode: 'redis', connected: false } });

    // Written while Redis is away: the replicas find these by polling the store.
    let version = 1;
    for (const [index, replica] of [b, c, a, b].entries()) {
      const current = await replica.expectOk('GET', flagPath('flag'));
      await replica.expectOk('PUT', flagPath('flag'), {
        ...booleanFlag('flag', index % 2 === 0 ? 'on' : 'off'),
        description: `edit ${index}`,
        version: current.version,
      });
      version++;
    }
    await eventually(
      () => clients.every((client) => client.version === version),
      'every SDK to converge while Redis is away',
    );

    await redis.start();
    await eventually(
      async () => {
        const states = await Promise.all(replicas.map((replica) => replica.request('GET', '/readyz')));
        return states.every((state) => state.body.status === 'ready');
      },
      'every replica to reconnect to Redis',
      15_000,
    );
    const current = await c.expectOk('GET', flagPath('flag'));
    await c.expectOk('POST', `${flagPath('flag')}/environments/production/kill`, {
      reason: 'after the outage',
    });
    expect(current.version).toBe(version);
    version++;
    await eventually(
      () => clients.every((client) => client.version === version && !client.isEnabled('flag', context)),
      'every SDK to see the kill made after Redis returned',
    );
    await eventually(
      () => recorders.every((recorder) => recorder.lastId === version),
      'every stream to catch up',
    );
    for (const recorder of recorders) expectContiguous(recorder);
  });

  it('exposes stream counts, sequences and fan-out delay in /metrics', async () => {
    const [a, b] = replicas;
    const key = await a.serverKey();
    clients = [sdk(b, key)];
    await clients[0]!.ready();
    await a.expectOk('PUT', flagPath('measured'), booleanFlag('measured', 'on'));
    await eventually(() => clients[0]!.isEnabled('measured', context), 'the SDK on B to see the change');

    const response = await fetch(`${b.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    const value = (name: string) => {
      const line = text.split('\n').find((candidate) => candidate.startsWith(name + ' '));
      return line === undefined ? undefined : Number(line.slice(name.length + 1));
    };
    expect(value('switchboard_sdk_streams{environment="production"}')).toBe(1);
    expect(value('switchboard_sdk_streams{environment="staging"}')).toBe(0);
    expect(value('switchboard_environment_seq{environment="production"}')).toBe(1);
    expect(value('switchboard_fanout_lag_changes{environment="production"}')).toBe(0);
    expect(value('switchboard_fanout_connected')).toBe(1);
    // The change was committed on A and announced through Redis.
    expect(value('switchboard_fanout_delay_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(
      /^switchboard_http_requests_total\{method="GET",route="\/readyz",status_code="200"\} \d+$/m,
    );
    expect(text).toContain('process_cpu_seconds_total');
  });
});

describe.skipIf(!available)('two replicas without Redis', () => {
  let cluster: Cluster;
  let client: SwitchboardClient | undefined;
  beforeEach(async () => {
    cluster = await Cluster.create();
  });
  afterEach(async () => {
    await client?.close();
    await cluster.close();
  });

  it('converge by polling the store every interval', async () => {
    const a = await cluster.startReplica({ fanoutPollIntervalMs: 100 });
    const b = await cluster.startReplica({ fanoutPollIntervalMs: 100 });
    expect((await b.request('GET', '/readyz')).body.fanout).toEqual({ mode: 'polling', pollIntervalMs: 100 });
    const key = await a.serverKey();
    client = sdk(b, key);
    await client.ready();
    await a.expectOk('PUT', flagPath('polled'), booleanFlag('polled', 'on'));
    await eventually(() => client!.isEnabled('polled', context), 'the SDK on B to see the change made on A');
  });
});
