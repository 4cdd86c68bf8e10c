/** Server configuration, read from environment variables (documented in server/README.md). */

export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ServerConfig {
  port: number;
  host: string;
  database: DatabaseConfig;
  /** Read by the scale-out work; a single server ignores it. */
  redisUrl: string | undefined;
  /** When set, this secret is (or becomes) an admin token; otherwise one is generated on first start. */
  adminToken: string | undefined;
  logLevel: LogLevel;
  /** Requests with failed authentication allowed per client address and window before 429. */
  authFailureLimit: { max: number; windowMs: number };
  /** Largest accepted request body in bytes. */
  bodyLimit: number;
  /** Change-log rows kept per environment for SDK resume (`Last-Event-ID`). */
  changeLogRetention: number;
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
  return {
    port: port === undefined ? DEFAULT_PORT : parseInteger('PORT', port, 0, 65535),
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    database: parseDatabaseUrl(nonEmpty(env.DATABASE_URL) ?? DEFAULT_DATABASE_PATH),
    redisUrl: nonEmpty(env.REDIS_URL),
    adminToken: nonEmpty(env.SWITCHBOARD_ADMIN_TOKEN),
    logLevel,
    authFailureLimit: { max: 30, windowMs: 60_000 },
    bodyLimit: 1024 * 1024,
    changeLogRetention:
      retention === undefined
        ? 1000
        : parseInteger('SWITCHBOARD_CHANGE_LOG_RETENTION', retention, 1, 10_000_000),
  };
}
