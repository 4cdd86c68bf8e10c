/**
 * The client API, for browsers holding a client key (one environment). The server evaluates; browsers
 * never receive rules or segments.
 *
 * - `POST /client/v1/evaluate` `{ context }` → `{ flags: { key: { value, variant, reason } }, version }`.
 * - `POST /client/v1/stream` `{ context }` → an event stream (read with fetch): `put` with every value,
 *   then `patch` events carrying only the values that changed for that context. Event ids are the
 *   environment's version; a reconnect with `Last-Event-ID` equal to the current version gets an empty
 *   `patch` instead of a `put`.
 *
 * The stream is a POST read with fetch rather than an EventSource GET so that the key travels in the
 * Authorization header and the context in the body: neither ends up in URLs, access logs or referrers.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { principalOf } from '../auth';
import { forbidden } from '../errors';
import { ContextSchema } from './context';
import { CorsPolicy } from './cors';
import { evaluateAllJson, flagSetJson } from './results';
import type { SseOptions } from './sse-connections';
import { DEFAULT_SSE_OPTIONS, lastEventIdOf } from './sse-connections';
import { ClientStreams } from './streams';

export { CorsPolicy } from './cors';
export { ContextSchema, fromOpenFeatureContext } from './context';

export interface ClientApiOptions {
  sse?: Partial<SseOptions>;
}

const EvaluateBody = Type.Object({ context: ContextSchema }, { additionalProperties: false });

const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      maxLength: 100,
      description: 'The version whose values the client holds for this context',
    }),
  ),
});

/** The environment of the authenticated SDK key. */
export function keyEnvironment(request: FastifyRequest): string {
  const environment = principalOf(request).environment;
  if (environment === undefined) throw forbidden('this token belongs to no environment');
  return environment;
}

export const clientApi: FastifyPluginAsyncTypebox<ClientApiOptions> = async (app, options) => {
  const cors = new CorsPolicy(app.config.corsOrigins ?? []);
  cors.install(app, ['/client/v1/evaluate', '/client/v1/stream']);
  const streams = new ClientStreams(app.rulesets, { ...DEFAULT_SSE_OPTIONS, ...options.sse });
  const stopListening = app.onTokenRevoked((tokenId) => streams.closeToken(tokenId));
  // preClose, not onClose: Fastify waits for open connections before running onClose hooks.
  app.addHook('preClose', async () => {
    stopListening();
    streams.close();
  });

  const clientKey = [app.authenticate, app.requireKinds('client')];

  app.post(
    '/client/v1/evaluate',
    {
      onRequest: clientKey,
      schema: {
        tags: ['client'],
        summary: "Every flag's value for one context (client keys)",
        body: EvaluateBody,
      },
    },
    async (request, reply) => {
      const ruleset = await app.rulesets.get(keyEnvironment(request));
      const body = flagSetJson(evaluateAllJson(ruleset, request.body.context), ruleset.version);
      return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
    },
  );

  app.post(
    '/client/v1/stream',
    {
      onRequest: clientKey,
      schema: {
        tags: ['client'],
        summary: "A stream of one context's values: put, then patch events with only what changed",
        description:
          'Read with fetch (POST, the client key in Authorization, the context in the body). Event ids are ' +
          "the environment's version; send Last-Event-ID to resume. A comment heartbeat comes every 15 s.",
        body: EvaluateBody,
        headers: StreamHeaders,
      },
    },
    async (request, reply) => {
      const environment = keyEnvironment(request);
      // Loaded (or failed, as a plain HTTP error) before the response starts.
      await app.rulesets.get(environment);
      const ruleset = app.rulesets.current(environment);
      if (ruleset === undefined) throw new Error(`the ruleset of ${environment} is not loaded`);
      const socket = request.raw.socket;
      reply.hijack();
      streams.open({
        socket,
        environment,
        tokenId: principalOf(request).tokenId,
        context: request.body.context,
        ruleset,
        resumeFrom: lastEventIdOf(request.headers),
        headers: { ...cors.responseHeaders(request.headers.origin), 'x-request-id': request.id },
      });
    },
  );
};
