/**
 * Insight for one flag in one environment: evaluations per variant over time (from SDK metrics),
 * when it was last evaluated, and the SDK instances of the environment with the ruleset version
 * each serves (and whether that is the current one): for an instance streaming from this replica,
 * the version its stream was last sent, live; for the others, the version it last reported.
 */
import type { InstanceHeartbeats } from '../delivery/instance-heartbeats';
import type { SdkStreams } from '../sdk-api';
import type { Repository } from '../store/repository';
import type { SdkInstance } from './types';

/** Buckets a chart of the range is split into. */
const BUCKETS = 48;
/**
 * Silent for longer than this, an instance counts as gone: 2.5 idle heartbeats (SDKs report at least
 * every 60 s), so one lost or late report does not mark a live instance gone.
 */
const CONNECTED_WITHIN_MS = 150_000;
/** Instances seen within this period are listed (connected or not). */
const LISTED_WITHIN_MS = 24 * 60 * 60 * 1000;

export interface EvaluationBucket {
  start: string;
  /** Evaluations per variant ('' for evaluations in error). */
  counts: Record<string, number>;
}

export interface InstanceView extends SdkInstance {
  /** Holds a stream open on the replica that answered: `rulesetVersion` is the version it was sent. */
  streaming: boolean;
  /** Streaming, or reported within CONNECTED_WITHIN_MS. */
  connected: boolean;
  /** Serves the environment's current ruleset version. */
  current: boolean;
}

export interface FlagInsight {
  flag: string;
  environment: string;
  evaluations: {
    since: string;
    bucketSeconds: number;
    buckets: EvaluationBucket[];
    totals: Record<string, number>;
  };
  /** Start of the newest SDK metrics window with evaluations of the flag here; null if never. */
  lastEvaluatedAt: string | null;
  sdks: {
    /** The environment's ruleset version (change sequence) now. */
    currentVersion: number;
    instances: InstanceView[];
    /** SDK streams open on the replica that answered, by the ruleset version they were last sent. */
    streams: Array<{ version: number; streams: number }>;
  };
}

export async function flagInsight(
  store: Repository,
  streams: SdkStreams,
  heartbeats: Pick<InstanceHeartbeats, 'flush'>,
  target: { flag: string; environment: string; currentVersion: number },
  hours: number,
  now: number,
): Promise<FlagInsight> {
  const rangeMs = hours * 60 * 60 * 1000;
  const bucketMs = Math.max(60_000, Math.ceil(rangeMs / BUCKETS / 60_000) * 60_000);
  const start = Math.floor((now - rangeMs) / bucketMs) * bucketMs;
  const since = new Date(start).toISOString();
  await heartbeats.flush(); // the instances as of their latest reports
  const [counts, last, instances] = await store.delivery.read(async (queries) => [
    await queries.evaluationCounts(target.environment, target.flag, since),
    await queries.lastEvaluations(target.flag),
    await queries.listInstances(target.environment, new Date(now - LISTED_WITHIN_MS).toISOString()),
  ]);

  const buckets: EvaluationBucket[] = [];
  for (let at = start; at <= now; at += bucketMs)
    buckets.push({ start: new Date(at).toISOString(), counts: {} });
  const totals: Record<string, number> = {};
  for (const { windowStart, variant, count } of counts) {
    const bucket = buckets[Math.floor((Date.parse(windowStart) - start) / bucketMs)];
    if (bucket) bucket.counts[variant] = (bucket.counts[variant] ?? 0) + count;
    totals[variant] = (totals[variant] ?? 0) + count;
  }

  const streamed = streams.instanceVersions(target.environment);
  const instanceView = (instance: SdkInstance): InstanceView => {
    const sent = streamed.get(instance.instanceId);
    const rulesetVersion = sent ?? instance.rulesetVersion;
    return {
      ...instance,
      rulesetVersion,
      streaming: sent !== undefined,
      connected: sent !== undefined || now - Date.parse(instance.lastSeenAt) <= CONNECTED_WITHIN_MS,
      current: rulesetVersion === target.currentVersion,
    };
  };

  return {
    flag: target.flag,
    environment: target.environment,
    evaluations: { since, bucketSeconds: bucketMs / 1000, buckets, totals },
    lastEvaluatedAt: last.find((row) => row.environment === target.environment)?.windowStart ?? null,
    sdks: {
      currentVersion: target.currentVersion,
      instances: instances.map(instanceView),
      streams: [...streams.versions(target.environment)]
        .map(([version, count]) => ({ version, streams: count }))
        .sort((a, b) => b.version - a.version),
    },
  };
}
