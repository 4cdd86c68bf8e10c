/** API tokens and SDK keys (admin only). The secret is answered once, on creation. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { TOKEN_KINDS } from '../store/repository';
import { actorOf, Key } from './common';

export const tokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const manage = [app.authenticate, app.requirePermission('manage')];

  app.post(
    '/tokens',
    {
      onRequest: manage,
      schema: {
        tags: ['tokens'],
        summary: 'Create a token; server and client keys name their one environment',
        description:
          'The answer is the only place the secret (`token`) ever appears; only its sha256 is stored.',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            kind: Type.Enum(TOKEN_KINDS),
            environment: Type.Optional(Key),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const { token, secret } = await app.mutations.createToken(actorOf(request), request.body);
      const { id, name, kind, environment, createdAt } = token;
      return reply.code(201).send({ id, token: secret, name, kind, environment, createdAt });
    },
  );

  app.get(
    '/tokens',
    { onRequest: manage, schema: { tags: ['tokens'], summary: 'List tokens (never their secrets)' } },
    async () => ({ tokens: await app.store.listTokens() }),
  );

  app.delete(
    '/tokens/:id',
    {
      onRequest: manage,
      schema: {
        tags: ['tokens'],
        summary: 'Revoke a token; its open streams are closed. Revoking a revoked token changes nothing',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
      },
    },
    async (request) => app.mutations.revokeToken(actorOf(request), request.params.id),
  );
};
