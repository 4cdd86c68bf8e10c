/**
 * Errors that become HTTP answers. Every error answer has the shape
 * `{ error, message, details: [{ path, problem }] }`; some add fields (e.g. `currentVersion`).
 */

export interface ProblemDetail {
  /** JSON pointer into the request, e.g. `/body/environments/production/rules/0`. */
  path: string;
  problem: string;
}

export interface ErrorBody {
  error: string;
  message: string;
  details: ProblemDetail[];
  [extra: string]: unknown;
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: ProblemDetail[] = [],
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toBody(): ErrorBody {
    return { error: this.code, message: this.message, details: this.details, ...this.extra };
  }
}

export const badRequest = (message: string, details: ProblemDetail[] = []) =>
  new HttpError(400, 'bad_request', message, details);

export const unauthorized = (message: string) => new HttpError(401, 'unauthorized', message);

export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);

export const notFound = (message: string, details: ProblemDetail[] = []) =>
  new HttpError(404, 'not_found', message, details);

export const conflict = (message: string, extra: Record<string, unknown> = {}) =>
  new HttpError(409, 'conflict', message, [], extra);

export const unprocessable = (message: string, details: ProblemDetail[]) =>
  new HttpError(422, 'unprocessable', message, details);

export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new HttpError(429, 'rate_limited', message, [], {}, { 'retry-after': String(retryAfterSeconds) });

/** Seconds a client is asked to wait before retrying a request the store could not serve. */
const STORE_RETRY_AFTER_SECONDS = 5;

/**
 * The store cannot serve the request right now (locked, read-only, full, disconnected): nothing
 * was applied (the transaction rolled back) and the same request may succeed later, so it answers
 * 503 with Retry-After rather than 500.
 */
export class StoreUnavailableError extends HttpError {
  constructor(cause: unknown) {
    super(
      503,
      'store_unavailable',
      `the flag store is unavailable (${describeCause(cause)}); nothing was changed, retry later`,
      [],
      {},
      { 'retry-after': String(STORE_RETRY_AFTER_SECONDS) },
    );
    this.name = 'StoreUnavailableError';
    this.cause = cause;
  }
}

const describeCause = (cause: unknown): string => {
  const { code, message } = cause as { code?: unknown; message?: unknown };
  return typeof code === 'string' ? code : typeof message === 'string' ? message : 'unknown error';
};

/** better-sqlite3 codes (extended ones start with the primary code, e.g. SQLITE_IOERR_WRITE). */
const SQLITE_OUTAGE = /^SQLITE_(BUSY|LOCKED|READONLY|FULL|IOERR|CANTOPEN)/;
/**
 * PostgreSQL SQLSTATEs: 08 connection exception, 57P01–57P03 server shutting down or starting,
 * 53 insufficient resources (disk full, out of memory, too many connections).
 */
const POSTGRES_OUTAGE = /^(08|57P0[123]|53)/;
/** Socket errors on the way to the database server. */
const NETWORK_OUTAGE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);
/** node-postgres reports a lost or unobtainable connection with a plain Error and no code. */
const PG_CONNECTION_LOST =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * The StoreUnavailableError for a store driver error that means "the store is away", or null for
 * any other error (a bug or a constraint: those stay 500s). Drizzle wraps driver errors in `cause`.
 */
export function storeUnavailable(error: unknown): StoreUnavailableError | null {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (cause instanceof StoreUnavailableError) return cause;
    const code = (cause as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (SQLITE_OUTAGE.test(code) || NETWORK_OUTAGE.has(code) || POSTGRES_OUTAGE.test(code))
    ) {
      return new StoreUnavailableError(cause);
    }
    if (code === undefined && PG_CONNECTION_LOST.test(cause.message)) return new StoreUnavailableError(cause);
    cause = cause.cause;
  }
  return null;
}
