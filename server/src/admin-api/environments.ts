/** Environments: list, and create more than the three made on first start. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { actorOf, checkKey, Key, Reason } from './common';

export const environmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/environments',
    {
      onRequest: [app.authenticate, app.requirePermission('read')],
      schema: { tags: ['environments'], summary: 'List environments with their change sequences' },
    },
    async () => ({ environments: await app.store.listEnvironments() }),
  );

  app.post(
    '/environments',
    {
      onRequest: [app.authenticate, app.requirePermission('manage')],
      schema: {
        tags: ['environments'],
        summary: 'Create an environment (admin)',
        body: Type.Object(
          {
            key: Key,
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            reason: Type.Optional(Reason),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const { key, name, reason } = request.body;
      checkKey(key, '/body/key');
      const environment = await app.mutations.createEnvironment(actorOf(request), { key, name }, reason);
      return reply.code(201).send(environment);
    },
  );
};
