/** Evaluation insight of a flag environment: evaluations per variant over time, SDK instances. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { notFound } from '../errors';
import { flagInsight } from '../insight/flag-insight';
import { FlagEnvironmentParams } from './common';

export const insightRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/flags/:key/environments/:env/insight',
    {
      onRequest: [app.authenticate, app.requirePermission('read')],
      schema: {
        tags: ['progressive delivery'],
        summary:
          'Evaluations per variant over time, last evaluation, and the SDK instances of the environment',
        params: FlagEnvironmentParams,
        querystring: Type.Object(
          {
            hours: Type.Optional(
              Type.String({
                pattern: '^([1-9][0-9]{0,2})$',
                description: 'Range to chart, 1–720 hours (default 24)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { key, env } = request.params;
      const hours = Math.min(720, Number(request.query.hours ?? '24'));
      const [flag, environment] = [await app.store.getFlag(key), await app.store.getEnvironment(env)];
      if (!flag) throw notFound(`flag "${key}" does not exist`);
      if (!environment) throw notFound(`environment "${env}" does not exist`);
      return flagInsight(
        app.store,
        app.sdkStreams,
        app.delivery.instances,
        { flag: key, environment: env, currentVersion: environment.seq },
        hours,
        Date.now(),
      );
    },
  );
};
