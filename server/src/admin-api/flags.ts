/** Flag documents: list, read, create or replace, delete. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { notFound } from '../errors';
import { listStaleFlags } from '../insight/stale';
import type { FlagInput } from '../mutations';
import {
  actorOf,
  checkDocumentKey,
  Cursor,
  etag,
  expectedVersion,
  FlagBody,
  IfMatchHeaders,
  KeyParams,
  Limit,
  pageSize,
  ReasonQuery,
  VersionQuery,
} from './common';

export const flagRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const read = [app.authenticate, app.requirePermission('read')];
  const write = [app.authenticate, app.requirePermission('write')];

  app.get(
    '/flags',
    {
      onRequest: read,
      schema: {
        tags: ['flags'],
        summary: 'List flags by key, optionally filtered by tag or a search in key and description',
        querystring: Type.Object(
          {
            tag: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            search: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            limit: Type.Optional(Limit),
            cursor: Type.Optional(Cursor),
            stale: Type.Optional(Type.Enum(['true', 'false'], { description: 'Only flags ready to remove' })),
            staleDays: Type.Optional(
              Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'Days that make a flag stale' }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { tag, search, limit, cursor, stale, staleDays } = request.query;
      if (stale === 'true') {
        const days = staleDays === undefined ? app.delivery.options.staleAfterDays : Number(staleDays);
        return listStaleFlags(app.store, { tag, search, cursor, limit: pageSize(limit) }, days);
      }
      const page = await app.store.listFlags({ tag, search, cursor, limit: pageSize(limit) });
      return { flags: page.items, nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/flags/:key',
    { onRequest: read, schema: { tags: ['flags'], summary: 'Read a flag document', params: KeyParams } },
    async (request, reply) => {
      const flag = await app.store.getFlag(request.params.key);
      if (!flag) throw notFound(`flag "${request.params.key}" does not exist`);
      reply.header('etag', etag(flag.version));
      return flag;
    },
  );

  app.put(
    '/flags/:key',
    {
      onRequest: write,
      schema: {
        tags: ['flags'],
        summary: 'Create (no version) or replace (the version it is based on) a flag document',
        description:
          'A stale version (or If-Match) answers 409 with currentVersion. `killed` is kept as stored: ' +
          'only kill and unkill change it. Answers 201 when created, 200 when replaced.',
        params: KeyParams,
        headers: IfMatchHeaders,
        querystring: Type.Object({ reason: Type.Optional(ReasonQuery) }, { additionalProperties: false }),
        body: FlagBody,
      },
    },
    async (request, reply) => {
      const { params, body } = request;
      checkDocumentKey(params.key, body.key);
      const version = expectedVersion(request.headers['if-match'], body.version);
      // A parsed JSON body: its variant values are JSON values, as FlagInput says.
      const input = body as FlagInput;
      const { flag, created } = await app.mutations.putFlag(
        actorOf(request),
        input,
        version,
        request.query.reason,
      );
      reply.code(created ? 201 : 200).header('etag', etag(flag.version));
      return flag;
    },
  );

  app.delete(
    '/flags/:key',
    {
      onRequest: write,
      schema: {
        tags: ['flags'],
        summary: 'Delete a flag (optionally only at an expected version)',
        params: KeyParams,
        headers: IfMatchHeaders,
        querystring: Type.Object(
          { version: Type.Optional(VersionQuery), reason: Type.Optional(ReasonQuery) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const { version, reason } = request.query;
      const expected = expectedVersion(
        request.headers['if-match'],
        version === undefined ? undefined : Number(version),
      );
      await app.mutations.deleteFlag(actorOf(request), request.params.key, expected, reason);
      return reply.code(204).send();
    },
  );
};
