/** Schemas and helpers shared by the admin API routes. */
import { FlagDocumentSchema, keyProblem, LIMITS, SegmentDocumentSchema } from '@switchboard/core';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Actor } from '../audit/chain';
import { principalOf } from '../auth';
import { badRequest } from '../errors';

export const Key = Type.String({ minLength: 1, maxLength: LIMITS.keyLength });
export const Reason = Type.String({ minLength: 1, maxLength: LIMITS.reasonLength });
export const Version = Type.Integer({ minimum: 0, description: 'The flag version this change is based on' });

export const KeyParams = Type.Object({ key: Key });
export const FlagEnvironmentParams = Type.Object({ key: Key, env: Key });

/** Query strings arrive as text (Switchboard validates bodies without type coercion). */
export const Limit = Type.String({
  pattern: '^([1-9]|[1-9][0-9]|[1-4][0-9][0-9]|500)$',
  description: 'Page size, 1–500 (default 100)',
});
export const Cursor = Type.String({
  minLength: 1,
  maxLength: 1000,
  description: 'nextCursor of the previous page',
});
export const VersionQuery = Type.String({
  pattern: '^[0-9]{1,15}$',
  description: 'Expected current version',
});
export const ReasonQuery = Type.String({
  minLength: 1,
  maxLength: LIMITS.reasonLength,
  description: 'Audit reason',
});

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({ pattern: '^"[0-9]{1,15}"$', description: 'ETag of the version this change is based on' }),
  ),
});

/** The document schemas with `version` optional: a create carries none. */
export const FlagBody = Type.Object(
  { ...FlagDocumentSchema.properties, version: Type.Optional(Version) },
  { additionalProperties: false },
);
export const SegmentBody = Type.Object(
  { ...SegmentDocumentSchema.properties, version: Type.Optional(Version) },
  { additionalProperties: false },
);

export const DEFAULT_PAGE_SIZE = 100;

export const pageSize = (limit: string | undefined) =>
  limit === undefined ? DEFAULT_PAGE_SIZE : Number(limit);

export function actorOf(request: Pick<FastifyRequest, 'principal'>): Actor {
  const { tokenId, name } = principalOf(request);
  return { tokenId, name };
}

/** Rejects keys the schema lets through but core forbids (whitespace, '/', control characters, …). */
export function checkKey(key: string, path: string): void {
  const problem = keyProblem(key);
  if (problem !== null) throw badRequest(`invalid key "${key}": ${problem}`, [{ path, problem }]);
}

/** A document PUT to `/…/:key`: a valid key, and the same one in the body. */
export function checkDocumentKey(urlKey: string, bodyKey: string): void {
  checkKey(urlKey, '/params/key');
  if (bodyKey !== urlKey) {
    throw badRequest('the key in the body differs from the key in the URL', [
      { path: '/body/key', problem: `expected "${urlKey}"` },
    ]);
  }
}

export const etag = (version: number) => `"${version}"`;

/**
 * The version a write is based on, from `If-Match` or the body's `version`. When both are
 * given they must agree.
 */
export function expectedVersion(
  ifMatch: string | undefined,
  bodyVersion: number | undefined,
): number | undefined {
  const fromHeader = ifMatch === undefined ? undefined : Number(ifMatch.slice(1, -1));
  if (fromHeader !== undefined && bodyVersion !== undefined && fromHeader !== bodyVersion) {
    throw badRequest(`If-Match ${ifMatch} and version ${bodyVersion} disagree`, [
      { path: '/headers/if-match', problem: 'differs from /body/version' },
    ]);
  }
  return fromHeader ?? bodyVersion;
}
