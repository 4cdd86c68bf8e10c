/**
 * `/healthz`: the process answers. `/readyz`: the store answers and its migrations are applied; the
 * body also says how this replica hears of other replicas' changes and whether Redis is connected.
 */
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
        summary: 'The store is reachable and migrated (503 otherwise); how changes reach this replica',
        description:
          'status "degraded" (still 200): Redis is configured but away, so this replica finds other ' +
          "replicas' changes by polling the store until it returns.",
        security: [],
      },
    },
    async (_request, reply) => {
      const ready = await app.store.isReady();
      const fanout = app.fanout.status?.() ?? { mode: 'in-process' };
      const status = !ready ? 'unavailable' : fanout.connected === false ? 'degraded' : 'ready';
      return reply.code(ready ? 200 : 503).send({ status, store: app.store.dialect, fanout });
    },
  );
};
