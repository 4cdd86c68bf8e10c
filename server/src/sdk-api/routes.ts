/** The SDK API routes: the change stream, the ruleset for polling, and evaluation metrics. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EVALUATION_REASONS, LIMITS, parseIsoDate } from '@switchboard/core';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { principalOf } from '../auth';
import { badRequest, notFound } from '../errors';
import type { Environment, Repository } from '../store/repository';
import type { StreamHub } from './stream-hub';

/** What the SDK API reads and writes: the store's methods (or a relay's in-memory stand-in). */
export interface SdkDataSource extends Pick<Repository, 'getRuleset' | 'changesSince' | 'recordMetrics'> {
  getEnvironment(key: string): Promise<Pick<Environment, 'key' | 'seq'> | undefined>;
}

/** Most counts one metrics batch may carry (the Node SDK keeps at most this many per window). */
export const MAX_METRICS_COUNTS = 10_000;

const Timestamp = Type.String({ minLength: 10, maxLength: 40, description: 'ISO-8601 date-time' });

const MetricsBatchBody = Type.Object(
  {
    windowStart: Timestamp,
    windowEnd: Timestamp,
    counts: Type.Array(
      Type.Object(
        {
          flag: Type.String({ minLength: 1, maxLength: LIMITS.keyLength }),
          variant: Type.Union([
            Type.String({ minLength: 1, maxLength: LIMITS.variantNameLength }),
            Type.Null(),
          ]),
          reason: Type.Enum(EVALUATION_REASONS),
          count: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_METRICS_COUNTS },
    ),
  },
  { additionalProperties: false },
);

const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({ maxLength: 100, description: 'The id of the last event received: resume after it' }),
  ),
  // Not constrained here: a malformed id is ignored rather than refused, so no SDK loses its stream.
  'x-switchboard-instance': Type.Optional(
    Type.String({
      description:
        'The instance id the SDK also sends in its reports (1–64 of A–Z, a–z, 0–9, _ and -; otherwise ' +
        'ignored): the flag insight then shows the version sent on this stream for that instance',
    }),
  ),
});

const PollHeaders = Type.Object({
  'if-none-match': Type.Optional(Type.String({ maxLength: 1000 })),
});

/** A stream resumes from a plain non-negative integer id; anything else gets a fresh put. */
function resumePoint(lastEventId: string | undefined): number | null {
  if (lastEventId === undefined || !/^\d{1,15}$/.test(lastEventId.trim())) return null;
  return Number(lastEventId.trim());
}

/** The instance id an SDK names on its stream, when well-formed; null otherwise (older SDKs send none). */
function instanceIdOf(header: string | undefined): string | null {
  return header !== undefined && /^[A-Za-z0-9_-]{1,64}$/.test(header) ? header : null;
}

/** Strong ETag of an environment's ruleset version. */
const rulesetEtag = (environment: string, version: number) =>
  `"${encodeURIComponent(environment)}-${version}"`;

/** If-None-Match matches when it lists the ETag (weak comparison, as RFC 9110 prescribes) or is `*`. */
function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

export const sdkRoutes: FastifyPluginAsyncTypebox<{ hub: StreamHub; source: SdkDataSource }> = async (
  app,
  { hub, source },
) => {
  const serverKey = [app.authenticate, app.requireKinds('server')];

  /** The environment of the server SDK key; 404 when it has been removed. */
  async function environmentOf(request: FastifyRequest) {
    const key = principalOf(request).environment;
    const environment = key === undefined ? undefined : await source.getEnvironment(key);
    if (environment === undefined) throw notFound(`the SDK key's environment "${key ?? ''}" does not exist`);
    return environment;
  }

  app.get(
    '/sdk/v1/stream',
    {
      onRequest: serverKey,
      schema: {
        tags: ['sdk'],
        summary: 'Server-Sent Events: a put (whole ruleset), then patch/delete events as changes commit',
        description:
          'Each event id is the environment change sequence; reconnect with Last-Event-ID to get only what ' +
          'was missed (or a fresh put when the change log no longer reaches back). A comment heartbeat ' +
          'comes every 15 s.',
        headers: StreamHeaders,
      },
    },
    async (request, reply) => {
      const environment = await environmentOf(request);
      const socket = request.raw.socket;
      reply.hijack();
      socket.setNoDelay(true);
      socket.setTimeout(0);
      await hub.attach(
        environment.key,
        socket,
        principalOf(request).tokenId,
        resumePoint(request.headers['last-event-id']),
        instanceIdOf(request.headers['x-switchboard-instance']),
      );
    },
  );

  app.get(
    '/sdk/v1/flags',
    {
      onRequest: serverKey,
      schema: {
        tags: ['sdk'],
        summary: "The environment's ruleset, for polling: a strong ETag, and 304 on If-None-Match",
        headers: PollHeaders,
      },
    },
    async (request, reply) => {
      const environment = await environmentOf(request);
      const ifNoneMatch = request.headers['if-none-match'];
      reply.header('cache-control', 'no-cache');
      // The ETag follows the change sequence, so a 304 needs no ruleset read.
      const current = rulesetEtag(environment.key, environment.seq);
      if (etagMatches(ifNoneMatch, current)) return reply.code(304).header('etag', current).send();
      const ruleset = await source.getRuleset(environment.key);
      const etag = rulesetEtag(ruleset.environment, ruleset.version);
      if (etagMatches(ifNoneMatch, etag)) return reply.code(304).header('etag', etag).send();
      return reply.header('etag', etag).send(ruleset);
    },
  );

  app.post(
    '/sdk/v1/metrics',
    {
      onRequest: serverKey,
      schema: {
        tags: ['sdk'],
        summary: 'Evaluation counts per flag, variant and reason for one time window',
        body: MetricsBatchBody,
      },
    },
    async (request, reply) => {
      const { windowStart, windowEnd } = request.body;
      const start = parseIsoDate(windowStart);
      const end = parseIsoDate(windowEnd);
      const details = [
        ...(start === null ? [{ path: '/body/windowStart', problem: 'not an ISO-8601 date-time' }] : []),
        ...(end === null ? [{ path: '/body/windowEnd', problem: 'not an ISO-8601 date-time' }] : []),
      ];
      if (details.length === 0 && end! < start!) {
        details.push({ path: '/body/windowEnd', problem: 'is before windowStart' });
      }
      if (details.length > 0) throw badRequest('invalid metrics window', details);
      const environment = await environmentOf(request);
      await source.recordMetrics(environment.key, request.body);
      return reply.code(202).send({ accepted: request.body.counts.length });
    },
  );
};
