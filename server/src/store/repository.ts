/**
 * The store behind the server: one async, dialect-neutral interface. SQLite implements it now
 * (store/sqlite.ts); PostgreSQL implements the same interface for scale-out.
 *
 * Reads outside a transaction see committed data only. Every mutation runs inside
 * `transaction()`, which serializes writers (SQLite: one connection, `BEGIN IMMEDIATE`), so the
 * audit chain's next link and each environment's next change sequence are taken by one writer at
 * a time and never forked or reused.
 */
import type {
  Environment,
  EnvironmentRuleset,
  FlagDocument,
  MetricsBatch,
  SegmentDocument,
  TokenInfo,
} from '@switchboard/core';
import type { AuditDraft, AuditEntry } from '../audit/chain';
import type { ChangeRecord } from '../fanout/fanout';
import type { DeliveryQueries, DeliveryStore } from './delivery';

export { TOKEN_KINDS } from '@switchboard/core';
export type { Environment, TokenInfo, TokenKind } from '@switchboard/core';

export interface StoredToken extends TokenInfo {
  /** sha256 of the secret, hex. */
  hash: string;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface FlagQuery {
  /** Only flags carrying this tag. */
  tag?: string;
  /** Case-insensitive substring of the key or description. */
  search?: string;
  limit: number;
  cursor?: string;
}

export interface SegmentQuery {
  search?: string;
  limit: number;
  cursor?: string;
}

/** Newest entries first. */
export interface AuditQuery {
  /** Entries about this flag. */
  flag?: string;
  /** Token name or token id of the actor. */
  actor?: string;
  action?: string;
  /** ISO-8601 bounds on the entry time, inclusive. */
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

/** Thrown by reads and writes when a cursor did not come from this store. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** Thrown by getRuleset for an environment that does not exist. */
export class UnknownEnvironmentError extends Error {
  override name = 'UnknownEnvironmentError';
  constructor(readonly environment: string) {
    super(`unknown environment "${environment}"`);
  }
}

/**
 * Operations inside one write transaction. Reads see the transaction's own writes. The work passed
 * to `transaction()` must await nothing but these methods, so the write lock is held briefly.
 */
export interface StoreTransaction {
  listEnvironments(): Promise<Environment[]>;
  getEnvironment(key: string): Promise<Environment | undefined>;
  insertEnvironment(environment: { key: string; name: string }): Promise<Environment>;

  getFlag(key: string): Promise<FlagDocument | undefined>;
  listAllFlags(): Promise<FlagDocument[]>;
  /** Inserts or replaces; the document's `version` is stored as given. */
  putFlag(document: FlagDocument): Promise<void>;
  deleteFlag(key: string): Promise<void>;

  getSegment(key: string): Promise<SegmentDocument | undefined>;
  listAllSegments(): Promise<SegmentDocument[]>;
  putSegment(document: SegmentDocument): Promise<void>;
  deleteSegment(key: string): Promise<void>;

  getToken(id: string): Promise<StoredToken | undefined>;
  listTokens(): Promise<StoredToken[]>;
  insertToken(token: StoredToken): Promise<void>;
  updateToken(id: string, change: { hash?: string; revokedAt?: string | null }): Promise<void>;

  /** Appends to the environment's change log with its next seq (and prunes old rows). */
  appendChange(change: Omit<ChangeRecord, 'seq'>): Promise<ChangeRecord>;
  /** Appends the next link of the audit chain. */
  appendAudit(draft: AuditDraft): Promise<AuditEntry>;

  /** Ramp plans, guard data and webhooks (store/delivery.ts), inside this transaction. */
  readonly delivery: DeliveryQueries;
}

export interface Repository {
  readonly dialect: 'sqlite' | 'postgres';

  /** True when the store answers and every migration is applied. */
  isReady(): Promise<boolean>;
  close(): Promise<void>;

  /** Runs `work` atomically: all of its writes commit together or none do. */
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;

  listEnvironments(): Promise<Environment[]>;
  getEnvironment(key: string): Promise<Environment | undefined>;

  getFlag(key: string): Promise<FlagDocument | undefined>;
  listFlags(query: FlagQuery): Promise<Page<FlagDocument>>;
  getSegment(key: string): Promise<SegmentDocument | undefined>;
  listSegments(query: SegmentQuery): Promise<Page<SegmentDocument>>;

  /**
   * Everything SDKs of the environment need, read in one snapshot; `version` is the
   * environment's change sequence. Throws UnknownEnvironmentError.
   */
  getRuleset(environment: string): Promise<EnvironmentRuleset>;
  /**
   * The environment's changes with seq > afterSeq, oldest first; null when the retained log no
   * longer reaches back to afterSeq + 1 (or afterSeq is ahead of the environment): send a full put.
   */
  changesSince(environment: string, afterSeq: number): Promise<ChangeRecord[] | null>;

  findTokenByHash(hash: string): Promise<StoredToken | undefined>;
  listTokens(): Promise<TokenInfo[]>;

  listAudit(query: AuditQuery): Promise<Page<AuditEntry>>;
  /** Entries with id > afterId in chain order, at most `limit`: for verification. */
  readAuditChain(afterId: number, limit: number): Promise<AuditEntry[]>;

  /** Adds the batch's counts to the per-window evaluation counters. */
  recordMetrics(environment: string, batch: MetricsBatch): Promise<void>;

  /** Ramp plans, guard data, SDK instances, webhooks and insight reads (store/delivery.ts). */
  readonly delivery: DeliveryStore;
}
