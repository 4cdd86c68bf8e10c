import type { FlagConfig, SegmentDocument } from '@switchboard/core';

/** One committed change of one environment, as recorded in the store's change log. */
export interface ChangeRecord {
  environment: string;
  /** The environment's change sequence after this change; strictly increasing per environment. */
  seq: number;
  kind: 'flag' | 'segment';
  key: string;
  /** The new value as SDKs see it; null when the flag or segment was deleted. */
  value: FlagConfig | SegmentDocument | null;
}

/**
 * Told after a transaction commits. In-process the notice carries the changes themselves;
 * across replicas (Redis) it may carry only (environment, seq) and receivers read the store.
 */
export interface ChangeNotice {
  environment: string;
  seq: number;
  /** True when the change is a kill: streams write it before any other pending work. */
  urgent: boolean;
  changes?: ChangeRecord[];
}

export type ChangeListener = (notice: ChangeNotice) => void;

/** How a replica hears of other replicas' changes (reported by /readyz). */
export interface FanoutStatus {
  /** in-process: a single server; polling: the store's seqs are polled; redis: notices through Redis. */
  mode: 'in-process' | 'polling' | 'redis';
  /** redis: whether the channel is connected (while it is not, the store is polled). */
  connected?: boolean;
  /** How often the store's seqs are compared with what was delivered (polling and redis). */
  pollIntervalMs?: number;
}

export interface Fanout {
  publish(notice: ChangeNotice): void;
  /** Returns an unsubscribe function. */
  subscribe(listener: ChangeListener): () => void;
  close(): Promise<void>;
  status?(): FanoutStatus;
}
