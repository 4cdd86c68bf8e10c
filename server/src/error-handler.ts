/** Turns every error into `{ error, message, details: [{ path, problem }] }` with the right status. */
import type { FastifyError, FastifyInstance } from 'fastify';
import type { ProblemDetail } from './errors';
import { HttpError, storeUnavailable } from './errors';
import { InvalidCursorError, UnknownEnvironmentError } from './store/repository';

interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * Ajv reports a failed union (anyOf) with every branch's complaint; the deepest path is the one
 * about the branch the value was meant to be, so only the deepest complaints are kept.
 */
function schemaErrorDetails(errors: SchemaError[], part: string): ProblemDetail[] {
  const details = errors
    .filter((error) => error.keyword !== 'anyOf')
    .map((error): ProblemDetail => {
      if (error.keyword === 'additionalProperties') {
        return {
          path: `/${part}${error.instancePath}/${String(error.params.additionalProperty)}`,
          problem: 'unknown field',
        };
      }
      if (error.keyword === 'required') {
        return {
          path: `/${part}${error.instancePath}/${String(error.params.missingProperty)}`,
          problem: 'required',
        };
      }
      if (error.keyword === 'enum' && Array.isArray(error.params.allowedValues)) {
        return {
          path: `/${part}${error.instancePath}`,
          problem: `must be one of: ${error.params.allowedValues.join(', ')}`,
        };
      }
      return { path: `/${part}${error.instancePath}`, problem: error.message ?? error.keyword };
    });
  const depth = (detail: ProblemDetail) => detail.path.split('/').length;
  const deepest = Math.max(...details.map(depth));
  return details.filter((detail) => depth(detail) === deepest);
}

const CODES_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
  503: 'unavailable',
};

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpError | Error, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).headers(error.headers).send(error.toBody());
    }
    const outage = storeUnavailable(error);
    if (outage) {
      request.log.warn({ err: error }, 'store unavailable');
      return reply.code(outage.statusCode).headers(outage.headers).send(outage.toBody());
    }
    if (error instanceof InvalidCursorError) {
      return reply.code(400).send({
        error: 'bad_request',
        message: error.message,
        details: [{ path: '/querystring/cursor', problem: 'invalid cursor' }],
      });
    }
    if (error instanceof UnknownEnvironmentError) {
      return reply.code(404).send({ error: 'not_found', message: error.message, details: [] });
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const part = fastifyError.validationContext ?? 'body';
      return reply.code(400).send({
        error: 'bad_request',
        message: `invalid request ${part}`,
        details: schemaErrorDetails(fastifyError.validation as SchemaError[], part),
      });
    }
    const status = fastifyError.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply
        .code(status)
        .send({ error: CODES_BY_STATUS[status] ?? 'bad_request', message: error.message, details: [] });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal server error', details: [] });
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `no route ${request.method} ${request.url}`, details: [] }),
  );
}
