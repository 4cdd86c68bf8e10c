/**
 * The PostgreSQL store (drizzle + node-postgres), for several server replicas sharing one database.
 *
 * Atomicity across replicas: every write transaction first takes a transaction-scoped advisory
 * lock (`pg_advisory_xact_lock`) keyed by the schema, so writers run one at a time, exactly like
 * SQLite's `BEGIN IMMEDIATE`. Whatever a transaction reads after taking the lock (READ COMMITTED:
 * each statement sees everything committed before it) is current, so version checks, the audit
 * chain's next link and each environment's next change sequence are decided by one writer at a
 * time and commit in that order; sequence numbers become visible without gaps. Every mutation
 * appends to the one audit chain, so a finer lock would not let writers overlap anyway. The audit
 * id and (environment, seq) primary keys back this up: a fork or a reused seq could not commit.
 *
 * Reads that span several statements (a ruleset, a change-log read) run in one REPEATABLE READ
 * snapshot. The schema is the connection's `search_path` (default `public`), so several
 * installations, or test runs, can share one database in separate schemas.
 */
import type { EnvironmentRuleset, FlagDocument, MetricsBatch, SegmentDocument } from '@switchboard/core';
import { buildRuleset } from '@switchboard/core';
import { and, desc, eq, gte, lt, lte, or, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { PgColumn, PgDatabase } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { AuditDraft, AuditEntry } from '../audit/chain';
import { chainEntry } from '../audit/chain';
import type { ChangeRecord } from '../fanout/fanout';
import { POSTGRES_MIGRATIONS_DIR } from '../paths';
import type { DeliveryStore, SqlRunner } from './delivery';
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
import * as schema from './schema-pg';
import { SerialQueue } from './serial-queue';

type Db = PgDatabase<NodePgQueryResultHKT, typeof schema>;

export interface PostgresStoreOptions {
  /** `postgres://…`; choose the schema with `?options=-c%20search_path%3D<schema>`. */
  url: string;
  /** Change-log rows kept per environment. */
  changeLogRetention: number;
  /** Connections this replica opens at most (default 10). */
  maxConnections?: number;
  migrationsDir?: string;
}

const MIGRATIONS_TABLE = '__switchboard_migrations';

/**
 * Advisory lock keys: (purpose, schema). One for writers, one for migrating, both scoped to the
 * schema so that installations sharing a database do not wait for each other.
 */
const WRITE_LOCK = "hashtext('switchboard.write'), hashtext(current_schema())";
const MIGRATION_LOCK = "hashtext('switchboard.migrate'), hashtext(current_schema())";

/** Rows of a multi-row metrics upsert per statement (PostgreSQL allows 65,535 parameters). */
const METRICS_ROWS_PER_STATEMENT = 1000;

/**
 * drizzle-kit writes `"public".` into foreign key references (drizzle-orm issue #2486), which would
 * tie the migrations to the public schema; without it they apply to the search_path schema.
 */
const unpinSchema = (statement: string) => statement.replaceAll('"public".', '');

export class PostgresMigrationTarget implements MigrationTarget {
  constructor(private readonly pool: pg.Pool) {}

  async applied(): Promise<string[]> {
    await this.pool.query(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
         id bigserial PRIMARY KEY, tag text NOT NULL UNIQUE, applied_at text NOT NULL)`,
    );
    const { rows } = await this.pool.query<{ tag: string }>(
      `SELECT tag FROM ${MIGRATIONS_TABLE} ORDER BY id`,
    );
    return rows.map((row) => row.tag);
  }

  /** Statements and bookkeeping in one transaction (PostgreSQL DDL is transactional). */
  async run(migration: Migration, direction: 'up' | 'down'): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const statement of migration[direction]) await client.query(unpinSchema(statement));
      if (direction === 'up') {
        await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (tag, applied_at) VALUES ($1, $2)`, [
          migration.tag,
          new Date().toISOString(),
        ]);
      } else {
        await client.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE tag = $1`, [migration.tag]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }
}

/**
 * Runs `work` while holding the schema's migration lock, so replicas starting together migrate
 * one after the other (the later ones find nothing to do).
 */
export async function withMigrationLock<T>(pool: pg.Pool, work: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
    if (rows[0]?.schema == null) {
      throw new Error(
        "DATABASE_URL's search_path names no existing schema: create the schema first (CREATE SCHEMA …)",
      );
    }
    await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      return await work();
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  } finally {
    client.release();
  }
}

export function openPostgresPool(url: string, maxConnections = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: maxConnections, connectionTimeoutMillis: 5_000 });
  // An idle connection failed (e.g. the database restarted): the pool drops it and the next query
  // opens a new one. Without a listener the error would end the process.
  pool.on('error', () => undefined);
  return pool;
}

/** Opens the store and applies pending migrations. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresRepository> {
  const pool = openPostgresPool(options.url, options.maxConnections);
  try {
    const migrations = readMigrations(options.migrationsDir ?? POSTGRES_MIGRATIONS_DIR);
    const target = new PostgresMigrationTarget(pool);
    await withMigrationLock(pool, () => migrateUp(target, migrations));
    return new PostgresRepository(pool, migrations, options.changeLogRetention);
  } catch (error) {
    await pool.end();
    throw error;
  }
}

/** Runs the delivery tables' SQL (store/delivery.ts) on the pool or in a transaction. */
const sqlRunner = (db: Db): SqlRunner => ({
  rows: async (query) => (await db.execute(query)).rows,
  run: async (query) => (await db.execute(query)).rowCount ?? 0,
});

/** Keys in byte order, like SQLite, whatever collation the database defaults to. */
const byteOrder = (column: PgColumn) => sql`${column} collate "C"`;

/**
 * Case-insensitive substring test that needs no LIKE escaping. PostgreSQL's lower() folds beyond
 * ASCII, SQLite's does not: a search for "É" finds "é" only here.
 */
const containsIgnoringCase = (text: SQL, needle: string) => sql`strpos(lower(${text}), lower(${needle})) > 0`;

/** Queries shared by plain reads and transactions. */
class PostgresQueries {
  constructor(protected readonly db: Db) {}

  async listEnvironments(): Promise<Environment[]> {
    // Creation order: insertEnvironment keeps created_at strictly increasing.
    return this.db.select().from(schema.environments).orderBy(schema.environments.createdAt);
  }

  async getEnvironment(key: string): Promise<Environment | undefined> {
    const [row] = await this.db.select().from(schema.environments).where(eq(schema.environments.key, key));
    return row;
  }

  async getFlag(key: string): Promise<FlagDocument | undefined> {
    const [row] = await this.db
      .select({ document: schema.flags.document })
      .from(schema.flags)
      .where(eq(schema.flags.key, key));
    return row?.document;
  }

  async listAllFlags(): Promise<FlagDocument[]> {
    const rows = await this.db
      .select({ document: schema.flags.document })
      .from(schema.flags)
      .orderBy(byteOrder(schema.flags.key));
    return rows.map((row) => row.document);
  }

  async getSegment(key: string): Promise<SegmentDocument | undefined> {
    const [row] = await this.db
      .select({ document: schema.segments.document })
      .from(schema.segments)
      .where(eq(schema.segments.key, key));
    return row?.document;
  }

  async listAllSegments(): Promise<SegmentDocument[]> {
    const rows = await this.db
      .select({ document: schema.segments.document })
      .from(schema.segments)
      .orderBy(byteOrder(schema.segments.key));
    return rows.map((row) => row.document);
  }

  async getToken(id: string): Promise<StoredToken | undefined> {
    const [row] = await this.db.select().from(schema.tokens).where(eq(schema.tokens.id, id));
    return row && toStoredToken(row);
  }

  async listTokens(): Promise<StoredToken[]> {
    const rows = await this.db
      .select()
      .from(schema.tokens)
      .orderBy(schema.tokens.createdAt, byteOrder(schema.tokens.id));
    return rows.map(toStoredToken);
  }
}

class PostgresTransaction extends PostgresQueries implements StoreTransaction {
  readonly delivery: DeliveryQueries;

  constructor(
    db: Db,
    private readonly changeLogRetention: number,
  ) {
    super(db);
    this.delivery = new DeliveryQueries(sqlRunner(db));
  }

  async insertEnvironment({ key, name }: { key: string; name: string }): Promise<Environment> {
    // PostgreSQL has no insertion order to sort by: a creation time after every other one gives it.
    const [latest] = await this.db
      .select({ createdAt: schema.environments.createdAt })
      .from(schema.environments)
      .orderBy(desc(schema.environments.createdAt))
      .limit(1);
    const now = Date.now();
    const after = latest ? Date.parse(latest.createdAt) + 1 : now;
    const environment: Environment = {
      key,
      name,
      seq: 0,
      createdAt: new Date(Math.max(now, after)).toISOString(),
    };
    await this.db.insert(schema.environments).values(environment);
    return environment;
  }

  async putFlag(document: FlagDocument): Promise<void> {
    const now = new Date().toISOString();
    await this.db
      .insert(schema.flags)
      .values({ key: document.key, document, version: document.version, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: schema.flags.key,
        set: { document, version: document.version, updatedAt: now },
      });
  }

  async deleteFlag(key: string): Promise<void> {
    await this.db.delete(schema.flags).where(eq(schema.flags.key, key));
  }

  async putSegment(document: SegmentDocument): Promise<void> {
    const now = new Date().toISOString();
    await this.db
      .insert(schema.segments)
      .values({ key: document.key, document, version: document.version, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: schema.segments.key,
        set: { document, version: document.version, updatedAt: now },
      });
  }

  async deleteSegment(key: string): Promise<void> {
    await this.db.delete(schema.segments).where(eq(schema.segments.key, key));
  }

  async insertToken(token: StoredToken): Promise<void> {
    await this.db.insert(schema.tokens).values(token);
  }

  async updateToken(id: string, change: { hash?: string; revokedAt?: string | null }): Promise<void> {
    await this.db.update(schema.tokens).set(change).where(eq(schema.tokens.id, id));
  }

  async appendChange(change: Omit<ChangeRecord, 'seq'>): Promise<ChangeRecord> {
    const [bumped] = await this.db
      .update(schema.environments)
      .set({ seq: sql`${schema.environments.seq} + 1` })
      .where(eq(schema.environments.key, change.environment))
      .returning({ seq: schema.environments.seq });
    if (!bumped) throw new UnknownEnvironmentError(change.environment);
    const { seq } = bumped;
    await this.db.insert(schema.changes).values({ ...change, seq });
    await this.db
      .delete(schema.changes)
      .where(
        and(
          eq(schema.changes.environment, change.environment),
          lte(schema.changes.seq, seq - this.changeLogRetention),
        ),
      );
    return { ...change, seq };
  }

  async appendAudit(draft: AuditDraft): Promise<AuditEntry> {
    const [previous] = await this.db
      .select({ id: schema.audit.id, hash: schema.audit.hash })
      .from(schema.audit)
      .orderBy(desc(schema.audit.id))
      .limit(1);
    const entry = chainEntry(draft, previous);
    await this.db.insert(schema.audit).values(toAuditRow(entry));
    return entry;
  }
}

export class PostgresRepository implements Repository {
  readonly dialect = 'postgres' as const;
  private readonly db: Db;
  private readonly queries: PostgresQueries;
  private readonly writers = new SerialQueue();
  readonly delivery: DeliveryStore;

  constructor(
    private readonly pool: pg.Pool,
    private readonly migrations: Migration[],
    private readonly changeLogRetention: number,
  ) {
    this.db = drizzle(pool, { schema });
    this.queries = new PostgresQueries(this.db);
    const reads = new DeliveryQueries(sqlRunner(this.db));
    this.delivery = {
      read: (work) => work(reads),
      batch: (work) => this.db.transaction((tx) => work(new DeliveryQueries(sqlRunner(tx)))),
    };
  }

  async isReady(): Promise<boolean> {
    try {
      return await isCurrent(new PostgresMigrationTarget(this.pool), this.migrations);
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    // Writers take turns here before taking a connection: only one per replica waits for the
    // advisory lock, the other connections stay free for reads.
    return this.writers.run(() =>
      this.db.transaction(async (tx) => {
        await tx.execute(sql.raw(`select pg_advisory_xact_lock(${WRITE_LOCK})`));
        return work(new PostgresTransaction(tx, this.changeLogRetention));
      }),
    );
  }

  /** Several reads from one snapshot (other replicas may be committing in between). */
  private snapshot<T>(read: (queries: PostgresQueries, db: Db) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => read(new PostgresQueries(tx), tx), {
      isolationLevel: 'repeatable read',
      accessMode: 'read only',
    });
  }

  listEnvironments(): Promise<Environment[]> {
    return this.queries.listEnvironments();
  }

  getEnvironment(key: string): Promise<Environment | undefined> {
    return this.queries.getEnvironment(key);
  }

  getFlag(key: string): Promise<FlagDocument | undefined> {
    return this.queries.getFlag(key);
  }

  async listFlags(query: FlagQuery): Promise<Page<FlagDocument>> {
    const { flags } = schema;
    const conditions: SQL[] = [];
    if (query.tag !== undefined) {
      conditions.push(
        sql`exists (select 1 from json_array_elements_text(${flags.document} -> 'tags') as tag(value) where tag.value = ${query.tag})`,
      );
    }
    if (query.search !== undefined) {
      conditions.push(
        sql`(${containsIgnoringCase(sql`${flags.key}`, query.search)} or ${containsIgnoringCase(
          sql`coalesce(${flags.document} ->> 'description', '')`,
          query.search,
        )})`,
      );
    }
    if (query.cursor !== undefined)
      conditions.push(sql`${byteOrder(flags.key)} > ${decodeKeyCursor(query.cursor)}`);
    const rows = await this.db
      .select({ document: flags.document })
      .from(flags)
      .where(and(...conditions))
      .orderBy(byteOrder(flags.key))
      .limit(query.limit + 1);
    return page(
      rows.map((row) => row.document),
      query.limit,
      (last) => encodeKeyCursor(last.key),
    );
  }

  getSegment(key: string): Promise<SegmentDocument | undefined> {
    return this.queries.getSegment(key);
  }

  async listSegments(query: SegmentQuery): Promise<Page<SegmentDocument>> {
    const { segments } = schema;
    const conditions: SQL[] = [];
    if (query.search !== undefined) {
      conditions.push(
        sql`(${containsIgnoringCase(sql`${segments.key}`, query.search)} or ${containsIgnoringCase(
          sql`coalesce(${segments.document} ->> 'description', '')`,
          query.search,
        )})`,
      );
    }
    if (query.cursor !== undefined)
      conditions.push(sql`${byteOrder(segments.key)} > ${decodeKeyCursor(query.cursor)}`);
    const rows = await this.db
      .select({ document: segments.document })
      .from(segments)
      .where(and(...conditions))
      .orderBy(byteOrder(segments.key))
      .limit(query.limit + 1);
    return page(
      rows.map((row) => row.document),
      query.limit,
      (last) => encodeKeyCursor(last.key),
    );
  }

  getRuleset(environment: string): Promise<EnvironmentRuleset> {
    return this.snapshot(async (queries) => {
      const found = await queries.getEnvironment(environment);
      if (!found) throw new UnknownEnvironmentError(environment);
      const [flags, segments] = [await queries.listAllFlags(), await queries.listAllSegments()];
      return buildRuleset(environment, found.seq, flags, segments);
    });
  }

  changesSince(environment: string, afterSeq: number): Promise<ChangeRecord[] | null> {
    return this.snapshot(async (queries, db) => {
      const found = await queries.getEnvironment(environment);
      if (!found) throw new UnknownEnvironmentError(environment);
      if (afterSeq > found.seq) return null;
      if (afterSeq === found.seq) return [];
      const rows: ChangeRecord[] = await db
        .select()
        .from(schema.changes)
        .where(and(eq(schema.changes.environment, environment), sql`${schema.changes.seq} > ${afterSeq}`))
        .orderBy(schema.changes.seq);
      return rows[0]?.seq === afterSeq + 1 ? rows : null;
    });
  }

  async findTokenByHash(hash: string): Promise<StoredToken | undefined> {
    const [row] = await this.db.select().from(schema.tokens).where(eq(schema.tokens.hash, hash));
    return row && toStoredToken(row);
  }

  async listTokens(): Promise<TokenInfo[]> {
    return (await this.queries.listTokens()).map(toTokenInfo);
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
    const rows = await this.db
      .select()
      .from(audit)
      .where(and(...conditions))
      .orderBy(desc(audit.id))
      .limit(query.limit + 1);
    return page(rows.map(toAuditEntry), query.limit, (last) => String(last.id));
  }

  async readAuditChain(afterId: number, limit: number): Promise<AuditEntry[]> {
    const rows = await this.db
      .select()
      .from(schema.audit)
      .where(sql`${schema.audit.id} > ${afterId}`)
      .orderBy(schema.audit.id)
      .limit(limit);
    return rows.map(toAuditEntry);
  }

  async recordMetrics(environment: string, batch: MetricsBatch): Promise<void> {
    const { evaluationMetrics } = schema;
    // One row per key (a multi-row upsert may touch a row only once), in key order (two replicas
    // upserting overlapping batches lock rows in the same order, so they cannot deadlock).
    const totals = new Map<string, { flag: string; variant: string; reason: string; count: number }>();
    for (const { flag, variant, reason, count } of batch.counts) {
      const row = { flag, variant: variant ?? '', reason, count };
      const id = JSON.stringify([row.flag, row.variant, row.reason]);
      const total = totals.get(id);
      if (total) total.count += count;
      else totals.set(id, row);
    }
    const rows = [...totals.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => ({ ...row, environment, windowStart: batch.windowStart }));
    if (rows.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (let start = 0; start < rows.length; start += METRICS_ROWS_PER_STATEMENT) {
        await tx
          .insert(evaluationMetrics)
          .values(rows.slice(start, start + METRICS_ROWS_PER_STATEMENT))
          .onConflictDoUpdate({
            target: [
              evaluationMetrics.environment,
              evaluationMetrics.flag,
              evaluationMetrics.variant,
              evaluationMetrics.reason,
              evaluationMetrics.windowStart,
            ],
            set: { count: sql`${evaluationMetrics.count} + excluded.count` },
          });
      }
    });
  }
}
