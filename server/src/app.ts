/** Builds the Fastify application: store, fan-out, auth, admin API, SDK API, health and UI. */
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Fastify from 'fastify';
import { adminApi } from './admin-api';
import { authPlugin } from './auth';
import type { ServerConfig } from './config';
import { progressiveDelivery } from './delivery';
import { installErrorHandler } from './error-handler';
import { installTextGuard } from './text-guard';
import type { Fanout } from './fanout/fanout';
import { openFanout } from './fanout/open';
import { healthRoutes } from './health';
import { flagsFileMode } from './flags-file';
import { Mutations } from './mutations';
import { bootstrapStore } from './mutations/bootstrap';
import { metricsPlugin, ServerMetrics } from './observability/metrics';
import { AuditTail } from './audit/tail';
import { serverMetricsSources } from './observability/sources';
import { sdkApi } from './sdk-api';
import { clientApi } from './client-api';
import { ofrepApi } from './ofrep';
import { rulesetsPlugin } from './rulesets';
import { openStore } from './store/open';
import type { Repository } from './store/repository';
import { adminUi } from './ui';

declare module 'fastify' {
  interface FastifyInstance {
    config: ServerConfig;
    /** The store (see store/repository.ts). */
    store: Repository;
    /** Change notices, published after each commit. */
    fanout: Fanout;
    /** Every change goes through here (one transaction: change, audit entry, change log). */
    mutations: Mutations;
    /** Committed audit entries from every replica, in order (live admin views, revocations). */
    auditTail: AuditTail;
  }
}

export interface BuildOptions {
  /** Use this store instead of opening the one `config.database` names (the caller closes it). */
  store?: Repository;
  /** Use this fan-out instead of the one the configuration calls for (the caller closes it). */
  fanout?: Fanout;
  /**
   * Called with a newly generated admin token (first start without SWITCHBOARD_ADMIN_TOKEN).
   * Without it the token is logged.
   */
  onAdminTokenGenerated?: (token: string) => void;
  /** Admin UI build directory (default: admin-ui/dist of this repository). */
  adminUiRoot?: string;
  /** Where log lines go instead of stdout. */
  logStream?: LogStream;
}

/** A destination for log lines: one JSON line per `write`. */
export interface LogStream {
  write(line: string): void;
}

const SERVER_VERSION = '0.1.0';

/** Query parameters that carry a credential: OFREP's event stream ticket. */
const SECRET_QUERY_PARAMETERS = /([?&]ticket=)[^&#]*/g;

const withoutQuerySecrets = (url: string): string => url.replace(SECRET_QUERY_PARAMETERS, '$1[redacted]');

/**
 * A Fastify instance with the server's HTTP conventions: request ids (a caller's kept), JSON error
 * bodies, JSON-only request bodies. The server and the relay are both built on it.
 */
export function createHttpApp(config: Pick<ServerConfig, 'logLevel' | 'bodyLimit'>, logStream?: LogStream) {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(logStream === undefined ? {} : { stream: logStream }),
      // No headers (they hold keys) and no credentials from query strings in any log line.
      serializers: {
        req: (request) => ({
          method: request.method,
          url: withoutQuerySecrets(request.url),
          host: request.host,
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }),
      },
    },
    bodyLimit: config.bodyLimit,
    // A caller's X-Request-Id is kept when it looks like an id (it ends up in every log line).
    requestIdHeader: false,
    genReqId: (request) => {
      const sent = request.headers['x-request-id'];
      return typeof sent === 'string' && /^[\w.:-]{1,128}$/.test(sent) ? sent : randomUUID();
    },
    // Keys are up to 200 characters; percent-encoded UTF-8 takes up to 12 characters each.
    routerOptions: { maxParamLength: 2400 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
    // `__proto__` / `constructor.prototype` keys stay plain own keys of the parsed body, and the text
    // guard refuses them naming where they are (Fastify's parser would answer "not valid JSON").
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandler(app);
  installTextGuard(app);
  // The API speaks JSON only: anything else is 415 rather than a string the schemas reject.
  app.removeContentTypeParser('text/plain');
  return app;
}

export async function buildApp(config: ServerConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = createHttpApp(config, options.logStream);

  const store = options.store ?? (await openStore(config));
  const metrics = new ServerMetrics();
  let fanout: Fanout;
  try {
    fanout = options.fanout ?? (await openFanout(config, store, app.log, metrics));
  } catch (error) {
    if (!options.store) await store.close();
    throw error;
  }
  app.addHook('onClose', async () => {
    if (!options.fanout) await fanout.close();
    if (!options.store) await store.close();
  });

  try {
    const mutations = new Mutations({ store, fanout, log: app.log });
    const { generatedAdminToken, warnings } = await bootstrapStore(mutations, config.adminToken);
    for (const warning of warnings) app.log.warn(warning);
    if (generatedAdminToken !== undefined) {
      if (options.onAdminTokenGenerated) options.onAdminTokenGenerated(generatedAdminToken);
      else
        app.log.warn(
          { adminToken: generatedAdminToken },
          'generated the first admin token; it is shown only once',
        );
    }

    app.decorate('config', config);
    app.decorate('store', store);
    app.decorate('fanout', fanout);
    app.decorate('mutations', mutations);
    const auditTail = await AuditTail.start(store, app.log);
    const stopWaking = mutations.onAudited((entry) => auditTail.committed(entry));
    app.addHook('preClose', async () => {
      stopWaking();
      auditTail.close();
    });
    app.decorate('auditTail', auditTail);

    // First: swagger documents only the routes added after it.
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Switchboard API',
          version: SERVER_VERSION,
          description: 'Feature flags with local evaluation, live streaming, a kill switch and an audit log.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
    });
    await app.register(metricsPlugin, { metrics });
    await app.register(authPlugin, {
      store,
      failureLimit: config.authFailureLimit,
      // At once for this replica's revocations; within the tail's interval for the other replicas'.
      onTokenRevoked: (listener) => {
        const stopLocal = mutations.onTokenRevoked(listener);
        const stopTail = auditTail.onEntry((entry, local) => {
          if (!local && entry.action === 'token.revoke') listener(entry.target.key);
        });
        return () => {
          stopLocal();
          stopTail();
        };
      },
    });
    await app.register(healthRoutes);
    await app.register(progressiveDelivery);
    await app.register(adminApi, { prefix: '/api/v1' });
    await app.register(sdkApi);
    await app.register(rulesetsPlugin);
    await app.register(clientApi);
    await app.register(ofrepApi);
    if (config.flagsFile !== undefined) await app.register(flagsFileMode, { file: config.flagsFile });
    app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    await app.register(adminUi, { root: options.adminUiRoot });
    await app.ready();
    metrics.bind(serverMetricsSources(app));
    return app;
  } catch (error) {
    await app.close();
    throw error;
  }
}
