/** Segments: reusable audiences shared by every environment. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { notFound } from '../errors';
import {
  actorOf,
  checkDocumentKey,
  Cursor,
  etag,
  expectedVersion,
  IfMatchHeaders,
  KeyParams,
  Limit,
  pageSize,
  ReasonQuery,
  SegmentBody,
  VersionQuery,
} from './common';

export const segmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const read = [app.authenticate, app.requirePermission('read')];
  const write = [app.authenticate, app.requirePermission('write')];

  app.get(
    '/segments',
    {
      onRequest: read,
      schema: {
        tags: ['segments'],
        summary: 'List segments by key, optionally searching key and description',
        querystring: Type.Object(
          {
            search: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            limit: Type.Optional(Limit),
            cursor: Type.Optional(Cursor),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { search, limit, cursor } = request.query;
      const page = await app.store.listSegments({ search, cursor, limit: pageSize(limit) });
      return { segments: page.items, nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/segments/:key',
    { onRequest: read, schema: { tags: ['segments'], summary: 'Read a segment', params: KeyParams } },
    async (request, reply) => {
      const segment = await app.store.getSegment(request.params.key);
      if (!segment) throw notFound(`segment "${request.params.key}" does not exist`);
      reply.header('etag', etag(segment.version));
      return segment;
    },
  );

  app.put(
    '/segments/:key',
    {
      onRequest: write,
      schema: {
        tags: ['segments'],
        summary: 'Create (no version) or replace (the version it is based on) a segment',
        params: KeyParams,
        headers: IfMatchHeaders,
        querystring: Type.Object({ reason: Type.Optional(ReasonQuery) }, { additionalProperties: false }),
        body: SegmentBody,
      },
    },
    async (request, reply) => {
      const { params, body } = request;
      checkDocumentKey(params.key, body.key);
      const version = expectedVersion(request.headers['if-match'], body.version);
      const { segment, created } = await app.mutations.putSegment(
        actorOf(request),
        body,
        version,
        request.query.reason,
      );
      reply.code(created ? 201 : 200).header('etag', etag(segment.version));
      return segment;
    },
  );

  app.delete(
    '/segments/:key',
    {
      onRequest: write,
      schema: {
        tags: ['segments'],
        summary: 'Delete a segment no flag uses',
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
      await app.mutations.deleteSegment(actorOf(request), request.params.key, expected, reason);
      return reply.code(204).send();
    },
  );
};
