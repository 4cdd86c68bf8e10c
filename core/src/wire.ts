/**
 * The SDK wire protocol: the events of `GET /sdk/v1/stream` (Server-Sent Events) and the
 * body of `POST /sdk/v1/metrics`. Every SSE event's `id:` is the environment's change sequence.
 */
import type { EnvironmentRuleset, EvaluationReason, FlagConfig, SegmentDocument } from './types';

/** What a patch or delete event changes. */
export type ChangeKind = 'flag' | 'segment';

/** `event: put` — the whole ruleset of the environment; replaces whatever the SDK held. */
export type PutEvent = EnvironmentRuleset;

/** `event: patch` — one flag or segment upserted. `version` is the environment's change sequence. */
export type PatchEvent =
  | { version: number; kind: 'flag'; key: string; value: FlagConfig }
  | { version: number; kind: 'segment'; key: string; value: SegmentDocument };

/** `event: delete` — one flag or segment removed. */
export interface DeleteEvent {
  /** The environment's change sequence after the deletion. */
  version: number;
  kind: ChangeKind;
  /** Key of the flag or segment removed. */
  key: string;
}

/** How many evaluations of one flag ended with one variant and reason. */
export interface MetricsCount {
  /** Flag key. */
  flag: string;
  /** The variant served; null when none was (errors). */
  variant: string | null;
  reason: EvaluationReason;
  /** Number of evaluations in the window. */
  count: number;
}

/** `POST /sdk/v1/metrics` body: evaluation counts of one time window. */
export interface MetricsBatch {
  /** ISO-8601 start and end of the window the counts cover. */
  windowStart: string;
  /** ISO-8601 end of the window. */
  windowEnd: string;
  counts: MetricsCount[];
}
