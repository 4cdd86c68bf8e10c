/**
 * Relay mode: a read-only server without a database that follows one environment of an upstream
 * server (or another relay) over its SDK stream and serves, from memory, what SDKs and browsers
 * need: the SDK stream and polling, client evaluation and streams, OFREP evaluation and events.
 * For edge locations, and for more connections than the core cluster should hold.
 *
 * Downstream SDKs authenticate with the relay's own SDK key; browsers with one of its client keys.
 * Until the first ruleset arrives, those routes answer 503; afterwards the last ruleset is served
 * whether or not the upstream is reachable.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Logger } from '@switchboard/sdk-node';
import { createHttpApp } from '../app';
import { authPlugin } from '../auth';
import { clientApi } from '../client-api';
import { HttpError } from '../errors';
import { InProcessFanout } from '../fanout/in-process';
import { metricsPlugin, ServerMetrics } from '../observability/metrics';
import { ofrepApi } from '../ofrep';
import { RulesetCache } from '../rulesets';
import { sdkApi } from '../sdk-api';
import type { RelayConfig } from './config';
import { RelayKeys } from './keys';
import { RelaySource } from './source';

/** Routes served from the relayed ruleset: unavailable until it has arrived. */
const SERVED_PREFIXES = ['/sdk/', '/client/', '/ofrep/'];

/** The SDK's logger interface on top of the app's pino logger. */
function sdkLogger(log: FastifyInstance['log']): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, ...details: unknown[]) => {
      const err = details.find((detail) => detail instanceof Error);
      log[level](err === undefined ? {} : { err }, message);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const relayHealth: FastifyPluginAsync<{ source: RelaySource; upstream: URL }> = async (
  app,
  { source, upstream },
) => {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'The process is up', security: [] } },
    async () => ({
      status: 'ok',
    }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'The relay holds a ruleset and its key is accepted (503 otherwise); the upstream connection',
        security: [],
      },
    },
    async (_request, reply) => {
      const { connection, refused } = source.upstreamState;
      const ready = source.version !== null && refused === null;
      const connected = connection === 'streaming' || connection === 'polling';
      return reply.code(ready ? 200 : 503).send({
        status: !ready ? 'unavailable' : connected ? 'ready' : 'degraded',
        mode: 'relay',
        environment: source.environment,
        version: source.version,
        upstream: { url: upstream.href, connection, ...(refused === null ? {} : { refused }) },
      });
    },
  );
};

export async function buildRelayApp(config: RelayConfig): Promise<FastifyInstance> {
  const app = createHttpApp(config);
  const fanout = new InProcessFanout();
  const source: RelaySource = new RelaySource({
    upstream: config.relay.upstream,
    sdkKey: config.relay.sdkKey,
    changeLogRetention: config.changeLogRetention,
    fanout,
    logger: sdkLogger(app.log),
    onRefused: (reason) => {
      app.log.error({ reason }, 'relay: the upstream refused the SDK key; serving nothing until restarted');
      keys.revokeAll();
    },
  });
  const keys = new RelayKeys(config.relay.sdkKey, config.relay.clientKeys, () => source.environment);
  const metrics = new ServerMetrics();
  const rulesets = new RulesetCache(source, fanout, app.log);
  app.addHook('onClose', async () => {
    source.stop();
    rulesets.close();
    await fanout.close();
  });

  try {
    app.decorate('config', config);
    app.decorate('fanout', fanout);
    app.decorate('rulesets', rulesets);
    await app.register(metricsPlugin, { metrics });
    app.addHook('onRequest', async (request: FastifyRequest) => {
      if (source.version === null && SERVED_PREFIXES.some((prefix) => request.url.startsWith(prefix))) {
        const message = 'the relay has not received its first ruleset from the upstream yet';
        throw new HttpError(503, 'unavailable', message, [], {}, { 'retry-after': '1' });
      }
    });
    await app.register(authPlugin, {
      store: keys,
      failureLimit: config.authFailureLimit,
      onTokenRevoked: (listener) => keys.onTokenRevoked(listener),
    });
    await app.register(relayHealth, { source, upstream: config.relay.upstream });
    await app.register(sdkApi, { source });
    await app.register(clientApi);
    await app.register(ofrepApi, { findToken: (tokenId) => keys.findTokenById(tokenId) });
    await app.ready();
    metrics.bind({
      positions: async () =>
        source.environment === null
          ? []
          : [{ environment: source.environment, delivered: source.version ?? 0 }],
      streams: (environment) => app.sdkStreams.connectionCount(environment),
      connected: () => ['streaming', 'polling'].includes(source.upstreamState.connection),
    });
    source.start();
    return app;
  } catch (error) {
    await app.close();
    throw error;
  }
}
