/**
 * OFREP, the OpenFeature Remote Evaluation Protocol (open-feature/protocol, service/openapi.yaml and
 * ADR-0008), for client and server SDK keys (each bound to one environment):
 *
 * - `POST /ofrep/v1/evaluate/flags/{key}` `{ context }` → 200 evaluationSuccess; 404 FLAG_NOT_FOUND;
 *   400 { key, errorCode, errorDetails } with TARGETING_KEY_MISSING, INVALID_CONTEXT, PARSE_ERROR or GENERAL.
 * - `POST /ofrep/v1/evaluate/flags` `{ context }` → 200 `{ flags: [...], eventStreams: [...] }` with a
 *   strong ETag (304 on If-None-Match); 400 { errorCode, errorDetails } for INVALID_CONTEXT / PARSE_ERROR.
 * - `GET /ofrep/v1/events?ticket=…` → the change-notification stream named in `eventStreams`.
 * - 401 (no or unknown key), 403 (a key of another kind), 429 with Retry-After (too many failed
 *   authentications from one address).
 *
 * Context: OpenFeature's `targetingKey` is Switchboard's `userId` unless the context has its own.
 * Keys: `Authorization: Bearer <key>` (what the providers' `headers` option sends) or `X-API-Key: <key>`
 * (the specification's ApiKeyAuth).
 */
import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EvaluationResult } from '@switchboard/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { principalOf } from '../auth';
import { hashSecret } from '../auth/tokens';
import { keyEnvironment } from '../client-api';
import { ContextSchema, fromOpenFeatureContext } from '../client-api/context';
import { CorsPolicy } from '../client-api/cors';
import type { SseOptions } from '../client-api/sse-connections';
import { DEFAULT_SSE_OPTIONS, lastEventIdOf } from '../client-api/sse-connections';
import { HttpError, unauthorized } from '../errors';
import type { StoredToken } from '../store/repository';
import { OfrepEventStreams } from './events';
import type { OfrepErrorCode } from './results';
import { ofrepResult } from './results';
import { eventStreamTicket, verifyEventStreamTicket } from './tickets';

export interface OfrepApiOptions {
  sse?: Partial<SseOptions>;
  /** Looks up the SDK key an event-stream ticket names: in the store unless given (a relay's keys). */
  findToken?: (tokenId: string) => Promise<StoredToken | undefined>;
}

export const EVENTS_PATH = '/ofrep/v1/events';

// Liberal on purpose: fields other than `context` are ignored, as OFREP may add some.
const EvaluationRequest = Type.Object({ context: Type.Optional(ContextSchema) });

const BEARER_PREFIX = 'Bearer ';

/** OFREP's ApiKeyAuth: `X-API-Key` is accepted as the key when no Authorization header is sent. */
async function apiKeyAsBearer(request: FastifyRequest): Promise<void> {
  const apiKey = request.headers['x-api-key'];
  if (request.headers.authorization === undefined && typeof apiKey === 'string')
    request.headers.authorization = BEARER_PREFIX + apiKey;
}

/** If-None-Match matches when it lists the ETag (weak comparison, RFC 9110) or is `*`. */
function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  return (
    ifNoneMatch !== undefined &&
    ifNoneMatch.split(',').some((candidate) => {
      const tag = candidate.trim();
      return tag === '*' || tag.replace(/^W\//, '') === etag;
    })
  );
}

function statusOf(result: EvaluationResult): number {
  if (result.errorCode === undefined) return 200;
  return result.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400;
}

/**
 * OFREP's error bodies instead of the admin API's: `{ key, errorCode, errorDetails }` on the single-flag
 * route, `{ errorCode, errorDetails }` on the bulk one, `{ errorDetails }` for a 500. A body that is not JSON
 * is PARSE_ERROR; a body whose context is not an object of attributes (or holds U+0000 or a `__proto__`
 * key) is INVALID_CONTEXT. 401, 403 and 429 (with Retry-After) keep the server's usual body: OFREP
 * defines none.
 */
function ofrepErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const key = (request.params as { key?: string } | undefined)?.key;
  const failure = (errorCode: OfrepErrorCode, errorDetails: string) =>
    reply.code(400).send(key === undefined ? { errorCode, errorDetails } : { key, errorCode, errorDetails });
  // A 400 from a hook shared with the other APIs (the text guard) is still an OFREP error.
  if (error instanceof HttpError && error.statusCode === 400) {
    const [detail] = error.details;
    const inBody = detail?.path.startsWith('/body') ?? false;
    return failure(
      inBody ? 'INVALID_CONTEXT' : 'GENERAL',
      detail === undefined ? error.message : `${error.message}: ${detail.path} ${detail.problem}`,
    );
  }
  if (error instanceof HttpError) {
    return reply.code(error.statusCode).headers(error.headers).send(error.toBody());
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const detail = fastifyError.validation[0];
    return failure(
      'INVALID_CONTEXT',
      `${detail?.instancePath || 'the body'} ${detail?.message ?? 'is invalid'}`,
    );
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return failure('PARSE_ERROR', `the request body is not valid JSON: ${error.message}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return failure('PARSE_ERROR', 'the request body must be application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return failure(
        'INVALID_CONTEXT',
        `the request body exceeds ${request.routeOptions.bodyLimit ?? 0} bytes`,
      );
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) return failure('GENERAL', error.message);
  request.log.error({ err: error }, 'OFREP request failed');
  return reply.code(500).send({ errorDetails: 'internal server error' });
}

export const ofrepApi: FastifyPluginAsyncTypebox<OfrepApiOptions> = async (app, options) => {
  const cors = new CorsPolicy(app.config.corsOrigins ?? []);
  cors.install(app, ['/ofrep/v1/evaluate/flags', '/ofrep/v1/evaluate/flags/:key']);
  app.setErrorHandler(ofrepErrorHandler);
  // The request body is optional (no body: no context).
  app.addHook('preValidation', async (request) => {
    request.body ??= {};
  });
  const events = new OfrepEventStreams(app.rulesets, { ...DEFAULT_SSE_OPTIONS, ...options.sse });
  const stopListening = app.onTokenRevoked((tokenId) => events.closeToken(tokenId));
  // preClose, not onClose: Fastify waits for open connections before running onClose hooks.
  app.addHook('preClose', async () => {
    stopListening();
    events.close();
  });

  const sdkKey = [apiKeyAsBearer, app.authenticate, app.requireKinds('client', 'server')];
  const findToken =
    options.findToken ?? ((tokenId: string) => app.store.transaction((tx) => tx.getToken(tokenId)));

  app.post(
    '/ofrep/v1/evaluate/flags/:key',
    {
      onRequest: sdkKey,
      schema: {
        tags: ['ofrep'],
        summary: 'OFREP single flag evaluation (client and server SDK keys)',
        params: Type.Object({ key: Type.String() }),
        body: EvaluationRequest,
      },
    },
    async (request, reply) => {
      const environment = keyEnvironment(request);
      const ruleset = await app.rulesets.get(environment);
      const { key } = request.params;
      const result = ruleset.evaluate(key, fromOpenFeatureContext(request.body.context ?? {}));
      return reply.code(statusOf(result)).send(ofrepResult(key, result, environment));
    },
  );

  app.post(
    '/ofrep/v1/evaluate/flags',
    {
      onRequest: sdkKey,
      schema: {
        tags: ['ofrep'],
        summary: 'OFREP bulk evaluation: every flag, an ETag (304 on If-None-Match) and eventStreams',
        description:
          'flagConfigEtag / flagConfigLastModified query parameters (sent after a change notification) ' +
          "are accepted and not needed: answers always reflect the server's current flags.",
        body: EvaluationRequest,
      },
    },
    async (request, reply) => {
      const environment = keyEnvironment(request);
      const ruleset = await app.rulesets.get(environment);
      const flags: Array<ReturnType<typeof ofrepResult>> = [];
      ruleset.evaluateEach(fromOpenFeatureContext(request.body.context ?? {}), (key, result) => {
        flags.push(ofrepResult(key, result, environment));
      });
      // Authenticated just now, so the header holds the key (Bearer, or X-API-Key moved there).
      const keyHash = hashSecret((request.headers.authorization ?? '').slice(BEARER_PREFIX.length));
      const ticket = eventStreamTicket(principalOf(request).tokenId, keyHash);
      const body = JSON.stringify({
        flags,
        eventStreams: [{ type: 'sse', endpoint: { requestUri: `${EVENTS_PATH}?ticket=${ticket}` } }],
      });
      const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );

  app.get(
    EVENTS_PATH,
    {
      schema: {
        tags: ['ofrep'],
        summary: "OFREP change notifications (the bulk answer's eventStreams URL; EventSource)",
        security: [],
        description:
          'Authorized by the ticket in the URL (EventSource cannot send headers). A ticket allows nothing ' +
          'but these notifications, which carry no flag keys or values, and dies with its key.',
      },
    },
    async (request, reply) => {
      const { ticket } = request.query as { ticket?: unknown };
      const token = typeof ticket === 'string' ? await verifyEventStreamTicket(ticket, findToken) : null;
      if (token === null || token.environment === null)
        throw unauthorized('unknown or revoked event stream ticket');
      const environment = token.environment;
      await app.rulesets.get(environment);
      const ruleset = app.rulesets.current(environment);
      if (ruleset === undefined) throw new Error(`the ruleset of ${environment} is not loaded`);
      const socket = request.raw.socket;
      reply.hijack();
      events.open({
        socket,
        environment,
        tokenId: token.id,
        currentVersion: ruleset.version,
        lastEventId: lastEventIdOf(request.headers),
        headers: { ...cors.responseHeaders(request.headers.origin), 'x-request-id': request.id },
      });
    },
  );
};
