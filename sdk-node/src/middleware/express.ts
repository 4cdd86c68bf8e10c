/**
 * Express middleware: `req.flags.isEnabled('checkout-v2')` in every later handler, evaluated for the
 * context your function builds from the request.
 *
 *   app.use(authenticate); // first: the context comes from the authenticated identity
 *   app.use(switchboardFlags({ client, context: (req) => ({ userId: req.user.id }) }));
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createRequestFlags } from './request-flags';
import type { FlagsMiddlewareOptions, RequestFlags } from './request-flags';

export { browserBootstrap } from './request-flags';
export type {
  BrowserBootstrap,
  BrowserFlagResult,
  ContextBuilder,
  FlagsMiddlewareOptions,
  RequestFlags,
} from './request-flags';

declare module 'express-serve-static-core' {
  interface Request {
    /** This request's flags (see `@switchboard/sdk-node/express`). */
    flags: RequestFlags;
  }
}

/** Options of the Express `switchboardFlags` middleware. */
export type SwitchboardExpressOptions = FlagsMiddlewareOptions<Request>;

/**
 * Express middleware that sets `req.flags` (see RequestFlags) on every request. Throws a TypeError at setup
 * when `client` or `context` is missing. Register it after your authentication middleware.
 *
 * @example
 * ```ts
 * app.use(switchboardFlags({ client, context: (req) => ({ userId: req.user.id }) }));
 * app.get('/checkout', (req, res) => res.render(req.flags.isEnabled('checkout-v2') ? 'new' : 'old'));
 * ```
 */
export function switchboardFlags(options: SwitchboardExpressOptions): RequestHandler {
  if (typeof options?.context !== 'function' || typeof options.client?.evaluate !== 'function') {
    throw new TypeError('switchboardFlags needs { client, context: (req) => context }');
  }
  return (req: Request, _res: Response, next: NextFunction) => {
    // Only a small object per request: nothing is built or evaluated until a handler reads a flag.
    req.flags = createRequestFlags(req, options);
    next();
  };
}
