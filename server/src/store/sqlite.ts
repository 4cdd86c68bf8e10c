/**
 * The embedded SQLite store (drizzle + better-sqlite3).
 *
 * Durability: WAL journal with `synchronous = FULL`, so COMMIT returns only after the WAL is on
 * disk and an acknowledged write survives `kill -9` (and power loss, as far as the disk honours
 * fsync). A write waits (on a timer, up to 5 s) for the write lock another process on the same file
 * holds instead of failing at once.
 *
 * Concurrency: better-sqlite3 is synchronous and there is one connection, so every operation runs
 * through one queue. Write transactions are group-committed (see commitGroup): a group (`BEGIN
 * IMMEDIATE`, taking SQLite's write lock up front) holds the queue until it commits; reads queue
 * behind it and so never see uncommitted rows.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EnvironmentRuleset, FlagDocument, MetricsBatch, SegmentDocument } from '@switchboard/core';
import { buildRuleset } from '@switchboard/core';
import Database from 'better-sqlite3';
import { and, asc, desc, eq, gt, gte, lt, lte, or, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { AuditDraft, AuditEntry } from '../audit/chain';
import { chainEntry } from '../audit/chain';
import type { ChangeRecord } from '../fanout/fanout';
import { SQLITE_MIGRATIONS_DIR } from '../paths';
import type { DeliveryStore } from './delivery';
import { DeliveryQueries } from './delivery';
import type { Migration, MigrationTarget } from './migrations';
import { isCurrent, migrateUp, readMigrations } from './migrations';
import type {
  AuditQuery,
  Environment,
  FlagQuery,
  Page,
  Repository,
  SegmentQuery,
  StoredToken,
  StoreTransaction,
  TokenInfo,
} from './repository';
import { UnknownEnvironmentError } from './repository';
import {
  decodeIdCursor,
  decodeKeyCursor,
  encodeKeyCursor,
  page,
  toAuditEntry,
  toAuditRow,
  toStoredToken,
  toTokenInfo,
} from './rows';
import * as schema from './schema';
import { SerialQueue } from './serial-queue';

type Db = BetterSQLite3Database<typeof schema>;

export interface SqliteStoreOptions {
  /** File path, or `:memory:`. */
  path: string;
  /** Change-log rows kept per environment. */
  changeLogRetention: number;
  migrationsDir?: string;
}

const MIGRATIONS_TABLE = '__switchboard_migrations';

export class SqliteMigrationTarget implements MigrationTarget {
  constructor(private readonly connection: Database.Database) {}

  private createTable(): void {
    this.connection.exec(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (tag TEXT PRIMARY KEY NOT NULL, applied_at TEXT NOT NULL)`,
    );
  }

  async applied(): Promise<string[]> {
    this.createTable();
    const rows = this.connection
      .prepare(`SELECT tag FROM ${MIGRATIONS_TABLE} ORDER BY rowid`)
      .all() as Array<{
      tag: string;
    }>;
    return rows.map((row) => row.tag);
  }

  /**
   * Runs under the write lock (IMMEDIATE) and skips a step that is already done: two servers
   * starting together on one file both see the migration pending, the second one finds it applied.
   */
  async run(migration: Migration, direction: 'up' | 'down'): Promise<void> {
    this.createTable();
    this.connection
      .transaction(() => {
        const applied =
          this.connection.prepare(`SELECT 1 FROM ${MIGRATIONS_TABLE} WHERE tag = ?`).get(migration.tag) !==
          undefined;
        if (applied === (direction === 'up')) return;
        for (const statement of migration[direction]) this.connection.exec(statement);
        if (direction === 'up') {
          this.connection
            .prepare(`INSERT INTO ${MIGRATIONS_TABLE} (tag, applied_at) VALUES (?, ?)`)
            .run(migration.tag, new Date().toISOString());
        } else {
          this.connection.prepare(`DELETE FROM ${MIGRATIONS_TABLE} WHERE tag = ?`).run(migration.tag);
        }
      })
      .immediate();
  }
}

/** How long a statement waits for a lock another process holds (reads in WAL mode rarely need one). */
const BUSY_TIMEOUT_MS = 5_000;
/**
 * How long a write waits for SQLite's write lock while another process holds it, before it answers
 * 503. It waits between attempts on a timer rather than in busy_timeout, which would block the thread
 * (and every stream, read and kill of the server) for the whole wait.
 */
const WRITE_LOCK_WAIT_MS = 5_000;
const WRITE_LOCK_RETRY_MS = 10;

/** Opens (creating if needed) a SQLite database with the durability settings above. */
export function openSqliteConnection(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const connection = new Database(path);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = FULL');
  connection.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  connection.pragma('foreign_keys = ON');
  return connection;
}

/** Compiled statements kept per connection, least recently used out (a multi-row INSERT makes one per row count). */
const MAX_REUSED_STATEMENTS = 256;

/**
 * The connection as drizzle should see it: prepare() reuses the compiled statement of the same SQL.
 * Drizzle prepares every query it runs, and compiling the same few statements (the environment and
 * plan reads of every SDK report and stream) was the largest single CPU cost of a server with
 * thousands of SDKs. A reused statement is as good as a fresh one once raw(false) undoes the one mode drizzle
 * switches on; all its uses run synchronously, so two never overlap.
 */
function reusingStatements(connection: Database.Database): Database.Database {
  const statements = new Map<string, Database.Statement>();
  const prepare = (source: string): Database.Statement => {
    let statement = statements.get(source);
    if (statement === undefined) {
      statement = connection.prepare(source);
      if (statements.size >= MAX_REUSED_STATEMENTS) statements.delete(statements.keys().next().value!);
    } else {
      statements.delete(source); // Map order is recency: the least recently used goes first
      if (statement.reader) statement.raw(false);
    }
    statements.set(source, statement);
    return statement;
  };
  return new Proxy(connection, {
    get: (target, property) => (property === 'prepare' ? prepare : Reflect.get(target, property)),
  });
}

/** Opens the store and applies pending migrations. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteRepository> {
  const connection = openSqliteConnection(options.path);
  try {
    const migrations = readMigrations(options.migrationsDir ?? SQLITE_MIGRATIONS_DIR);
    await migrateUp(new SqliteMigrationTarget(connection), migrations);
    return new SqliteRepository(connection, migrations, options.changeLogRetention);
  } catch (error) {
    connection.close();
    throw error;
  }
}

/** Case-insensitive (ASCII) substring test that needs no LIKE escaping. */
const containsIgnoringCase = (column: SQL, needle: string) =>
  sql`instr(lower(${column}), lower(${needle})) > 0`;

/**
 * A placeholder for a nullable JSON column that stores SQL NULL for null, as drizzle does when it
 * builds the statement with the value inline (a prepared placeholder would store the text 'null').
 */
function nullableJson(name: string, column: SQLiteColumn): SQL {
  const encoder = {
    mapToDriverValue: (value: unknown) => (value === null ? null : column.mapToDriverValue(value)),
  };
  return sql`${sql.param(sql.placeholder(name), encoder)}`;
}

/** A column of the row being upserted, for the DO UPDATE SET of an upsert. */
const excluded = (column: SQLiteColumn) => sql.raw(`excluded.${column.name}`);

/**
 * The statements of every write and of the SDK reads, built once per store: drizzle builds a query's
 * SQL anew on every call, and for these (about ten per flag write, a few per SDK request) building
 * cost more CPU than SQLite running them.
 */
function prepareStatements(db: Db) {
  const { environments, flags, segments, tokens, audit, changes } = schema;
  const key = sql.placeholder('key');
  return {
    // rowid: creation order, also among environments created in the same millisecond.
    listEnvironments: db
      .select()
      .from(environments)
      .orderBy(sql`rowid`)
      .prepare(),
    getEnvironment: db.select().from(environments).where(eq(environments.key, key)).prepare(),
    bumpSeq: db
      .update(environments)
      .set({ seq: sql`${environments.seq} + 1` })
      .where(eq(environments.key, key))
      .returning({ seq: environments.seq })
      .prepare(),
    getFlag: db.select({ document: flags.document }).from(flags).where(eq(flags.key, key)).prepare(),
    listAllFlags: db.select({ document: flags.document }).from(flags).orderBy(asc(flags.key)).prepare(),
    putFlag: db
      .insert(flags)
      .values({
        key,
        document: sql.placeholder('document'),
        version: sql.placeholder('version'),
        createdAt: sql.placeholder('now'),
        updatedAt: sql.placeholder('now'),
      })
      .onConflictDoUpdate({
        target: flags.key,
        set: {
          document: excluded(flags.document),
          version: excluded(flags.version),
          updatedAt: excluded(flags.updatedAt),
        },
      })
      .prepare(),
    listAllSegments: db
      .select({ document: segments.document })
      .from(segments)
      .orderBy(asc(segments.key))
      .prepare(),
    findTokenByHash: db
      .select()
      .from(tokens)
      .where(eq(tokens.hash, sql.placeholder('hash')))
      .prepare(),
    insertChange: db
      .insert(changes)
      .values({
        environment: sql.placeholder('environment'),
        seq: sql.placeholder('seq'),
        kind: sql.placeholder('kind'),
        key,
        value: nullableJson('value', changes.value),
      })
      .prepare(),
    pruneChanges: db
      .delete(changes)
      .where(
        and(
          eq(changes.environment, sql.placeholder('environment')),
          lte(changes.seq, sql.placeholder('upTo')),
        ),
      )
      .prepare(),
    changesAfter: db
      .select()
      .from(changes)
      .where(
        and(
          eq(changes.environment, sql.placeholder('environment')),
          gt(changes.seq, sql.placeholder('afterSeq')),
        ),
      )
      .orderBy(asc(changes.seq))
      .prepare(),
    auditHead: db
      .select({ id: audit.id, hash: audit.hash })
      .from(audit)
      .orderBy(desc(audit.id))
      .limit(1)
      .prepare(),
    insertAudit: db
      .insert(audit)
      .values({
        id: sql.placeholder('id'),
        at: sql.placeholder('at'),
        actorId: sql.placeholder('actorId'),
        actorName: sql.placeholder('actorName'),
        action: sql.placeholder('action'),
        targetKind: sql.placeholder('targetKind'),
        targetKey: sql.placeholder('targetKey'),
        environment: sql.placeholder('environment'),
        reason: sql.placeholder('reason'),
        before: nullableJson('before', audit.before),
        after: nullableJson('after', audit.after),
        diff: sql.placeholder('diff'),
        prevHash: sql.placeholder('prevHash'),
        hash: sql.placeholder('hash'),
      })
      .prepare(),
    readAuditChain: db
      .select()
      .from(audit)
      .where(gt(audit.id, sql.placeholder('afterId')))
      .orderBy(asc(audit.id))
      .limit(sql.placeholder('limit'))
      .prepare(),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/** Queries shared by plain reads and transactions (all synchronous: better-sqlite3). */
class SqliteQueries {
  constructor(
    protected readonly db: Db,
    protected readonly statements: Statements,
  ) {}

  listEnvironments(): Environment[] {
    return this.statements.listEnvironments.all();
  }

  getEnvironment(key: string): Environment | undefined {
    return this.statements.getEnvironment.get({ key });
  }

  getFlag(key: string): FlagDocument | undefined {
    return this.statements.getFlag.get({ key })?.document;
  }

  listAllFlags(): FlagDocument[] {
    return this.statements.listAllFlags.all().map((row) => row.document);
  }

  getSegment(key: string): SegmentDocument | undefined {
    return this.db
      .select({ document: schema.segments.document })
      .from(schema.segments)
      .where(eq(schema.segments.key, key))
      .get()?.document;
  }

  listAllSegments(): SegmentDocument[] {
    return this.statements.listAllSegments.all().map((row) => row.document);
  }

  getToken(id: string): StoredToken | undefined {
    const row = this.db.select().from(schema.tokens).where(eq(schema.tokens.id, id)).get();
    return row && toStoredToken(row);
  }

  listTokens(): StoredToken[] {
    return this.db
      .select()
      .from(schema.tokens)
      .orderBy(asc(schema.tokens.createdAt), asc(schema.tokens.id))
      .all()
      .map(toStoredToken);
  }
}

class SqliteTransaction extends SqliteQueries {
  constructor(
    db: Db,
    statements: Statements,
    private readonly changeLogRetention: number,
  ) {
    super(db, statements);
  }

  insertEnvironment({ key, name }: { key: string; name: string }): Environment {
    const environment: Environment = { key, name, seq: 0, createdAt: new Date().toISOString() };
    this.db.insert(schema.environments).values(environment).run();
    return environment;
  }

  putFlag(document: FlagDocument): void {
    this.statements.putFlag.run({
      key: document.key,
      document,
      version: document.version,
      now: new Date().toISOString(),
    });
  }

  deleteFlag(key: string): void {
    this.db.delete(schema.flags).where(eq(schema.flags.key, key)).run();
  }

  putSegment(document: SegmentDocument): void {
    const now = new Date().toISOString();
    this.db
      .insert(schema.segments)
      .values({ key: document.key, document, version: document.version, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: schema.segments.key,
        set: { document, version: document.version, updatedAt: now },
      })
      .run();
  }

  deleteSegment(key: string): void {
    this.db.delete(schema.segments).where(eq(schema.segments.key, key)).run();
  }

  insertToken(token: StoredToken): void {
    this.db.insert(schema.tokens).values(token).run();
  }

  updateToken(id: string, change: { hash?: string; revokedAt?: string | null }): void {
    this.db.update(schema.tokens).set(change).where(eq(schema.tokens.id, id)).run();
  }

  appendChange(change: Omit<ChangeRecord, 'seq'>): ChangeRecord {
    const bumped = this.statements.bumpSeq.get({ key: change.environment });
    if (!bumped) throw new UnknownEnvironmentError(change.environment);
    const { seq } = bumped;
    this.statements.insertChange.run({ ...change, seq });
    this.statements.pruneChanges.run({
      environment: change.environment,
      upTo: seq - this.changeLogRetention,
    });
    return { ...change, seq };
  }

  appendAudit(draft: AuditDraft): AuditEntry {
    const entry = chainEntry(draft, this.statements.auditHead.get());
    this.statements.insertAudit.run(toAuditRow(entry));
    return entry;
  }
}

/** Exposes the synchronous transaction through the async StoreTransaction interface. */
function asyncTransaction(tx: SqliteTransaction, delivery: DeliveryQueries): StoreTransaction {
  return {
    delivery,
    listEnvironments: async () => tx.listEnvironments(),
    getEnvironment: async (key) => tx.getEnvironment(key),
    insertEnvironment: async (environment) => tx.insertEnvironment(environment),
    getFlag: async (key) => tx.getFlag(key),
    listAllFlags: async () => tx.listAllFlags(),
    putFlag: async (document) => tx.putFlag(document),
    deleteFlag: async (key) => tx.deleteFlag(key),
    getSegment: async (key) => tx.getSegment(key),
    listAllSegments: async () => tx.listAllSegments(),
    putSegment: async (document) => tx.putSegment(document),
    deleteSegment: async (key) => tx.deleteSegment(key),
    getToken: async (id) => tx.getToken(id),
    listTokens: async () => tx.listTokens(),
    insertToken: async (token) => tx.insertToken(token),
    updateToken: async (id, change) => tx.updateToken(id, change),
    appendChange: async (change) => tx.appendChange(change),
    appendAudit: async (draft) => tx.appendAudit(draft),
  };
}

/** A write transaction waiting in (or running as part of) a group commit. */
interface GroupedWrite {
  work: (tx: StoreTransaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** When the write stops waiting for a write lock another process holds (set on its first try). */
  lockDeadline?: number;
}

export class SqliteRepository implements Repository {
  readonly dialect = 'sqlite' as const;
  private readonly db: Db;
  private readonly statements: Statements;
  private readonly queries: SqliteQueries;
  private readonly queue = new SerialQueue();
  /** Write transactions waiting for the next group commit (see commitGroup). */
  private pendingWrites: GroupedWrite[] = [];
  /** One connection: the same queries serve reads and transactions. */
  private readonly deliveryQueries: DeliveryQueries;
  readonly delivery: DeliveryStore;

  constructor(
    private readonly connection: Database.Database,
    private readonly migrations: Migration[],
    private readonly changeLogRetention: number,
  ) {
    this.db = drizzle(reusingStatements(connection), { schema });
    this.statements = prepareStatements(this.db);
    this.queries = new SqliteQueries(this.db, this.statements);
    const db = this.db;
    this.deliveryQueries = new DeliveryQueries({
      rows: async (query) => db.all(query),
      run: async (query) => db.run(query).changes,
    });
    this.delivery = {
      read: (work) => this.queue.run(() => work(this.deliveryQueries)),
      batch: (work) => this.transaction((tx) => work(tx.delivery)),
    };
  }

  async isReady(): Promise<boolean> {
    try {
      return await this.queue.run(() =>
        isCurrent(new SqliteMigrationTarget(this.connection), this.migrations),
      );
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.queue.run(() => {
      if (this.connection.open) this.connection.close();
    });
  }

  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const unit: GroupedWrite = { work, resolve: resolve as (value: unknown) => void, reject };
      this.pendingWrites.push(unit);
      // The first write of a group queues the group, once the I/O that already arrived has been
      // handled: requests that piled up while the last COMMIT blocked the thread join this group.
      if (this.pendingWrites.length === 1) setImmediate(() => void this.queue.run(() => this.commitGroup()));
    });
  }

  /**
   * Group commit: the writes that arrived since the group was queued run in one SQLite transaction,
   * each inside its own savepoint (a failing write is rolled back alone), and share one COMMIT — one
   * fsync for the group instead of one per write. Each write's promise settles only after that
   * COMMIT, so an acknowledged write is still on disk (synchronous = FULL). Without grouping, a
   * steady stream of small writes (SDK reports at thousands of instances) saturates the disk at one
   * fsync each, with the thread blocked in every one, and everything else, kills included, queues
   * behind it.
   */
  private async commitGroup(): Promise<void> {
    const group = this.pendingWrites.splice(0, this.pendingWrites.length);
    if (group.length === 0) return;
    const done: Array<{ unit: GroupedWrite; result: unknown }> = [];
    let busy: unknown;
    try {
      busy = this.beginImmediate();
    } catch (error) {
      for (const unit of group) unit.reject(error);
      return;
    }
    if (busy !== null) {
      this.waitForWriteLock(group, busy);
      return;
    }
    for (let index = 0; index < group.length; index++) {
      const unit = group[index]!;
      try {
        this.connection.exec('SAVEPOINT grouped_write');
        const tx = new SqliteTransaction(this.db, this.statements, this.changeLogRetention);
        const result = await unit.work(asyncTransaction(tx, this.deliveryQueries));
        this.connection.exec('RELEASE grouped_write');
        done.push({ unit, result });
      } catch (error) {
        unit.reject(error);
        if (this.undoSavepoint()) continue;
        // SQLite rolled the whole transaction back (e.g. disk full): the earlier writes are gone
        // too; the later ones have not run and start a new group.
        for (const { unit: lost } of done) lost.reject(error);
        this.requeue(group.slice(index + 1));
        return;
      }
    }
    try {
      this.connection.exec('COMMIT');
    } catch (error) {
      for (const { unit } of done) unit.reject(error);
      this.rollback();
      return;
    }
    for (const { unit, result } of done) unit.resolve(result);
  }

  /**
   * BEGIN IMMEDIATE without waiting: null once this connection holds the write lock, the SQLITE_BUSY
   * error while another process holds it. Any other error throws.
   */
  private beginImmediate(): unknown {
    this.connection.pragma('busy_timeout = 0');
    try {
      this.connection.exec('BEGIN IMMEDIATE');
      return null;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return error;
      throw error;
    } finally {
      this.connection.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /**
   * Puts a group that found the write lock taken back at the head of the queue and tries again on a
   * timer, so that reads and everything else go on meanwhile; writes that waited WRITE_LOCK_WAIT_MS
   * get the SQLITE_BUSY error (a 503).
   */
  private waitForWriteLock(group: GroupedWrite[], busy: unknown): void {
    const now = Date.now();
    const waiting: GroupedWrite[] = [];
    for (const unit of group) {
      unit.lockDeadline ??= now + WRITE_LOCK_WAIT_MS;
      if (now >= unit.lockDeadline) unit.reject(busy);
      else waiting.push(unit);
    }
    if (waiting.length === 0) return;
    this.pendingWrites.unshift(...waiting);
    setTimeout(() => void this.queue.run(() => this.commitGroup()), WRITE_LOCK_RETRY_MS);
  }

  /** Undoes the current write of a group; false when the transaction itself is gone (then rolled back). */
  private undoSavepoint(): boolean {
    try {
      if (this.connection.inTransaction) {
        this.connection.exec('ROLLBACK TO grouped_write');
        this.connection.exec('RELEASE grouped_write');
        return true;
      }
    } catch {
      this.rollback();
    }
    return false;
  }

  /** Ends a failed group (its writes are answered already). */
  private rollback(): void {
    try {
      if (this.connection.inTransaction) this.connection.exec('ROLLBACK');
    } catch {
      // Nothing to tell anyone here: the next BEGIN IMMEDIATE fails and rejects its writes.
    }
  }

  /** Puts writes back at the head of the next group. */
  private requeue(units: GroupedWrite[]): void {
    if (units.length === 0) return;
    const queued = this.pendingWrites.length > 0;
    this.pendingWrites.unshift(...units);
    if (!queued) void this.queue.run(() => this.commitGroup());
  }

  /** A consistent read across several statements (another process may be writing the file). */
  private snapshot<T>(read: () => T): Promise<T> {
    return this.queue.run(() => this.connection.transaction(read).deferred());
  }

  listEnvironments(): Promise<Environment[]> {
    return this.queue.run(() => this.queries.listEnvironments());
  }

  getEnvironment(key: string): Promise<Environment | undefined> {
    return this.queue.run(() => this.queries.getEnvironment(key));
  }

  getFlag(key: string): Promise<FlagDocument | undefined> {
    return this.queue.run(() => this.queries.getFlag(key));
  }

  async listFlags(query: FlagQuery): Promise<Page<FlagDocument>> {
    const { flags } = schema;
    const conditions: SQL[] = [];
    if (query.tag !== undefined) {
      conditions.push(
        sql`exists (select 1 from json_each(${flags.document}, '$.tags') where value = ${query.tag})`,
      );
    }
    if (query.search !== undefined) {
      const search = or(
        containsIgnoringCase(sql`${flags.key}`, query.search),
        containsIgnoringCase(
          sql`coalesce(json_extract(${flags.document}, '$.description'), '')`,
          query.search,
        ),
      );
      if (search) conditions.push(search);
    }
    if (query.cursor !== undefined) conditions.push(gt(flags.key, decodeKeyCursor(query.cursor)));
    return this.queue.run(() => {
      const rows = this.db
        .select({ document: flags.document })
        .from(flags)
        .where(and(...conditions))
        .orderBy(asc(flags.key))
        .limit(query.limit + 1)
        .all()
        .map((row) => row.document);
      return page(rows, query.limit, (last) => encodeKeyCursor(last.key));
    });
  }

  getSegment(key: string): Promise<SegmentDocument | undefined> {
    return this.queue.run(() => this.queries.getSegment(key));
  }

  async listSegments(query: SegmentQuery): Promise<Page<SegmentDocument>> {
    const { segments } = schema;
    const conditions: SQL[] = [];
    if (query.search !== undefined) {
      const search = or(
        containsIgnoringCase(sql`${segments.key}`, query.search),
        containsIgnoringCase(
          sql`coalesce(json_extract(${segments.document}, '$.description'), '')`,
          query.search,
        ),
      );
      if (search) conditions.push(search);
    }
    if (query.cursor !== undefined) conditions.push(gt(segments.key, decodeKeyCursor(query.cursor)));
    return this.queue.run(() => {
      const rows = this.db
        .select({ document: segments.document })
        .from(segments)
        .where(and(...conditions))
        .orderBy(asc(segments.key))
        .limit(query.limit + 1)
        .all()
        .map((row) => row.document);
      return page(rows, query.limit, (last) => encodeKeyCursor(last.key));
    });
  }

  getRuleset(environment: string): Promise<EnvironmentRuleset> {
    return this.snapshot(() => {
      const found = this.queries.getEnvironment(environment);
      if (!found) throw new UnknownEnvironmentError(environment);
      return buildRuleset(
        environment,
        found.seq,
        this.queries.listAllFlags(),
        this.queries.listAllSegments(),
      );
    });
  }

  changesSince(environment: string, afterSeq: number): Promise<ChangeRecord[] | null> {
    return this.snapshot(() => {
      const found = this.queries.getEnvironment(environment);
      if (!found) throw new UnknownEnvironmentError(environment);
      if (afterSeq > found.seq) return null;
      if (afterSeq === found.seq) return [];
      const rows: ChangeRecord[] = this.statements.changesAfter.all({ environment, afterSeq });
      return rows[0]?.seq === afterSeq + 1 ? rows : null;
    });
  }

  findTokenByHash(hash: string): Promise<StoredToken | undefined> {
    return this.queue.run(() => {
      const row = this.statements.findTokenByHash.get({ hash });
      return row && toStoredToken(row);
    });
  }

  listTokens(): Promise<TokenInfo[]> {
    return this.queue.run(() => this.queries.listTokens().map(toTokenInfo));
  }

  async listAudit(query: AuditQuery): Promise<Page<AuditEntry>> {
    const { audit } = schema;
    const conditions: Array<SQL | undefined> = [];
    if (query.flag !== undefined)
      conditions.push(eq(audit.targetKind, 'flag'), eq(audit.targetKey, query.flag));
    if (query.actor !== undefined)
      conditions.push(or(eq(audit.actorName, query.actor), eq(audit.actorId, query.actor)));
    if (query.action !== undefined) conditions.push(eq(audit.action, query.action));
    if (query.since !== undefined) conditions.push(gte(audit.at, query.since));
    if (query.until !== undefined) conditions.push(lte(audit.at, query.until));
    if (query.cursor !== undefined) conditions.push(lt(audit.id, decodeIdCursor(query.cursor)));
    return this.queue.run(() => {
      const rows = this.db
        .select()
        .from(audit)
        .where(and(...conditions))
        .orderBy(desc(audit.id))
        .limit(query.limit + 1)
        .all()
        .map(toAuditEntry);
      return page(rows, query.limit, (last) => String(last.id));
    });
  }

  readAuditChain(afterId: number, limit: number): Promise<AuditEntry[]> {
    return this.queue.run(() => this.statements.readAuditChain.all({ afterId, limit }).map(toAuditEntry));
  }

  recordMetrics(environment: string, batch: MetricsBatch): Promise<void> {
    const { evaluationMetrics } = schema;
    // A write like any other: it joins the group commit (thousands of SDKs flush metrics).
    return this.transaction(async () => {
      for (const { flag, variant, reason, count } of batch.counts) {
        this.db
          .insert(evaluationMetrics)
          .values({
            environment,
            flag,
            variant: variant ?? '',
            reason,
            windowStart: batch.windowStart,
            count,
          })
          .onConflictDoUpdate({
            target: [
              evaluationMetrics.environment,
              evaluationMetrics.flag,
              evaluationMetrics.variant,
              evaluationMetrics.reason,
              evaluationMetrics.windowStart,
            ],
            set: { count: sql`${evaluationMetrics.count} + excluded.count` },
          })
          .run();
      }
    });
  }
}
