/**
 * SQLite schema (drizzle). Migrations in server/drizzle/sqlite are generated from this file with
 * `npx drizzle-kit generate` (see server/drizzle.config.ts); each gets a hand-written `.down.sql`.
 */
import type { FlagDocument, SegmentDocument } from '@switchboard/core';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
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

// ---- Progressive delivery (delivery/, insight/, webhooks/). Documents are JSON text, read and
// written by store/delivery.ts with the same SQL on both dialects. No foreign keys: rows name flags
// and audit entries by key, and the code handles what disappears (the scheduler aborts the plan of
// a deleted flag).

/** One ramp plan per flag environment: its definition and where it stands. */
export const rampPlans = sqliteTable(
  'ramp_plans',
  {
    flag: text('flag').notNull(),
    environment: text('environment').notNull(),
    /** New for every plan put on the flag environment; exposures and outcomes belong to a run. */
    runId: text('run_id').notNull(),
    definition: text('definition').notNull(),
    status: text('status').notNull(),
    /** Index of the step last applied; -1 before the first. */
    currentStep: integer('current_step').notNull(),
    stepStartedAt: text('step_started_at'),
    /** When the scheduler acts next (start, or end of the current step's hold); null when it waits for nobody. */
    nextAt: text('next_at'),
    pausedRemainingMs: integer('paused_remaining_ms'),
    endedReason: text('ended_reason'),
    history: text('history').notNull(),
    /** Bumped by every change: writers update only the version they read (exactly-once advances). */
    version: integer('version').notNull(),
    createdAt: text('created_at').notNull(),
    createdBy: text('created_by').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.flag, table.environment] }),
    index('ramp_plans_next_at').on(table.nextAt),
  ],
);

/** Users (hashed) served each variant of a guarded plan's flag by a rollout. */
export const guardExposures = sqliteTable(
  'guard_exposures',
  {
    runId: text('run_id').notNull(),
    variant: text('variant').notNull(),
    unit: text('unit').notNull(),
    firstAt: text('first_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.runId, table.variant, table.unit] })],
);

/** Tracked events per user, attributed to the variant the SDK had served that user. */
export const guardOutcomes = sqliteTable(
  'guard_outcomes',
  {
    runId: text('run_id').notNull(),
    event: text('event').notNull(),
    variant: text('variant').notNull(),
    unit: text('unit').notNull(),
    count: integer('count').notNull(),
    valueCount: integer('value_count').notNull(),
    valueSum: real('value_sum').notNull(),
  },
  (table) => [primaryKey({ columns: [table.runId, table.event, table.variant, table.unit] })],
);

/** SDK instances as they last reported themselves (POST /sdk/v1/events). */
export const sdkInstances = sqliteTable(
  'sdk_instances',
  {
    environment: text('environment').notNull(),
    instanceId: text('instance_id').notNull(),
    tokenId: text('token_id').notNull(),
    sdk: text('sdk').notNull(),
    sdkVersion: text('sdk_version').notNull(),
    /** The ruleset version the instance said it serves. */
    rulesetVersion: integer('ruleset_version'),
    firstSeenAt: text('first_seen_at').notNull(),
    lastSeenAt: text('last_seen_at').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.environment, table.instanceId] }),
    index('sdk_instances_last_seen').on(table.lastSeenAt),
  ],
);

export const webhooks = sqliteTable('webhooks', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  /** HMAC key: kept in clear, since signing needs it. */
  secret: text('secret').notNull(),
  /** JSON array of audit actions or `prefix.*` patterns. */
  events: text('events').notNull(),
  description: text('description').notNull(),
  /** Entries up to this audit id happened before the webhook existed. */
  afterAuditId: integer('after_audit_id').notNull(),
  createdAt: text('created_at').notNull(),
  createdBy: text('created_by').notNull(),
});

export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    webhookId: text('webhook_id').notNull(),
    auditId: integer('audit_id').notNull(),
    event: text('event').notNull(),
    /** The exact JSON body that is signed and sent. */
    payload: text('payload').notNull(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull(),
    nextAttemptAt: text('next_attempt_at'),
    /** A replica sending this delivery holds it until then. */
    leaseUntil: text('lease_until'),
    /** JSON array of attempt records. */
    log: text('log').notNull(),
    createdAt: text('created_at').notNull(),
    finishedAt: text('finished_at'),
  },
  (table) => [
    uniqueIndex('webhook_deliveries_once').on(table.webhookId, table.auditId),
    index('webhook_deliveries_due').on(table.status, table.nextAttemptAt),
  ],
);

/** The audit id up to which webhook deliveries have been created (one row, id 1). */
export const webhookCursor = sqliteTable('webhook_cursor', {
  id: integer('id').primaryKey(),
  lastAuditId: integer('last_audit_id').notNull(),
});
