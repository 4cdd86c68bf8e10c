/** The audit log: filtered, newest first, and chain verification. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { verifyChain } from '../audit/chain';
import { badRequest } from '../errors';
import { Cursor, Key, Limit, pageSize } from './common';

const VERIFY_BATCH = 1000;

const Instant = Type.String({ minLength: 1, maxLength: 40, description: 'ISO-8601 date or date-time' });

function toIsoInstant(value: string | undefined, path: string): string | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw badRequest(`"${value}" is not an ISO-8601 date or date-time`, [
      { path, problem: 'not an ISO-8601 time' },
    ]);
  }
  return new Date(time).toISOString();
}

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const read = [app.authenticate, app.requirePermission('read')];

  app.get(
    '/audit',
    {
      onRequest: read,
      schema: {
        tags: ['audit'],
        summary: 'Audit entries, newest first, filtered by flag, actor (name or token id), action and time',
        querystring: Type.Object(
          {
            flag: Type.Optional(Key),
            actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            action: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            since: Type.Optional(Instant),
            until: Type.Optional(Instant),
            limit: Type.Optional(Limit),
            cursor: Type.Optional(Cursor),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { flag, actor, action, since, until, limit, cursor } = request.query;
      const page = await app.store.listAudit({
        flag,
        actor,
        action,
        since: toIsoInstant(since, '/querystring/since'),
        until: toIsoInstant(until, '/querystring/until'),
        cursor,
        limit: pageSize(limit),
      });
      return { entries: page.items, nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/audit/verify',
    {
      onRequest: read,
      schema: {
        tags: ['audit'],
        summary:
          'Check the hash chain: { ok: true, entries, head } or { ok: false, brokenAt, entries, problem }',
      },
    },
    async () => verifyChain((afterId) => app.store.readAuditChain(afterId, VERIFY_BATCH)),
  );
};
