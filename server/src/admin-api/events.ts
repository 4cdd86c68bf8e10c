/**
 * `GET /api/v1/events`: a Server-Sent Events feed of committed audit entries (one `change` event each,
 * without the before/after documents) so admin views update live. Read with fetch: headers carry the
 * token. Entries committed on other replicas are not relayed here; views also reload on focus.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../auth';
import type { SseConnection } from '../client-api/sse-connections';
import { DEFAULT_SSE_OPTIONS, SseConnections, sseEvent } from '../client-api/sse-connections';

const ALL = '*';

export const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const connections = new SseConnections<SseConnection>(DEFAULT_SSE_OPTIONS);
  const stopAudit = app.mutations.onAudited((entry) => {
    const event = sseEvent(
      'change',
      entry.id,
      JSON.stringify({
        id: entry.id,
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        environment: entry.environment,
      }),
    );
    for (const connection of connections.of(ALL)) connections.write(connection, event);
  });
  const stopRevocations = app.onTokenRevoked((tokenId) => connections.closeToken(tokenId));
  // preClose: Fastify waits for open connections before it runs onClose hooks.
  app.addHook('preClose', async () => {
    stopAudit();
    stopRevocations();
    connections.closeAll();
  });

  app.get(
    '/events',
    {
      onRequest: [app.authenticate, app.requirePermission('read')],
      schema: { tags: ['audit'], summary: 'Live feed of committed changes (Server-Sent Events)' },
    },
    async (request, reply) => {
      reply.hijack();
      connections.open(
        { socket: request.raw.socket, environment: ALL, tokenId: principalOf(request).tokenId },
        {},
      );
    },
  );
};
