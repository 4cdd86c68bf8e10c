/** `/healthz`: the process answers. `/readyz`: the store answers and its migrations are applied. */
import type { FastifyPluginAsync } from 'fastify';

export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'The process is up', security: [] } },
    async () => ({
      status: 'ok',
    }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'The store is reachable and migrated (503 otherwise)',
        security: [],
      },
    },
    async (_request, reply) => {
      const ready = await app.store.isReady();
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'unavailable', store: app.store.dialect });
    },
  );
};
