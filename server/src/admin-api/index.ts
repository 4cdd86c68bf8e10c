/** The admin API, registered under /api/v1. Handlers are thin: they validate and call app.mutations. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditRoutes } from './audit';
import { environmentRoutes } from './environments';
import { flagEnvironmentRoutes } from './flag-environments';
import { flagRoutes } from './flags';
import { segmentRoutes } from './segments';
import { tokenRoutes } from './tokens';

export const adminApi: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(flagRoutes);
  await app.register(flagEnvironmentRoutes);
  await app.register(segmentRoutes);
  await app.register(environmentRoutes);
  await app.register(tokenRoutes);
  await app.register(auditRoutes);
};
