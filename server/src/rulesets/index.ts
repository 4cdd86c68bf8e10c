/**
 * Decorates the app with `rulesets`: every environment's compiled ruleset in memory, current with the
 * fan-out (see cache.ts). Used wherever the server evaluates flags itself (client API, OFREP).
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { RulesetCache } from './cache';

export { RulesetCache, affectedFlags } from './cache';
export type { RulesetListener, RulesetStore, RulesetUpdate } from './cache';

declare module 'fastify' {
  interface FastifyInstance {
    /** Compiled rulesets per environment, kept current from the fan-out. */
    rulesets: RulesetCache;
  }
}

const plugin: FastifyPluginAsync = async (app) => {
  const cache = new RulesetCache(app.store, app.fanout, app.log);
  app.decorate('rulesets', cache);
  app.addHook('onClose', async () => cache.close());
};

/** Not encapsulated (fastify-plugin), so that `app.rulesets` is visible to the whole app. */
export const rulesetsPlugin = fp(plugin, { name: 'switchboard-rulesets' });
