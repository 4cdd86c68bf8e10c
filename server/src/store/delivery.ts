/**
 * The progressive-delivery tables (ramp plans, guard data, SDK instances, webhooks) and the insight
 * reads of evaluation metrics: ONE implementation for both dialects. The SQL is the subset SQLite
 * and PostgreSQL share (`ON CONFLICT`, `CASE`, plain joins), parameters go through drizzle's `sql`
 * tag, documents are JSON text, and every number read is passed through Number() (PostgreSQL
 * answers bigint aggregates as strings). Each dialect supplies a SqlRunner; see sqlite.ts and
 * postgres.ts for how reads, batches and mutation transactions reach these queries.
 */
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import type { PlanDefinition, PlanEvent, PlanStatus, RampPlan } from '../delivery/types';
import { ACTIVE_PLAN_STATUSES } from '../delivery/types';
import type {
  EvaluationCount,
  FlagTimes,
  LastEvaluation,
  SdkInstance,
  ServedVariant,
} from '../insight/types';
import type { DeliveryAttempt, DeliveryStatus, StoredWebhook, WebhookDelivery } from '../webhooks/types';

export interface SqlRunner {
  rows(query: SQL): Promise<Array<Record<string, unknown>>>;
  /** Runs a statement; answers how many rows it changed. */
  run(query: SQL): Promise<number>;
}

/** A user served a variant by the rollout of a guarded plan (`unit` is a hash of the user id). */
export interface ExposureRow {
  runId: string;
  variant: string;
  unit: string;
  at: string;
}

/** Tracked events of one user under one variant, to be added to the stored totals. */
export interface OutcomeRow {
  runId: string;
  event: string;
  variant: string;
  unit: string;
  count: number;
  valueCount: number;
  valueSum: number;
}

/** What a guard compares, per variant (see delivery/guards.ts). */
export interface VariantCounts {
  /** Users served the variant. */
  exposed: number;
  /** Of those, users who tracked the event. */
  withEvent: number;
  /** Of those, users who tracked it with a value, and the sum and sum of squares of their means. */
  valueUsers: number;
  meanSum: number;
  meanSumOfSquares: number;
}

export interface DeliveryUpdate {
  status: DeliveryStatus;
  nextAttemptAt: string | null;
  attempt: DeliveryAttempt;
  finishedAt: string | null;
}

/** Rows per multi-row INSERT: well below both dialects' parameter limits. */
const ROWS_PER_STATEMENT = 500;

const num = (value: unknown): number => Number(value ?? 0);
const text = (value: unknown): string => String(value);
const textOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);
const numberOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const parse = <T>(value: unknown): T => JSON.parse(String(value)) as T;

function chunks<T>(items: T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += ROWS_PER_STATEMENT) {
    result.push(items.slice(start, start + ROWS_PER_STATEMENT));
  }
  return result;
}

/** Sorted by key so that two writers upserting overlapping rows lock them in the same order. */
const byKey =
  <T>(key: (row: T) => string) =>
  (a: T, b: T) => {
    const [left, right] = [key(a), key(b)];
    return left < right ? -1 : left > right ? 1 : 0;
  };

function toPlan(row: Record<string, unknown>): RampPlan {
  return {
    flag: text(row.flag),
    environment: text(row.environment),
    runId: text(row.run_id),
    definition: parse<PlanDefinition>(row.definition),
    status: text(row.status) as PlanStatus,
    currentStep: num(row.current_step),
    stepStartedAt: textOrNull(row.step_started_at),
    nextAt: textOrNull(row.next_at),
    pausedRemainingMs: numberOrNull(row.paused_remaining_ms),
    endedReason: textOrNull(row.ended_reason),
    history: parse<PlanEvent[]>(row.history),
    version: num(row.version),
    createdAt: text(row.created_at),
    createdBy: text(row.created_by),
    updatedAt: text(row.updated_at),
  };
}

function toWebhook(row: Record<string, unknown>): StoredWebhook {
  return {
    id: text(row.id),
    url: text(row.url),
    secret: text(row.secret),
    events: parse<string[]>(row.events),
    description: text(row.description),
    afterAuditId: num(row.after_audit_id),
    createdAt: text(row.created_at),
    createdBy: text(row.created_by),
  };
}

function toDelivery(row: Record<string, unknown>): WebhookDelivery {
  return {
    id: text(row.id),
    webhookId: text(row.webhook_id),
    auditId: num(row.audit_id),
    event: text(row.event),
    payload: text(row.payload),
    status: text(row.status) as DeliveryStatus,
    attempts: num(row.attempts),
    nextAttemptAt: textOrNull(row.next_attempt_at),
    leaseUntil: textOrNull(row.lease_until),
    log: parse<DeliveryAttempt[]>(row.log),
    createdAt: text(row.created_at),
    finishedAt: textOrNull(row.finished_at),
  };
}

function toInstance(row: Record<string, unknown>): SdkInstance {
  return {
    environment: text(row.environment),
    instanceId: text(row.instance_id),
    tokenId: text(row.token_id),
    sdk: text(row.sdk),
    sdkVersion: text(row.sdk_version),
    rulesetVersion: numberOrNull(row.ruleset_version),
    firstSeenAt: text(row.first_seen_at),
    lastSeenAt: text(row.last_seen_at),
  };
}

export class DeliveryQueries {
  constructor(private readonly db: SqlRunner) {}

  // ---- Ramp plans ----

  async getPlan(flag: string, environment: string): Promise<RampPlan | undefined> {
    const [row] = await this.db.rows(
      sql`SELECT * FROM ramp_plans WHERE flag = ${flag} AND environment = ${environment}`,
    );
    return row && toPlan(row);
  }

  /** Plans by flag and environment; only those still active (scheduled, running, paused) when asked. */
  async listPlans(
    filter: { flag?: string; environment?: string; active?: boolean } = {},
  ): Promise<RampPlan[]> {
    const conditions: SQL[] = [sql`1 = 1`];
    if (filter.flag !== undefined) conditions.push(sql`flag = ${filter.flag}`);
    if (filter.environment !== undefined) conditions.push(sql`environment = ${filter.environment}`);
    if (filter.active === true) {
      conditions.push(
        sql`status IN (${sql.join(
          ACTIVE_PLAN_STATUSES.map((status) => sql`${status}`),
          sql`, `,
        )})`,
      );
    }
    const rows = await this.db.rows(
      sql`SELECT * FROM ramp_plans WHERE ${sql.join(conditions, sql` AND `)} ORDER BY flag, environment`,
    );
    return rows.map(toPlan);
  }

  async insertPlan(plan: RampPlan): Promise<void> {
    await this.db.run(sql`
      INSERT INTO ramp_plans (flag, environment, run_id, definition, status, current_step, step_started_at,
        next_at, paused_remaining_ms, ended_reason, history, version, created_at, created_by, updated_at)
      VALUES (${plan.flag}, ${plan.environment}, ${plan.runId}, ${JSON.stringify(plan.definition)},
        ${plan.status}, ${plan.currentStep}, ${plan.stepStartedAt}, ${plan.nextAt}, ${plan.pausedRemainingMs},
        ${plan.endedReason}, ${JSON.stringify(plan.history)}, ${plan.version}, ${plan.createdAt},
        ${plan.createdBy}, ${plan.updatedAt})`);
  }

  /**
   * Replaces the stored plan if it is still at `expectedVersion`; answers false (and changes
   * nothing) when another writer got there first.
   */
  async updatePlan(plan: RampPlan, expectedVersion: number): Promise<boolean> {
    const changed = await this.db.run(sql`
      UPDATE ramp_plans SET run_id = ${plan.runId}, definition = ${JSON.stringify(plan.definition)},
        status = ${plan.status}, current_step = ${plan.currentStep}, step_started_at = ${plan.stepStartedAt},
        next_at = ${plan.nextAt}, paused_remaining_ms = ${plan.pausedRemainingMs},
        ended_reason = ${plan.endedReason}, history = ${JSON.stringify(plan.history)},
        version = ${plan.version}, created_at = ${plan.createdAt}, created_by = ${plan.createdBy},
        updated_at = ${plan.updatedAt}
      WHERE flag = ${plan.flag} AND environment = ${plan.environment} AND version = ${expectedVersion}`);
    return changed === 1;
  }

  /** Forgets a finished run's exposures and outcomes (a new plan starts counting afresh). */
  async deleteRun(runId: string): Promise<void> {
    await this.db.run(sql`DELETE FROM guard_exposures WHERE run_id = ${runId}`);
    await this.db.run(sql`DELETE FROM guard_outcomes WHERE run_id = ${runId}`);
  }

  // ---- Guard data ----

  async recordExposures(rows: ExposureRow[]): Promise<void> {
    const sorted = [...rows].sort(byKey((row) => `${row.runId}\u0000${row.variant}\u0000${row.unit}`));
    for (const part of chunks(sorted)) {
      const values = part.map((row) => sql`(${row.runId}, ${row.variant}, ${row.unit}, ${row.at})`);
      await this.db.run(sql`
        INSERT INTO guard_exposures (run_id, variant, unit, first_at) VALUES ${sql.join(values, sql`, `)}
        ON CONFLICT (run_id, variant, unit) DO NOTHING`);
    }
  }

  /** Adds to the stored totals; rows must be unique per key (see delivery/events.ts). */
  async recordOutcomes(rows: OutcomeRow[]): Promise<void> {
    const sorted = [...rows].sort(
      byKey((row) => `${row.runId}\u0000${row.event}\u0000${row.variant}\u0000${row.unit}`),
    );
    for (const part of chunks(sorted)) {
      const values = part.map(
        (row) =>
          sql`(${row.runId}, ${row.event}, ${row.variant}, ${row.unit}, ${row.count}, ${row.valueCount}, ${row.valueSum})`,
      );
      await this.db.run(sql`
        INSERT INTO guard_outcomes (run_id, event, variant, unit, count, value_count, value_sum)
        VALUES ${sql.join(values, sql`, `)}
        ON CONFLICT (run_id, event, variant, unit) DO UPDATE SET
          count = guard_outcomes.count + excluded.count,
          value_count = guard_outcomes.value_count + excluded.value_count,
          value_sum = guard_outcomes.value_sum + excluded.value_sum`);
    }
  }

  /**
   * Per variant: users served it, and of those the ones who tracked `event` under it. A user's
   * event counts only with an exposure to the same variant, so both sides of a rate come from the
   * same users (a targeted user, never exposed by the rollout, counts in neither).
   */
  async guardCounts(runId: string, event: string): Promise<Map<string, VariantCounts>> {
    const counts = new Map<string, VariantCounts>();
    const entry = (variant: string) => {
      let found = counts.get(variant);
      if (!found) {
        found = { exposed: 0, withEvent: 0, valueUsers: 0, meanSum: 0, meanSumOfSquares: 0 };
        counts.set(variant, found);
      }
      return found;
    };
    const exposed = await this.db.rows(sql`
      SELECT variant, count(*) AS users FROM guard_exposures WHERE run_id = ${runId} GROUP BY variant`);
    for (const row of exposed) entry(text(row.variant)).exposed = num(row.users);
    const outcomes = await this.db.rows(sql`
      SELECT o.variant AS variant, count(*) AS users,
        sum(CASE WHEN o.value_count > 0 THEN 1 ELSE 0 END) AS value_users,
        sum(CASE WHEN o.value_count > 0 THEN o.value_sum / o.value_count ELSE 0 END) AS mean_sum,
        sum(CASE WHEN o.value_count > 0 THEN (o.value_sum / o.value_count) * (o.value_sum / o.value_count)
          ELSE 0 END) AS mean_squares
      FROM guard_outcomes o
      JOIN guard_exposures e ON e.run_id = o.run_id AND e.variant = o.variant AND e.unit = o.unit
      WHERE o.run_id = ${runId} AND o.event = ${event}
      GROUP BY o.variant`);
    for (const row of outcomes) {
      const counted = entry(text(row.variant));
      counted.withEvent = num(row.users);
      counted.valueUsers = num(row.value_users);
      counted.meanSum = num(row.mean_sum);
      counted.meanSumOfSquares = num(row.mean_squares);
    }
    return counts;
  }

  // ---- SDK instances ----

  async upsertInstance(instance: SdkInstance): Promise<void> {
    await this.db.run(sql`
      INSERT INTO sdk_instances (environment, instance_id, token_id, sdk, sdk_version, ruleset_version,
        first_seen_at, last_seen_at)
      VALUES (${instance.environment}, ${instance.instanceId}, ${instance.tokenId}, ${instance.sdk},
        ${instance.sdkVersion}, ${instance.rulesetVersion}, ${instance.firstSeenAt}, ${instance.lastSeenAt})
      ON CONFLICT (environment, instance_id) DO UPDATE SET token_id = excluded.token_id, sdk = excluded.sdk,
        sdk_version = excluded.sdk_version, ruleset_version = excluded.ruleset_version,
        last_seen_at = excluded.last_seen_at`);
  }

  async pruneInstances(seenBefore: string): Promise<void> {
    await this.db.run(sql`DELETE FROM sdk_instances WHERE last_seen_at < ${seenBefore}`);
  }

  async listInstances(environment: string, seenSince: string): Promise<SdkInstance[]> {
    const rows = await this.db.rows(sql`
      SELECT * FROM sdk_instances WHERE environment = ${environment} AND last_seen_at >= ${seenSince}
      ORDER BY last_seen_at DESC, instance_id`);
    return rows.map(toInstance);
  }

  // ---- Insight: evaluation metrics and flag times ----

  async evaluationCounts(environment: string, flag: string, since: string): Promise<EvaluationCount[]> {
    const rows = await this.db.rows(sql`
      SELECT window_start, variant, sum(count) AS total FROM evaluation_metrics
      WHERE environment = ${environment} AND flag = ${flag} AND window_start >= ${since}
      GROUP BY window_start, variant ORDER BY window_start, variant`);
    return rows.map((row) => ({
      windowStart: text(row.window_start),
      variant: text(row.variant),
      count: num(row.total),
    }));
  }

  /** The newest window with evaluations, per flag and environment (of one flag, when given). */
  async lastEvaluations(flag?: string): Promise<LastEvaluation[]> {
    const where = flag === undefined ? sql`` : sql`WHERE flag = ${flag}`;
    const rows = await this.db.rows(sql`
      SELECT flag, environment, max(window_start) AS last FROM evaluation_metrics ${where}
      GROUP BY flag, environment`);
    return rows.map((row) => ({
      flag: text(row.flag),
      environment: text(row.environment),
      windowStart: text(row.last),
    }));
  }

  async servedVariants(since: string): Promise<ServedVariant[]> {
    const rows = await this.db.rows(sql`
      SELECT flag, environment, variant, sum(count) AS total FROM evaluation_metrics
      WHERE window_start >= ${since} GROUP BY flag, environment, variant`);
    return rows.map((row) => ({
      flag: text(row.flag),
      environment: text(row.environment),
      variant: text(row.variant),
      count: num(row.total),
    }));
  }

  async flagTimes(): Promise<FlagTimes[]> {
    const rows = await this.db.rows(sql`SELECT key, created_at, updated_at FROM flags`);
    return rows.map((row) => ({
      key: text(row.key),
      createdAt: text(row.created_at),
      updatedAt: text(row.updated_at),
    }));
  }

  // ---- Webhooks ----

  async insertWebhook(webhook: StoredWebhook): Promise<void> {
    await this.db.run(sql`
      INSERT INTO webhooks (id, url, secret, events, description, after_audit_id, created_at, created_by)
      VALUES (${webhook.id}, ${webhook.url}, ${webhook.secret}, ${JSON.stringify(webhook.events)},
        ${webhook.description}, ${webhook.afterAuditId}, ${webhook.createdAt}, ${webhook.createdBy})`);
  }

  /** Deletes the webhook and its delivery log. */
  async deleteWebhook(id: string): Promise<void> {
    await this.db.run(sql`DELETE FROM webhook_deliveries WHERE webhook_id = ${id}`);
    await this.db.run(sql`DELETE FROM webhooks WHERE id = ${id}`);
  }

  async getWebhook(id: string): Promise<StoredWebhook | undefined> {
    const [row] = await this.db.rows(sql`SELECT * FROM webhooks WHERE id = ${id}`);
    return row && toWebhook(row);
  }

  async listWebhooks(): Promise<StoredWebhook[]> {
    return (await this.db.rows(sql`SELECT * FROM webhooks ORDER BY created_at, id`)).map(toWebhook);
  }

  /** The audit id up to which deliveries exist; null before the dispatcher first ran. */
  async webhookCursor(): Promise<number | null> {
    const [row] = await this.db.rows(sql`SELECT last_audit_id FROM webhook_cursor WHERE id = 1`);
    return row ? num(row.last_audit_id) : null;
  }

  /** Creates the cursor at `auditId` unless another replica already did. */
  async initWebhookCursor(auditId: number): Promise<void> {
    await this.db.run(sql`
      INSERT INTO webhook_cursor (id, last_audit_id) VALUES (1, ${auditId}) ON CONFLICT (id) DO NOTHING`);
  }

  /** Moves the cursor from `from` to `to`; false when another replica moved it first. */
  async advanceWebhookCursor(from: number, to: number): Promise<boolean> {
    const changed = await this.db.run(
      sql`UPDATE webhook_cursor SET last_audit_id = ${to} WHERE id = 1 AND last_audit_id = ${from}`,
    );
    return changed === 1;
  }

  async insertDeliveries(deliveries: WebhookDelivery[]): Promise<void> {
    for (const part of chunks(deliveries)) {
      const values = part.map(
        (
          d,
        ) => sql`(${d.id}, ${d.webhookId}, ${d.auditId}, ${d.event}, ${d.payload}, ${d.status}, ${d.attempts},
          ${d.nextAttemptAt}, ${d.leaseUntil}, ${JSON.stringify(d.log)}, ${d.createdAt}, ${d.finishedAt})`,
      );
      await this.db.run(sql`
        INSERT INTO webhook_deliveries (id, webhook_id, audit_id, event, payload, status, attempts,
          next_attempt_at, lease_until, log, created_at, finished_at)
        VALUES ${sql.join(values, sql`, `)}
        ON CONFLICT (webhook_id, audit_id) DO NOTHING`);
    }
  }

  /** Pending deliveries due by `now` and not held by a sender, oldest first. */
  async dueDeliveries(now: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.db.rows(sql`
      SELECT * FROM webhook_deliveries
      WHERE status = 'pending' AND next_attempt_at <= ${now} AND (lease_until IS NULL OR lease_until < ${now})
      ORDER BY next_attempt_at, audit_id LIMIT ${limit}`);
    return rows.map(toDelivery);
  }

  /** Takes the delivery for one attempt until `leaseUntil`; false when another sender holds it. */
  async claimDelivery(id: string, now: string, leaseUntil: string): Promise<boolean> {
    const changed = await this.db.run(sql`
      UPDATE webhook_deliveries SET lease_until = ${leaseUntil}, attempts = attempts + 1
      WHERE id = ${id} AND status = 'pending' AND (lease_until IS NULL OR lease_until < ${now})`);
    return changed === 1;
  }

  async finishAttempt(delivery: WebhookDelivery, update: DeliveryUpdate): Promise<void> {
    const log = [...delivery.log, update.attempt];
    await this.db.run(sql`
      UPDATE webhook_deliveries SET status = ${update.status}, next_attempt_at = ${update.nextAttemptAt},
        lease_until = NULL, log = ${JSON.stringify(log)}, finished_at = ${update.finishedAt}
      WHERE id = ${delivery.id}`);
  }

  async listDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.db.rows(sql`
      SELECT * FROM webhook_deliveries WHERE webhook_id = ${webhookId}
      ORDER BY audit_id DESC LIMIT ${limit}`);
    return rows.map(toDelivery);
  }

  async pruneDeliveries(finishedBefore: string): Promise<void> {
    await this.db.run(sql`
      DELETE FROM webhook_deliveries WHERE status <> 'pending' AND finished_at < ${finishedBefore}`);
  }
}

/** How the server reaches the delivery tables outside a mutation. */
export interface DeliveryStore {
  /** Reads (on SQLite, queued behind a write in progress, which they must not see). */
  read<T>(work: (queries: DeliveryQueries) => Promise<T>): Promise<T>;
  /**
   * Atomic work on these tables alone: all of it commits or none. On PostgreSQL it does not take
   * the mutations' write lock (SDK events arrive all the time); conditional updates keep it exact.
   */
  batch<T>(work: (queries: DeliveryQueries) => Promise<T>): Promise<T>;
}
