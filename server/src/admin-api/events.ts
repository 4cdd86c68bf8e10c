/**
 * `GET /api/v1/events`: a Server-Sent Events feed of committed audit entries (one `change` event each,
 * without the before/after documents, the audit id as event id) so admin views update live. Read with
 * fetch: headers carry the token.
 *
 * Every feed gets every entry once, in audit-id order, whichever replica committed it (app.auditTail). A
 * client that connects with `Last-Event-ID` first gets what it missed (at most the newest MAX_REPLAY
 * entries), so a view that loaded its data before the feed connected misses nothing.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditEntry } from '@switchboard/core';
import { principalOf } from '../auth';
import type { SseConnection } from '../client-api/sse-connections';
import { DEFAULT_SSE_OPTIONS, lastEventIdOf, SseConnections, sseEvent } from '../client-api/sse-connections';

const ALL = '*';
const BATCH = 200;
const MAX_REPLAY = 1_000;

interface Feed extends SseConnection {
  /** Id of the last entry written to this feed. */
  sentUpTo: number;
  /** Still being sent what it missed: live entries wait until it has caught up. */
  catchingUp: boolean;
}

function changeEvent(entry: AuditEntry): string {
  const { id, at, actor, action, target, environment } = entry;
  return sseEvent('change', id, JSON.stringify({ id, at, actor, action, target, environment }));
}

export const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const connections = new SseConnections<Feed>(DEFAULT_SSE_OPTIONS);
  const stopTail = app.auditTail.onEntry((entry) => {
    const event = changeEvent(entry);
    for (const feed of connections.of(ALL)) {
      if (feed.catchingUp || feed.sentUpTo >= entry.id) continue;
      connections.write(feed, event);
      feed.sentUpTo = entry.id;
    }
  });

  /** Writes what a feed missed, then hands it to the tail: the hand-over happens with the tail's head reached. */
  const catchUp = async (feed: Feed): Promise<void> => {
    try {
      feed.sentUpTo = Math.max(feed.sentUpTo, app.auditTail.head - MAX_REPLAY);
      while (feed.sentUpTo < app.auditTail.head) {
        const entries = await app.store.readAuditChain(feed.sentUpTo, BATCH);
        if (entries.length === 0) break;
        for (const entry of entries) connections.write(feed, changeEvent(entry));
        feed.sentUpTo = entries[entries.length - 1]!.id;
      }
    } catch (error) {
      app.log.warn({ err: error }, 'admin event feed: cannot replay missed entries');
    }
    feed.catchingUp = false;
  };

  const stopRevocations = app.onTokenRevoked((tokenId) => connections.closeToken(tokenId));
  // preClose: Fastify waits for open connections before it runs onClose hooks.
  app.addHook('preClose', async () => {
    stopTail();
    stopRevocations();
    connections.closeAll();
  });

  app.get(
    '/events',
    {
      onRequest: [app.authenticate, app.requirePermission('read')],
      schema: {
        tags: ['audit'],
        summary: 'Live feed of committed changes (Server-Sent Events)',
        description:
          'One `change` event per audit entry, in order, from every replica. With Last-Event-ID (an audit ' +
          'id), the entries after it come first (at most the newest 1,000).',
      },
    },
    async (request, reply) => {
      const resumeAfter = lastEventIdOf(request.headers);
      reply.hijack();
      const feed: Feed = {
        socket: request.raw.socket,
        environment: ALL,
        tokenId: principalOf(request).tokenId,
        sentUpTo: resumeAfter ?? app.auditTail.head,
        catchingUp: resumeAfter !== null && resumeAfter < app.auditTail.head,
      };
      if (connections.open(feed, {}) && feed.catchingUp) await catchUp(feed);
    },
  );
};
