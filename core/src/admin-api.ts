/**
 * Shapes the admin API sends and receives beyond flag and segment documents: tokens, environments,
 * audit entries and ramp plans. The server produces them; the CLI and the admin UI read them. Types
 * only (and one constant), so importing them costs a browser bundle nothing.
 */
import type { Weight } from './types';

/**
 * Every token kind. admin: the whole admin API; editor: read, write flags and segments, kill; responder:
 * read and kill; viewer: read only; server, client: SDK keys of one environment (server SDKs: the
 * ruleset; client SDKs: evaluation for a context).
 */
export const TOKEN_KINDS = ['admin', 'editor', 'responder', 'viewer', 'server', 'client'] as const;
/** What a token may do; see TOKEN_KINDS. */
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** A token as listed: never the secret, never its hash. */
export interface TokenInfo {
  id: string;
  /** Human-readable name, shown as the actor of the changes made with the token. */
  name: string;
  kind: TokenKind;
  /** The one environment of a server or client SDK key; null for the other kinds. */
  environment: string | null;
  /** ISO-8601. */
  createdAt: string;
  /** ISO-8601 time of revocation; null while the token is valid. */
  revokedAt: string | null;
}

/** The answer to creating a token: the only time its secret is shown. */
export interface CreatedToken extends TokenInfo {
  /** The secret (`sb_<kind>_…`) to send as `Authorization: Bearer <token>`. Store it now. */
  token: string;
}

/** An environment (production, staging, …): each flag has one configuration per environment. */
export interface Environment {
  /** Identifier used in URLs and flag documents. */
  key: string;
  /** Display name. */
  name: string;
  /** The environment's change sequence: the seq of its latest change (0 before any). */
  seq: number;
  createdAt: string;
}

/** Who made a change: the token used. */
export interface AuditActor {
  tokenId: string;
  name: string;
}

/** What kind of thing an audit entry changed. */
export type AuditTargetKind = 'flag' | 'segment' | 'environment' | 'token' | 'webhook';

/** One member changed between an entry's `before` and `after`. */
export interface DiffOperation {
  op: 'add' | 'remove' | 'replace';
  /** JSON pointer (RFC 6901) of the changed member. */
  path: string;
  /** The old value (remove, replace). */
  before?: unknown;
  /** The new value (add, replace). */
  after?: unknown;
}

/** One recorded change. Entries form a hash chain, so an edited or removed entry is detectable. */
export interface AuditEntry {
  /** Position in the chain: 1, 2, 3, … */
  id: number;
  /** ISO-8601 time of the change. */
  at: string;
  actor: AuditActor;
  /** What was done, e.g. `flag.rollout`, `flag.kill`, `plan.pause`. */
  action: string;
  target: { kind: AuditTargetKind; key: string };
  /** The environment the change applies to; null for changes not tied to one. */
  environment: string | null;
  /** The reason the actor gave, if any. */
  reason: string | null;
  /** The target before the change (null when created). */
  before: unknown;
  /** The target after the change (null when deleted). */
  after: unknown;
  /** The members that differ between `before` and `after`. */
  diff: DiffOperation[];
  /** `hash` of the previous entry; 64 zeros for the first. */
  prevHash: string;
  /** sha256(prevHash + canonical JSON of every other field of this entry), hex. */
  hash: string;
}

/** What verifying the audit chain found. `entries` counts the entries checked (up to the break). */
export type ChainVerdict =
  | {
      ok: true;
      entries: number;
      /** `hash` of the last entry (64 zeros when there is none). */
      head: string;
    }
  | {
      ok: false;
      /** `id` of the first entry that does not verify. */
      brokenAt: number;
      entries: number;
      problem: string;
    };

// ---- Change sets (POST /api/v1/changesets: apply, import, flags file)

export type ChangeAction = 'create' | 'update' | 'delete';

/** One flag or segment a change set creates, updates or deletes. */
export interface PlannedChange {
  kind: 'flag' | 'segment';
  key: string;
  action: ChangeAction;
  /** The stored version now; null for a create. */
  currentVersion: number | null;
  /** The version the request based the item on; null when it gave none. */
  baseVersion: number | null;
  /** The version after the change; null for a delete. */
  newVersion: number | null;
  /** The stored item's version is not the base version: it changed (or appeared) since the export. */
  conflict: boolean;
  /** What changes in the document (versions aside); empty for creates and deletes. */
  diff: DiffOperation[];
}

export interface ChangesetResult {
  dryRun: boolean;
  /** The id in the audit entries' reasons; null for a dry run or when nothing changed. */
  changeSet: string | null;
  message: string;
  changes: PlannedChange[];
  /** Items of the request that already match the server. */
  unchanged: number;
}

// ---- Ramp plans and guards (progressive delivery)

/** A ramp plan's state: scheduled (before its first step), running, paused, or ended (completed, aborted). */
export type PlanStatus = 'scheduled' | 'running' | 'paused' | 'completed' | 'aborted';
/** What a person can do to a plan: pause, resume, skip to the next step now, or abort (no more steps). */
export type PlanAction = 'pause' | 'resume' | 'skip' | 'abort';

/** One step of a ramp plan: what it changes, and how long it holds. */
export interface PlanStep {
  /** Rollout weights this step sets (on the fallthrough, or on rule `ruleId`). */
  weights?: Weight[];
  /** Turns the flag on or off in the environment. */
  enabled?: boolean;
  /** How long the step holds before the next one. Absent on the last step: the plan completes when it applies. */
  holdSeconds?: number;
}

/** How a guard compares variants; see GuardDefinition.kind. */
export type GuardKind = 'rate' | 'mean';

/**
 * A guard compares treatment with control on a tracked event while the plan runs. When treatment is
 * measurably worse it trips: the plan is aborted and the flag is killed in the environment.
 */
export interface GuardDefinition {
  /** Names the guard in readings, audit reasons and the UI. */
  name: string;
  /** The tracked event (`client.track(event, …)`). */
  event: string;
  /**
   * rate: the share of the users served a variant who tracked the event at least once.
   * mean: the mean over users of each user's mean event value.
   */
  kind: GuardKind;
  /** The variant being ramped up. */
  treatment: string;
  /** The variant it is compared with. */
  control: string;
  /** Which direction hurts: `higher` (default: errors, latency) or `lower` (conversions). */
  worseWhen?: 'higher' | 'lower';
  /** Trip only when treatment is worse by at least this fraction of control's value (0.2 = 20 %). */
  relativeThreshold?: number;
  /** Trip only when treatment is worse by at least this much (a rate: a fraction, 0.01 = 1 point). */
  absoluteThreshold?: number;
  /** Users needed in each variant before the guard decides anything. */
  minSample: number;
}

/** What a ramp plan does: its steps and the guards that watch them. */
export interface PlanDefinition {
  /** Applied in order. */
  steps: PlanStep[];
  /** When the first step applies (ISO-8601); at once when absent. */
  startAt?: string;
  /** Ramp this rule's rollout instead of the fallthrough's. */
  ruleId?: string;
  /** Context attribute the rollout buckets by (kept from the flag when absent). */
  bucketBy?: string;
  /** Checked while the plan runs; none by default. */
  guards?: GuardDefinition[];
  /** Bound on the probability that a guard trips although treatment is no worse. Default 0.05. */
  alpha?: number;
}

/** What happened to a plan (see PlanEvent). */
export type PlanEventKind =
  'created' | 'advanced' | 'paused' | 'resumed' | 'skipped' | 'completed' | 'aborted' | 'tripped';

/** One line of a plan's history: what happened, who did it, and why. */
export interface PlanEvent {
  /** ISO-8601. */
  at: string;
  /** The actor: a token name, or the scheduler. */
  by: string;
  event: PlanEventKind;
  /** The step applied (advanced, skipped) or current (paused, tripped, …). */
  step?: number;
  /** A human-readable sentence. */
  detail: string;
  /** The guards' readings that led to it (advances and trips). */
  guards?: GuardReading[];
}

/** A flag's ramp plan in one environment: its definition and where it stands. */
export interface RampPlan {
  /** Key of the flag ramped. */
  flag: string;
  environment: string;
  /** Identifies this run of the plan; SDKs attribute exposures and tracked events to it. */
  runId: string;
  definition: PlanDefinition;
  status: PlanStatus;
  /** Index of the step last applied; -1 before the first. */
  currentStep: number;
  /** When the current step was applied; null before the first. */
  stepStartedAt: string | null;
  /** When the scheduler acts next; null while paused, ended, or holding the last step forever. */
  nextAt: string | null;
  /** While paused: what was left of the wait. */
  pausedRemainingMs: number | null;
  /** Why the plan ended (completed, aborted or tripped by a guard); null while it has not. */
  endedReason: string | null;
  /** What happened to the plan, oldest first (the latest 200 events). */
  history: PlanEvent[];
  /** Bumped by every change; writers change only the version they read. */
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/** insufficient: too few users in a variant to decide (see `minSample`); tripped: treatment is worse. */
export type GuardStatus = 'insufficient' | 'healthy' | 'tripped';

/** One side (treatment or control) of a guard's comparison. */
export interface ArmReading {
  variant: string;
  /** Users in the comparison: served the variant (rate), or who reported a value (mean). */
  users: number;
  /** rate: users who tracked the event; mean: null. */
  withEvent: number | null;
  /** The rate (a fraction) or the mean value; null without users. */
  value: number | null;
}

/** A guard's live comparison, as the scheduler judged it. */
export interface GuardReading {
  name: string;
  event: string;
  kind: GuardKind;
  status: GuardStatus;
  treatment: ArmReading;
  control: ArmReading;
  /** treatment − control; null until both have users. */
  difference: number | null;
  /** Always-valid (1 − alpha) confidence interval of the difference. */
  interval: [number, number] | null;
  /** Always-valid p-value of "treatment is no worse" (1 when nothing points at harm). */
  pValue: number;
  /** How much worse treatment must be to trip: max(absolute, relative × control). */
  margin: number;
  minSample: number;
  alpha: number;
  /** One sentence with the numbers (used in audit reasons). */
  summary: string;
}
