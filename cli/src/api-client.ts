import { CliError, ExitCode } from './errors';

/** The server's error body: `{ error, message, details: [{ path, problem }] }`. */
export interface ApiErrorBody {
  error?: string;
  message?: string;
  details?: Array<{ path: string; problem: string }>;
  [field: string]: unknown;
}

/** A non-2xx answer; `exitCode` follows the documented mapping (401/403 → 2, 404 → 4, 409 → 3). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
    message: string,
  ) {
    super(message, exitCodeForStatus(status));
    this.name = 'ApiError';
  }
}

export function exitCodeForStatus(status: number) {
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status === 404) return ExitCode.notFound;
  if (status === 409) return ExitCode.conflict;
  return ExitCode.usage;
}

function describeFailure(status: number, body: ApiErrorBody): string {
  const serverMessage = body.message ?? body.error ?? `HTTP ${status}`;
  const detail = body.details?.[0];
  const detailText = detail ? ` (${detail.path || '/'}: ${detail.problem})` : '';
  const more =
    body.details && body.details.length > 1 ? ` and ${body.details.length - 1} more problem(s)` : '';
  switch (status) {
    case 401:
      return `not authenticated: ${serverMessage} — check --token, SWITCHBOARD_TOKEN or run \`switchboard login\``;
    case 403:
      return `permission denied: ${serverMessage}`;
    case 404:
      return `not found: ${serverMessage}`;
    case 409:
      return `conflict: ${serverMessage}${detailText}`;
    default:
      return `${status >= 500 ? 'server error' : 'rejected'}: ${serverMessage}${detailText}${more}`;
  }
}

const REQUEST_TIMEOUT_MS = 30_000;

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw unreachable(this.baseUrl, error);
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) {
      const errorBody: ApiErrorBody =
        parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ApiErrorBody) : {};
      throw new ApiError(response.status, errorBody, describeFailure(response.status, errorBody));
    }
    return parsed as T;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function unreachable(baseUrl: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason =
    (error as Error).name === 'TimeoutError'
      ? `no answer within ${REQUEST_TIMEOUT_MS / 1000}s`
      : (cause?.code ?? cause?.message ?? (error as Error).message);
  return new CliError(`cannot reach the server at ${baseUrl}: ${reason}`, ExitCode.unreachable);
}

/** Encodes one path segment (flag keys may contain any non-whitespace character except `/`). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
