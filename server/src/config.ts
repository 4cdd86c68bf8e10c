/** Server configuration, read from environment variables (documented in server/README.md). */
import type { DeliveryOptions } from './delivery/options';

export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ServerConfig {
  port: number;
  host: string;
  database: DatabaseConfig;
  /** Replicas announce commits to each other through this Redis (see fanout/open.ts). */
  redisUrl: string | undefined;
  /** How often replicas poll the store's change sequences without Redis or while it is away (500 ms). */
  fanoutPollIntervalMs?: number;
  /** When set, this secret is (or becomes) an admin token; otherwise one is generated on first start. */
  adminToken: string | undefined;
  logLevel: LogLevel;
  /** Requests with failed authentication allowed per client address and window before 429. */
  authFailureLimit: { max: number; windowMs: number };
  /** Largest accepted request body in bytes. */
  bodyLimit: number;
  /** Change-log rows kept per environment for SDK resume (`Last-Event-ID`). */
  changeLogRetention: number;
  /** Read-only mode: flags and segments come from this YAML file (see flags-file.ts). */
  flagsFile?: string;
  /** Browser origins allowed on the client and OFREP routes (CORS); `*` allows any. */
  corsOrigins?: string[];
  /** Ramp plan scheduler, stale flags and webhooks; defaults in delivery/options.ts. */
  delivery?: Partial<DeliveryOptions>;
}

export const DEFAULT_PORT = 7070;
export const DEFAULT_DATABASE_PATH = './data/switchboard.db';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseDatabaseUrl(url: string): DatabaseConfig {
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url };
  const path = url.startsWith('file:') ? url.slice('file:'.length) : url;
  if (path === '') throw new ConfigError('DATABASE_URL is empty');
  return { kind: 'sqlite', path };
}

function parseRedisUrl(url: string | undefined): string | undefined {
  if (url !== undefined && !/^rediss?:\/\/\S+$/i.test(url)) {
    throw new ConfigError(`REDIS_URL must look like redis://host:6379 (or rediss://), got "${url}"`);
  }
  return url;
}

function parseInteger(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const logLevel = (nonEmpty(env.LOG_LEVEL) ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const port = nonEmpty(env.PORT);
  const retention = nonEmpty(env.SWITCHBOARD_CHANGE_LOG_RETENTION);
  const pollInterval = nonEmpty(env.SWITCHBOARD_POLL_INTERVAL_MS);
  return {
    port: port === undefined ? DEFAULT_PORT : parseInteger('PORT', port, 0, 65535),
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    database: parseDatabaseUrl(nonEmpty(env.DATABASE_URL) ?? DEFAULT_DATABASE_PATH),
    redisUrl: parseRedisUrl(nonEmpty(env.REDIS_URL)),
    fanoutPollIntervalMs:
      pollInterval === undefined
        ? undefined
        : parseInteger('SWITCHBOARD_POLL_INTERVAL_MS', pollInterval, 10, 60_000),
    adminToken: nonEmpty(env.SWITCHBOARD_ADMIN_TOKEN),
    logLevel,
    authFailureLimit: { max: 30, windowMs: 60_000 },
    bodyLimit: 1024 * 1024,
    changeLogRetention:
      retention === undefined
        ? 1000
        : parseInteger('SWITCHBOARD_CHANGE_LOG_RETENTION', retention, 1, 10_000_000),
    flagsFile: nonEmpty(env.SWITCHBOARD_FLAGS_FILE),
    corsOrigins: parseCorsOrigins(nonEmpty(env.SWITCHBOARD_CORS_ORIGINS) ?? ''),
    delivery: {
      tickMs: optionalInteger(env, 'SWITCHBOARD_SCHEDULER_TICK_MS', 10, 60_000),
      staleAfterDays: optionalInteger(env, 'SWITCHBOARD_STALE_AFTER_DAYS', 1, 3650),
      webhookRetryBaseMs: optionalInteger(env, 'SWITCHBOARD_WEBHOOK_RETRY_BASE_MS', 10, 3_600_000),
      webhookMaxAttempts: optionalInteger(env, 'SWITCHBOARD_WEBHOOK_MAX_ATTEMPTS', 1, 20),
      webhookTimeoutMs: optionalInteger(env, 'SWITCHBOARD_WEBHOOK_TIMEOUT_MS', 100, 60_000),
    },
  };
}

function optionalInteger(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = nonEmpty(env[name]);
  return raw === undefined ? undefined : parseInteger(name, raw, min, max);
}

/** Comma-separated origins (`scheme://host[:port]`, no path), or `*`. */
export function parseCorsOrigins(raw: string): string[] {
  const origins = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  const invalid = origins.find((origin) => origin !== '*' && !/^https?:\/\/[^/\s]+$/i.test(origin));
  if (invalid !== undefined) {
    throw new ConfigError(
      `SWITCHBOARD_CORS_ORIGINS: "${invalid}" is not an origin like https://app.example.com`,
    );
  }
  return origins;
}
