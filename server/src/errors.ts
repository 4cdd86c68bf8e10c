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
