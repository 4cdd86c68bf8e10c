/**
 * Read-only views of one environment as SDKs see it: its ruleset (an SDK bootstrap file), a flag
 * evaluated for a context by core's engine, and how many connected SDK streams have received a change.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Context } from '@switchboard/core';
import { compileRuleset } from '@switchboard/core';
import Type from 'typebox';
import { notFound } from '../errors';
import { FlagEnvironmentParams, Key } from './common';

const EnvironmentParams = Type.Object({ env: Key });

export const rulesetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const read = [app.authenticate, app.requirePermission('read')];

  app.get(
    '/environments/:env/ruleset',
    {
      onRequest: read,
      schema: {
        tags: ['environments'],
        summary: "The environment's ruleset exactly as SDKs receive it (usable as an SDK bootstrap file)",
        params: EnvironmentParams,
      },
    },
    // getRuleset throws UnknownEnvironmentError, which the error handler answers with 404.
    async (request) => app.store.getRuleset(request.params.env),
  );

  app.post(
    '/flags/:key/environments/:env/evaluate',
    {
      onRequest: read,
      schema: {
        tags: ['flags'],
        summary: 'Evaluate a flag for a context with the stored ruleset: value, variant, reason',
        params: FlagEnvironmentParams,
        body: Type.Object(
          { context: Type.Record(Type.String({ maxLength: 200 }), Type.Unknown(), { maxProperties: 200 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { key, env } = request.params;
      // Compiled from the store, not app.rulesets (updated after commits by the fan-out), so an operator
      // sees their own change at once: `kill` then `eval` must show KILLED.
      const ruleset = compileRuleset(await app.store.getRuleset(env));
      if (!ruleset.has(key)) {
        throw notFound(`flag "${key}" does not exist or has no configuration in environment "${env}"`);
      }
      return ruleset.evaluate(key, request.body.context as Context);
    },
  );

  app.get(
    '/environments/:env/sdk-status',
    {
      onRequest: read,
      schema: {
        tags: ['environments'],
        summary:
          'SDK streams of the environment on this server, and how many have received a change sequence',
        description:
          '`acknowledged` counts the streams that were sent change `seq` (default: the latest) or later and ' +
          'flushed it to the network. Counts cover this server process only.',
        params: EnvironmentParams,
        querystring: Type.Object(
          { seq: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { env } = request.params;
      const environment = await app.store.getEnvironment(env);
      if (!environment) throw notFound(`environment "${env}" does not exist`);
      const seq = request.query.seq === undefined ? environment.seq : Number(request.query.seq);
      return {
        environment: env,
        seq,
        connected: app.sdkStreams.connectionCount(env),
        acknowledged: app.sdkStreams.deliveredCount(env, seq),
      };
    },
  );
};
