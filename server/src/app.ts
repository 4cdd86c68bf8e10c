/** Builds the Fastify application: store, fan-out, auth, admin API, SDK API, health and UI. */
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Fastify from 'fastify';
import { adminApi } from './admin-api';
import { authPlugin } from './auth';
import type { ServerConfig } from './config';
import { installErrorHandler } from './error-handler';
import type { Fanout } from './fanout/fanout';
import { InProcessFanout } from './fanout/in-process';
import { healthRoutes } from './health';
import { Mutations } from './mutations';
import { bootstrapStore } from './mutations/bootstrap';
import { sdkApi } from './sdk-api';
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
  }
}

export interface BuildOptions {
  /** Use this store instead of opening the one `config.database` names (the caller closes it). */
  store?: Repository;
  /** Use this fan-out instead of an in-process one (the caller closes it). */
  fanout?: Fanout;
  /**
   * Called with a newly generated admin token (first start without SWITCHBOARD_ADMIN_TOKEN).
   * Without it the token is logged.
   */
  onAdminTokenGenerated?: (token: string) => void;
  /** Admin UI build directory (default: admin-ui/dist of this repository). */
  adminUiRoot?: string;
}

const SERVER_VERSION = '0.1.0';

export async function buildApp(config: ServerConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel },
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
  }).withTypeProvider<TypeBoxTypeProvider>();

  const store = options.store ?? (await openStore(config));
  const fanout = options.fanout ?? new InProcessFanout();
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

    app.addHook('onSend', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    installErrorHandler(app);
    // The API speaks JSON only: anything else is 415 rather than a string the schemas reject.
    app.removeContentTypeParser('text/plain');

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
    await app.register(authPlugin, {
      store,
      failureLimit: config.authFailureLimit,
      onTokenRevoked: (listener) => mutations.onTokenRevoked(listener),
    });
    await app.register(healthRoutes);
    await app.register(adminApi, { prefix: '/api/v1' });
    await app.register(sdkApi);
    app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    await app.register(adminUi, { root: options.adminUiRoot });
    await app.ready();
    return app;
  } catch (error) {
    await app.close();
    throw error;
  }
}
