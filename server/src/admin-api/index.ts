/** The admin API, registered under /api/v1. Handlers are thin: they validate and call app.mutations. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditRoutes } from './audit';
import { changesetRoutes } from './changesets';
import { environmentRoutes } from './environments';
import { eventRoutes } from './events';
import { flagEnvironmentRoutes } from './flag-environments';
import { flagRoutes } from './flags';
import { insightRoutes } from './insight';
import { unleashImportRoutes } from '../importers/unleash/route';
import { meRoutes } from './me';
import { planRoutes } from './plans';
import { rulesetRoutes } from './ruleset';
import { segmentRoutes } from './segments';
import { tokenRoutes } from './tokens';
import { webhookRoutes } from './webhooks';

export const adminApi: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(flagRoutes);
  await app.register(flagEnvironmentRoutes);
  await app.register(segmentRoutes);
  await app.register(environmentRoutes);
  await app.register(tokenRoutes);
  await app.register(auditRoutes);
  await app.register(meRoutes);
  await app.register(eventRoutes);
  await app.register(changesetRoutes);
  await app.register(unleashImportRoutes);
  await app.register(rulesetRoutes);
  await app.register(planRoutes);
  await app.register(insightRoutes);
  await app.register(webhookRoutes);
};
