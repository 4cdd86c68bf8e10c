/**
 * Fastify plugin: `request.flags.isEnabled('checkout-v2')` in every route, evaluated for the context your
 * function builds from the request.
 *
 *   await app.register(switchboardFlags, { client, context: (request) => ({ userId: request.user.id }) });
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyRequest } from 'fastify';
import { createRequestFlags } from './request-flags';
import type { FlagsMiddlewareOptions, RequestFlags } from './request-flags';

export { browserBootstrap } from './request-flags';
export type {
  BrowserBootstrap,
  BrowserFlagResult,
  ContextBuilder,
  FlagsMiddlewareOptions,
  RequestFlags,
} from './request-flags';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's flags (see `@switchboard/sdk-node/fastify`). */
    flags: RequestFlags;
  }
}

/** Options of the Fastify `switchboardFlags` plugin. */
export type SwitchboardFastifyOptions = FlagsMiddlewareOptions<FastifyRequest>;

const plugin: FastifyPluginCallback<SwitchboardFastifyOptions> = (
  app: FastifyInstance,
  options: SwitchboardFastifyOptions,
  done: (error?: Error) => void,
) => {
  if (typeof options?.context !== 'function' || typeof options.client?.evaluate !== 'function') {
    done(new TypeError('switchboardFlags needs { client, context: (request) => context }'));
    return;
  }
  app.decorateRequest('flags', null as unknown as RequestFlags);
  // Only a small object per request: nothing is built or evaluated until a handler reads a flag.
  app.addHook('onRequest', (request, _reply, next) => {
    request.flags = createRequestFlags(request, options);
    next();
  });
  done();
};

// Applies to the whole application rather than only to routes registered inside the plugin
// (what the fastify-plugin package does, without the dependency).
Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@switchboard/sdk-node/fastify',
});

/**
 * Fastify plugin that sets `request.flags` (see RequestFlags) on every request of the application (not
 * only of routes registered inside it). Registration fails with a TypeError when `client` or `context` is
 * missing. Also the module's default export.
 *
 * @example
 * ```ts
 * await app.register(switchboardFlags, { client, context: (request) => ({ userId: request.user.id }) });
 * app.get('/checkout', async (request) => ({ v2: request.flags.isEnabled('checkout-v2') }));
 * ```
 */
export const switchboardFlags = plugin;
export default plugin;
