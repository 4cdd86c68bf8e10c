import type {
  AuditEntry,
  ChainVerdict,
  Context,
  CreatedToken,
  Environment,
  FlagDocument,
  GuardReading,
  JsonValue,
  PlanAction,
  PlanDefinition,
  RampPlan,
  SegmentDocument,
  TokenInfo,
  TokenKind,
} from '@switchboard/core';

export type {
  ArmReading,
  AuditActor,
  AuditEntry,
  ChainVerdict,
  CreatedToken,
  Environment,
  GuardDefinition,
  GuardReading,
  PlanAction,
  PlanDefinition,
  PlanEvent,
  PlanStatus,
  PlanStep,
  RampPlan,
  TokenInfo,
  TokenKind,
} from '@switchboard/core';

/** The signed-in token, as `GET /api/v1/me` describes it. */
export interface Me {
  id: string;
  name: string;
  kind: TokenKind;
  environment?: string | null;
}

/** A flag as the list shows it: the document plus when it last changed. */
export interface FlagListItem extends FlagDocument {
  updatedAt?: string;
}

export interface FlagPage {
  flags: FlagListItem[];
  nextCursor: string | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

export interface AuditFilter {
  flag?: string;
  actor?: string;
  action?: string;
  /** ISO-8601 bounds, inclusive. */
  since?: string;
  until?: string;
}

export interface Evaluation {
  value: JsonValue;
  variant?: string;
  reason: string;
  ruleId?: string;
  errorCode?: string;
}

/** The SDK streams of one environment: how many are open, and how many were sent change `seq` or later. */
export interface SdkStatus {
  environment: string;
  seq: number;
  connected: number;
  acknowledged: number;
}

// ---- Progressive delivery (server/src/delivery/types.ts, insight/, webhooks/) ----

/** A plan as the flag page shows it: with its guards' numbers now and the server's clock. */
export interface PlanView extends RampPlan {
  readings: GuardReading[];
  serverTime: string;
}

export interface SdkInstance {
  instanceId: string;
  tokenId: string;
  sdk: string;
  sdkVersion: string;
  rulesetVersion: number | null;
  lastSeenAt: string;
  /** Holds a stream open on the server that answered: `rulesetVersion` is the version it was sent. */
  streaming: boolean;
  connected: boolean;
  current: boolean;
}

export interface FlagInsight {
  evaluations: {
    since: string;
    bucketSeconds: number;
    buckets: Array<{ start: string; counts: Record<string, number> }>;
    totals: Record<string, number>;
  };
  lastEvaluatedAt: string | null;
  sdks: {
    currentVersion: number;
    instances: SdkInstance[];
    streams: Array<{ version: number; streams: number }>;
  };
}

export interface Staleness {
  reason: 'not-evaluated' | 'single-variant';
  lastEvaluatedAt: string | null;
  variants: Record<string, string>;
}

export interface StalePage extends FlagPage {
  stale: Record<string, Staleness>;
}

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string;
  createdAt: string;
  createdBy: string;
}

export interface WebhookDelivery {
  id: string;
  auditId: number;
  event: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  log: Array<{
    attempt: number;
    at: string;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
  }>;
  createdAt: string;
}

export interface ErrorDetail {
  path: string;
  problem: string;
}

export interface ApiErrorBody {
  error: string;
  message?: string;
  details?: ErrorDetail[];
}

/** A non-2xx answer of the admin API, carrying its JSON error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message ?? body.error);
    this.name = 'ApiError';
  }

  /** A 404 for the route itself (an older server without that endpoint), not for a missing flag. */
  get isMissingRoute(): boolean {
    return this.status === 404 && /\broute\b/i.test(this.body.message ?? '');
  }
}

/** Thrown when the server cannot be reached at all (network error). */
export class UnreachableError extends Error {
  constructor(cause: unknown) {
    super('The server could not be reached.', { cause });
    this.name = 'UnreachableError';
  }
}

type Query = Record<string, string | number | undefined>;

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

const segment = encodeURIComponent;

function flagPath(key: string, environment?: string): string {
  const base = `/api/v1/flags/${segment(key)}`;
  return environment === undefined ? base : `${base}/environments/${segment(environment)}`;
}

async function errorBody(response: Response): Promise<ApiErrorBody> {
  try {
    const body = (await response.json()) as Partial<ApiErrorBody>;
    if (typeof body.error === 'string') return body as ApiErrorBody;
  } catch {
    // Not JSON (a proxy error page, for instance): fall through to a generic body.
  }
  return { error: `http_${response.status}`, message: `${response.status} ${response.statusText}` };
}

/**
 * The admin API, `/api/v1/...`, authenticated with a bearer token. The token travels only in the
 * Authorization header, never in a URL.
 */
export class AdminApi {
  constructor(
    private readonly token: string,
    private readonly options: { origin?: string; onUnauthorized?: () => void } = {},
  ) {}

  /** Raw authenticated fetch; callers that stream (the change feed) read the body themselves. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.token}`);
    if (init.body !== undefined) headers.set('content-type', 'application/json');
    try {
      return await fetch((this.options.origin ?? '') + path, { ...init, headers });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new UnreachableError(error);
    }
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status === 401) this.options.onUnauthorized?.();
    if (!response.ok) throw new ApiError(response.status, await errorBody(response));
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  me(): Promise<Me> {
    return this.request('GET', '/api/v1/me');
  }

  environments(): Promise<{ environments: Environment[] }> {
    return this.request('GET', '/api/v1/environments');
  }

  listFlags(filter: { search?: string; tag?: string; cursor?: string; limit?: number }): Promise<FlagPage> {
    return this.request('GET', `/api/v1/flags${queryString(filter)}`);
  }

  getFlag(key: string): Promise<FlagDocument> {
    return this.request('GET', flagPath(key));
  }

  /**
   * Creates (version 0) or replaces the flag; `flag.version` is the version the edit was based on.
   * `reason` goes to the audit log.
   */
  putFlag(flag: FlagDocument, reason?: string): Promise<FlagDocument> {
    return this.request('PUT', `${flagPath(flag.key)}${queryString({ reason })}`, flag);
  }

  /** Deletes the flag if it is still at `version`. */
  deleteFlag(key: string, version: number): Promise<void> {
    return this.request('DELETE', `${flagPath(key)}${queryString({ version })}`);
  }

  kill(key: string, environment: string, reason: string): Promise<FlagDocument> {
    return this.request('POST', `${flagPath(key, environment)}/kill`, { reason });
  }

  unkill(key: string, environment: string): Promise<FlagDocument> {
    return this.request('POST', `${flagPath(key, environment)}/unkill`, {});
  }

  killByTag(
    tag: string,
    environment: string,
    reason: string,
  ): Promise<{ killed: string[]; alreadyKilled: string[] }> {
    return this.request('POST', '/api/v1/kill', { tag, environment, reason });
  }

  evaluate(key: string, environment: string, context: Context): Promise<Evaluation> {
    return this.request('POST', `${flagPath(key, environment)}/evaluate`, { context });
  }

  /** Without `seq`: counts for the environment's latest change sequence, which the answer names. */
  sdkStatus(environment: string, seq?: number): Promise<SdkStatus> {
    return this.request(
      'GET',
      `/api/v1/environments/${segment(environment)}/sdk-status${queryString({ seq })}`,
    );
  }

  segments(): Promise<{ segments: SegmentDocument[] }> {
    return this.request('GET', '/api/v1/segments');
  }

  audit(filter: AuditFilter & { cursor?: string; limit?: number }): Promise<AuditPage> {
    return this.request('GET', `/api/v1/audit${queryString({ ...filter })}`);
  }

  verifyAudit(): Promise<ChainVerdict> {
    return this.request('GET', '/api/v1/audit/verify');
  }

  tokens(): Promise<{ tokens: TokenInfo[] }> {
    return this.request('GET', '/api/v1/tokens');
  }

  createToken(input: { name: string; kind: TokenKind; environment?: string }): Promise<CreatedToken> {
    return this.request('POST', '/api/v1/tokens', input);
  }

  revokeToken(id: string): Promise<void> {
    return this.request('DELETE', `/api/v1/tokens/${segment(id)}`);
  }

  /** The flag environment's ramp plan; null when it never had one. */
  async plan(key: string, environment: string): Promise<PlanView | null> {
    try {
      return await this.request<PlanView>('GET', `${flagPath(key, environment)}/plan`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && !error.isMissingRoute) return null;
      throw error;
    }
  }

  putPlan(key: string, environment: string, plan: PlanDefinition & { reason?: string }): Promise<PlanView> {
    return this.request('PUT', `${flagPath(key, environment)}/plan`, plan);
  }

  planAction(key: string, environment: string, action: PlanAction, reason?: string): Promise<PlanView> {
    return this.request('POST', `${flagPath(key, environment)}/plan/${action}`, reason ? { reason } : {});
  }

  plans(filter: { active?: boolean } = {}): Promise<{ plans: RampPlan[] }> {
    return this.request('GET', `/api/v1/plans${queryString({ active: filter.active ? 'true' : undefined })}`);
  }

  insight(key: string, environment: string, hours: number): Promise<FlagInsight> {
    return this.request('GET', `${flagPath(key, environment)}/insight${queryString({ hours })}`);
  }

  /** Flags ready to remove (not evaluated, or serving one variant, for the server's stale period). */
  staleFlags(): Promise<StalePage> {
    return this.request('GET', `/api/v1/flags${queryString({ stale: 'true', limit: 500 })}`);
  }

  webhooks(): Promise<{ webhooks: Webhook[] }> {
    return this.request('GET', '/api/v1/webhooks');
  }

  createWebhook(input: {
    url: string;
    events?: string[];
    description?: string;
  }): Promise<Webhook & { secret: string }> {
    return this.request('POST', '/api/v1/webhooks', input);
  }

  deleteWebhook(id: string): Promise<void> {
    return this.request('DELETE', `/api/v1/webhooks/${segment(id)}`);
  }

  deliveries(id: string): Promise<{ deliveries: WebhookDelivery[] }> {
    return this.request('GET', `/api/v1/webhooks/${segment(id)}/deliveries${queryString({ limit: 50 })}`);
  }
}

/** A one-line, human-readable description of any error the UI can meet. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const details = (error.body.details ?? []).map((d) => `${d.path}: ${d.problem}`).join('; ');
    const base = error.body.message ?? error.body.error;
    return details === '' ? base : `${base} (${details})`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
