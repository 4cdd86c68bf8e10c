/** `GET /api/v1/me`: who the presented token is, so a UI can show what its role allows. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { principalOf } from '../auth';

export const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/me',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['tokens'],
        summary: "The presented token's id, name, kind and environment",
        response: {
          200: Type.Object({
            id: Type.String(),
            name: Type.String(),
            kind: Type.String(),
            environment: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const { tokenId, name, kind, environment } = principalOf(request);
      return { id: tokenId, name, kind, environment: environment ?? null };
    },
  );
};
