/** IPC between the soak suite and its children: the stream workers and the evaluate load generator. */
import type { SerializedHistogram } from '../lib/histogram';

export interface StreamTargetSpec {
  url: string;
  sdkKey: string;
  /** The flag the soak changes: the only flag whose events are expected. */
  flagKey: string;
  /** The environment's change sequence before the first change: every stream starts there. */
  baseSeq: number;
}

export type StreamWorkerCommand =
  /** Open `readers` plain SSE readers and `sdkClients` sdk-node clients; reply when all hold the ruleset. */
  | { type: 'connect'; target: StreamTargetSpec; readers: number; sdkClients: number }
  /** Reply once every stream holds `lastSeq` (or after `timeoutMs`) with what each received. */
  | { type: 'finish'; firstSeq: number; lastSeq: number; timeoutMs: number }
  | { type: 'disconnect' };

/**
 * Sent (no reply) when the parent starts the admin call that creates change `seq`: `startNs` is its
 * process.hrtime.bigint() as a decimal string, `window` the time window the change belongs to.
 */
export interface ChangeStarted {
  type: 'change';
  seq: number;
  startNs: string;
  window: number;
}

export interface StreamWorkerFinished {
  type: 'finished';
  readers: number;
  sdkClients: number;
  /** Distinct changes received, summed over streams (each counted once per stream). */
  delivered: number;
  duplicates: number;
  outOfOrder: number;
  /** Events for something other than the soak's changes (another flag, an unknown sequence). */
  unexpected: number;
  /** [seq, streams that never received it], only for sequences some stream missed. */
  missingBySeq: Array<[number, number]>;
  streamsWithLoss: number;
  reconnects: number;
  /** [window, latencies from the change's admin call to each stream's first receipt]. */
  windows: Array<[number, SerializedHistogram]>;
}

export type StreamWorkerReply =
  | { type: 'connected'; streams: number; ms: number }
  | StreamWorkerFinished
  | { type: 'disconnected' }
  | { type: 'failed'; error: string };

export interface StreamWorkerRequest {
  id: number;
  command: StreamWorkerCommand;
}

export interface StreamWorkerResponse {
  id: number;
  reply: StreamWorkerReply;
}

/** Load generator → parent: loaded and ready to start on the next job (so the load starts on time). */
export interface EvaluateLoadReady {
  type: 'ready';
}

/** Parent → load generator: run at a fixed rate for `durationMs` from now. */
export interface EvaluateLoadJob {
  type: 'run';
  url: string;
  clientKey: string;
  requestsPerSecond: number;
  durationMs: number;
  /** The parent's time zero (process.hrtime.bigint(), decimal) and window length, to share its windows. */
  runStartNs: string;
  windowMs: number;
}

export interface EvaluateLoadResult {
  type: 'evaluated';
  /** Requests whose scheduled send time fell within the run. */
  scheduled: number;
  /** Answered 200 with a flag set. */
  succeeded: number;
  /** Any other answer, a network error or a timeout. */
  errors: number;
  /** Error kinds ('status 503', 'timeout', 'ECONNRESET', …) and their counts. */
  errorKinds: Record<string, number>;
  /** Seconds from the first scheduled request to the last answer. */
  elapsedSeconds: number;
  /** Latency from each request's scheduled send time (open loop: queueing counts) to its answer. */
  latency: SerializedHistogram;
  /** [window, latencies of successful requests scheduled in that window, errors in it]. */
  windows: Array<[number, SerializedHistogram, number]>;
}
