/**
 * CORS for the browser-facing routes (client API and OFREP) only: the admin and SDK APIs never answer a
 * cross-origin browser. Origins come from SWITCHBOARD_CORS_ORIGINS; `*` allows any origin (development).
 */
import type { FastifyInstance } from 'fastify';

/** Request headers browsers may send: the key, JSON bodies, stream resume, conditional bulk, OFREP's API key. */
const ALLOWED_HEADERS = 'authorization, content-type, last-event-id, if-none-match, x-api-key';
const EXPOSED_HEADERS = 'etag, retry-after';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

export class CorsPolicy {
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.anyOrigin = origins.includes('*');
    // Browsers serialize origins in lower case; configuration may not.
    this.origins = new Set(origins.map((origin) => origin.toLowerCase()));
  }

  allows(origin: string | undefined): origin is string {
    return origin !== undefined && (this.anyOrigin || this.origins.has(origin));
  }

  /** Headers for the answer to a request from `origin`; none when the origin is not allowed. */
  responseHeaders(origin: string | undefined): Record<string, string> {
    if (!this.allows(origin)) return {};
    return {
      'access-control-allow-origin': origin,
      'access-control-expose-headers': EXPOSED_HEADERS,
      vary: 'origin',
    };
  }

  /**
   * Adds the response headers to every route of `app` (an encapsulated plugin) and answers preflight
   * requests on `paths`.
   */
  install(app: FastifyInstance, paths: readonly string[]): void {
    app.addHook('onRequest', async (request, reply) => {
      reply.headers(this.responseHeaders(request.headers.origin));
    });
    for (const path of paths) {
      app.options(path, { schema: { hide: true } }, async (request, reply) => {
        if (this.allows(request.headers.origin)) {
          reply.headers({
            'access-control-allow-methods': 'GET, POST, OPTIONS',
            'access-control-allow-headers': ALLOWED_HEADERS,
            'access-control-max-age': PREFLIGHT_MAX_AGE_SECONDS,
          });
        }
        return reply.code(204).send();
      });
    }
  }
}
