/**
 * Shapes the admin API sends and receives beyond flag and segment documents: tokens, environments,
 * audit entries and ramp plans. The server produces them; the CLI and the admin UI read them. Types
 * only (and one constant), so importing them costs a browser bundle nothing.
 */
import type { Weight } from './types';

export const TOKEN_KINDS = ['admin', 'editor', 'responder', 'viewer', 'server', 'client'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** A token as listed: never the secret, never its hash. */
export interface TokenInfo {
  id: string;
  name: string;
  kind: TokenKind;
  /** The one environment of a server or client SDK key; null for the other kinds. */
  environment: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** The answer to creating a token: the only time its secret is shown. */
export interface CreatedToken extends TokenInfo {
  token: string;
}

export interface Environment {
  key: string;
  name: string;
  /** The environment's change sequence: the seq of its latest change (0 before any). */
  seq: number;
  createdAt: string;
}

export interface AuditActor {
  tokenId: string;
  name: string;
}

export type AuditTargetKind = 'flag' | 'segment' | 'environment' | 'token' | 'webhook';

/** One member changed between an entry's `before` and `after`. */
export interface DiffOperation {
  op: 'add' | 'remove' | 'replace';
  /** JSON pointer (RFC 6901) of the changed member. */
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditEntry {
  /** Position in the chain: 1, 2, 3, … */
  id: number;
  /** ISO-8601 time of the change. */
  at: string;
  actor: AuditActor;
  action: string;
  target: { kind: AuditTargetKind; key: string };
  environment: string | null;
  reason: string | null;
  before: unknown;
  after: unknown;
  diff: DiffOperation[];
  /** `hash` of the previous entry; 64 zeros for the first. */
  prevHash: string;
  /** sha256(prevHash + canonical JSON of every other field of this entry), hex. */
  hash: string;
}

/** What verifying the audit chain found. `entries` counts the entries checked (up to the break). */
export type ChainVerdict =
  | { ok: true; entries: number; head: string }
  | { ok: false; brokenAt: number; entries: number; problem: string };

// ---- Ramp plans and guards (progressive delivery)

export type PlanStatus = 'scheduled' | 'running' | 'paused' | 'completed' | 'aborted';
export type PlanAction = 'pause' | 'resume' | 'skip' | 'abort';

export interface PlanStep {
  /** Rollout weights this step sets (on the fallthrough, or on rule `ruleId`). */
  weights?: Weight[];
  /** Turns the flag on or off in the environment. */
  enabled?: boolean;
  /** How long the step holds before the next one. Absent on the last step: the plan completes when it applies. */
  holdSeconds?: number;
}

export type GuardKind = 'rate' | 'mean';

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
  treatment: string;
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

export interface PlanDefinition {
  steps: PlanStep[];
  /** When the first step applies (ISO-8601); at once when absent. */
  startAt?: string;
  /** Ramp this rule's rollout instead of the fallthrough's. */
  ruleId?: string;
  /** Context attribute the rollout buckets by (kept from the flag when absent). */
  bucketBy?: string;
  guards?: GuardDefinition[];
  /** Bound on the probability that a guard trips although treatment is no worse. Default 0.05. */
  alpha?: number;
}

export type PlanEventKind =
  'created' | 'advanced' | 'paused' | 'resumed' | 'skipped' | 'completed' | 'aborted' | 'tripped';

/** One line of a plan's history: what happened, who did it, and why. */
export interface PlanEvent {
  at: string;
  by: string;
  event: PlanEventKind;
  /** The step applied (advanced, skipped) or current (paused, tripped, …). */
  step?: number;
  detail: string;
  /** The guards' readings that led to it (advances and trips). */
  guards?: GuardReading[];
}

export interface RampPlan {
  flag: string;
  environment: string;
  runId: string;
  definition: PlanDefinition;
  status: PlanStatus;
  /** Index of the step last applied; -1 before the first. */
  currentStep: number;
  stepStartedAt: string | null;
  /** When the scheduler acts next; null while paused, ended, or holding the last step forever. */
  nextAt: string | null;
  /** While paused: what was left of the wait. */
  pausedRemainingMs: number | null;
  endedReason: string | null;
  history: PlanEvent[];
  /** Bumped by every change; writers change only the version they read. */
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export type GuardStatus = 'insufficient' | 'healthy' | 'tripped';

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
