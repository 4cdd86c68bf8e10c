/**
 * Prometheus metrics at `GET /metrics` (text exposition format, prom-client). Every replica and relay
 * answers for itself; Prometheus' `instance` label tells them apart.
 *
 * - `switchboard_sdk_streams{environment}`: open SDK streams (server keys).
 * - `switchboard_environment_seq{environment}`: the last change sequence this replica delivered to
 *   its streams (a relay: the last one it received from its upstream).
 * - `switchboard_fanout_lag_changes{environment}`: changes committed in the store that this replica
 *   has not delivered yet (servers only; 0 on a single server).
 * - `switchboard_fanout_delay_seconds`: from a commit on another replica to its delivery here, for
 *   changes announced through Redis.
 * - `switchboard_fanout_connected`: 1 while the Redis channel (or a relay's upstream stream) is up.
 * - `switchboard_http_requests_total{method,route,status_code}` and
 *   `switchboard_http_request_duration_seconds{method,route,status_code}`; streams are left out of the
 *   durations (they last as long as the client stays).
 * - Node.js process metrics (`process_*`, `nodejs_*`), once per process.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FanoutObserver } from '../fanout/replicated';

/** Where one environment stands on this replica. */
export interface EnvironmentPosition {
  environment: string;
  /** The last seq delivered to this replica's streams. */
  delivered: number;
  /** The environment's seq in the store (absent on a relay, which has no store). */
  committed?: number;
}

/** What the gauges read when Prometheus scrapes. */
export interface MetricsSources {
  positions(): Promise<EnvironmentPosition[]>;
  /** Open SDK streams of the environment. */
  streams(environment: string): number;
  /** Whether the channel to the rest of the cluster is up; undefined when there is none. */
  connected(): boolean | undefined;
}

let processRegistry: Registry | undefined;

/** Process-wide metrics: one set per process, however many apps it runs (tests run several). */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Paths whose requests stay open as streams. */
const STREAM_ROUTES = new Set(['/sdk/v1/stream', '/client/v1/stream', '/ofrep/v1/events']);

export class ServerMetrics implements FanoutObserver {
  readonly registry = new Registry();
  private sources: MetricsSources | null = null;
  private readonly requests = new Counter({
    name: 'switchboard_http_requests_total',
    help: 'HTTP requests answered, by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });
  private readonly durations = new Histogram({
    name: 'switchboard_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (streams excluded)',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly fanoutDelay = new Histogram({
    name: 'switchboard_fanout_delay_seconds',
    help: 'From a commit on another replica to its delivery to this replica (changes announced through Redis)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    // collect() runs with the gauge as `this`; these read the app the metrics are bound to.
    const sources = () => this.sources;
    const positions = () => sources()?.positions() ?? Promise.resolve([]);
    new Gauge({
      name: 'switchboard_environment_seq',
      help: 'Last change sequence this replica delivered to its streams, per environment',
      labelNames: ['environment'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { environment, delivered } of await positions()) this.set({ environment }, delivered);
      },
    });
    new Gauge({
      name: 'switchboard_fanout_lag_changes',
      help: 'Changes committed in the store that this replica has not delivered yet, per environment',
      labelNames: ['environment'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { environment, delivered, committed } of await positions()) {
          if (committed !== undefined) this.set({ environment }, Math.max(0, committed - delivered));
        }
      },
    });
    new Gauge({
      name: 'switchboard_sdk_streams',
      help: 'Open SDK streams, per environment',
      labelNames: ['environment'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const bound = sources();
        if (!bound) return;
        for (const { environment } of await bound.positions()) {
          this.set({ environment }, bound.streams(environment));
        }
      },
    });
    new Gauge({
      name: 'switchboard_fanout_connected',
      help: '1 while the channel to the rest of the cluster (Redis, or a relay upstream) is up',
      registers: [this.registry],
      collect() {
        this.reset();
        const connected = sources()?.connected();
        if (connected !== undefined) this.set(connected ? 1 : 0);
      },
    });
  }

  /** Connects the gauges to the app they describe (once its plugins exist). */
  bind(sources: MetricsSources): void {
    this.sources = sources;
  }

  announcedChangeDelivered(delaySeconds: number): void {
    this.fanoutDelay.observe(delaySeconds);
  }

  recordRequest(method: string, route: string, statusCode: number, seconds: number): void {
    const labels = { method, route, status_code: String(statusCode) };
    this.requests.inc(labels);
    if (!STREAM_ROUTES.has(route)) this.durations.observe(labels, seconds);
  }

  /** The exposition text: this app's metrics, then the process'. */
  async text(): Promise<string> {
    return (await this.registry.metrics()) + (await processMetrics().metrics());
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * Counts every request (register before the routes, not encapsulated, so the hook sees them all)
 * and serves `GET /metrics` without a token, like `/healthz`.
 */
export const metricsPlugin = fp<{ metrics: ServerMetrics }>(
  async (app, { metrics }) => {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.recordRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    });
    const routes: FastifyPluginAsync = async (scope) => {
      scope.get(
        '/metrics',
        {
          schema: { tags: ['health'], summary: 'Prometheus metrics (text exposition format)', security: [] },
        },
        async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()),
      );
    };
    await app.register(routes);
  },
  { name: 'switchboard-metrics' },
);
