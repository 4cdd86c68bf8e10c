export { buildApp } from './app';
export type { BuildOptions } from './app';
export { ConfigError, DEFAULT_PORT, loadConfig, parseDatabaseUrl } from './config';
export type { DatabaseConfig, LogLevel, ServerConfig } from './config';
export { authPlugin, principalOf } from './auth';
export type { AuthHook, Principal } from './auth';
export type { Permission } from './auth/tokens';
export { PERMISSIONS } from './auth/tokens';
export type { Actor, AuditEntry, ChainVerdict } from './audit/chain';
export { verifyChain } from './audit/chain';
export type { ChangeListener, ChangeNotice, ChangeRecord, Fanout } from './fanout/fanout';
export type { FanoutStatus } from './fanout/fanout';
export { InProcessFanout } from './fanout/in-process';
export { ReplicatedFanout } from './fanout/replicated';
export type { NoticeChannel, ReplicatedFanoutOptions, WireNotice } from './fanout/replicated';
export { RedisNoticeChannel } from './fanout/redis';
export { buildRelayApp } from './relay/app';
export { isRelayMode, loadRelayConfig } from './relay/config';
export type { RelayConfig } from './relay/config';
export { HttpError } from './errors';
export type { ErrorBody, ProblemDetail } from './errors';
export { Mutations } from './mutations';
export type { FlagInput, SegmentInput } from './mutations';
export { openStore } from './store/open';
export { openSqliteStore, SqliteRepository } from './store/sqlite';
export { openPostgresStore, PostgresRepository } from './store/postgres';
export { migrateDown, migrateUp, readMigrations } from './store/migrations';
export type { Migration, MigrationTarget } from './store/migrations';
export { InvalidCursorError, TOKEN_KINDS, UnknownEnvironmentError } from './store/repository';
export type {
  AuditQuery,
  Environment,
  FlagQuery,
  Page,
  Repository,
  SegmentQuery,
  StoredToken,
  StoreTransaction,
  TokenInfo,
  TokenKind,
} from './store/repository';
