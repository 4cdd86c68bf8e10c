/**
 * SQLite schema (drizzle). Migrations in server/drizzle/sqlite are generated from this file with
 * `npx drizzle-kit generate` (see server/drizzle.config.ts); each gets a hand-written `.down.sql`.
 */
import type { FlagDocument, SegmentDocument } from '@switchboard/core';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { DiffOperation } from '../audit/diff';
import type { ChangeRecord } from '../fanout/fanout';

export const environments = sqliteTable('environments', {
  key: text('key').primaryKey(),
  name: text('name').notNull(),
  /** The environment's change sequence: the seq of its latest change-log row (0 before any). */
  seq: integer('seq').notNull().default(0),
  createdAt: text('created_at').notNull(),
});

export const flags = sqliteTable('flags', {
  key: text('key').primaryKey(),
  document: text('document', { mode: 'json' }).$type<FlagDocument>().notNull(),
  version: integer('version').notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

export const segments = sqliteTable('segments', {
  key: text('key').primaryKey(),
  document: text('document', { mode: 'json' }).$type<SegmentDocument>().notNull(),
  version: integer('version').notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

export const tokens = sqliteTable('tokens', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  kind: text('kind').notNull(),
  environment: text('environment').references(() => environments.key),
  /** sha256 of the secret, hex; the secret itself is never stored. */
  hash: text('hash').notNull().unique(),
  createdAt: text('created_at').notNull(),
  revokedAt: text('revoked_at'),
});

export const audit = sqliteTable(
  'audit',
  {
    id: integer('id').primaryKey(),
    at: text('at').notNull(),
    actorId: text('actor_id').notNull(),
    actorName: text('actor_name').notNull(),
    action: text('action').notNull(),
    targetKind: text('target_kind').notNull(),
    targetKey: text('target_key').notNull(),
    environment: text('environment'),
    reason: text('reason'),
    before: text('before', { mode: 'json' }),
    after: text('after', { mode: 'json' }),
    diff: text('diff', { mode: 'json' }).$type<DiffOperation[]>().notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (table) => [
    index('audit_target').on(table.targetKind, table.targetKey),
    index('audit_action').on(table.action),
    index('audit_actor').on(table.actorName),
    index('audit_at').on(table.at),
  ],
);

/** Per-environment change log: what SDK streams replay on resume. Old rows are pruned. */
export const changes = sqliteTable(
  'changes',
  {
    environment: text('environment')
      .notNull()
      .references(() => environments.key),
    seq: integer('seq').notNull(),
    kind: text('kind').$type<ChangeRecord['kind']>().notNull(),
    key: text('key').notNull(),
    /** The SDK projection (FlagConfig or SegmentDocument); null for a delete. */
    value: text('value', { mode: 'json' }).$type<ChangeRecord['value']>(),
  },
  (table) => [primaryKey({ columns: [table.environment, table.seq] })],
);

export const evaluationMetrics = sqliteTable(
  'evaluation_metrics',
  {
    environment: text('environment')
      .notNull()
      .references(() => environments.key),
    flag: text('flag').notNull(),
    /** '' when the evaluation served no variant (variant keys are never empty). */
    variant: text('variant').notNull(),
    reason: text('reason').notNull(),
    windowStart: text('window_start').notNull(),
    count: integer('count').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.environment, table.flag, table.variant, table.reason, table.windowStart] }),
  ],
);
