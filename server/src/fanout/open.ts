import type { ServerConfig } from '../config';
import type { Repository } from '../store/repository';
import type { Fanout } from './fanout';
import { InProcessFanout } from './in-process';
import { RedisNoticeChannel } from './redis';
import type { FanoutLogger, FanoutObserver } from './replicated';
import { DEFAULT_POLL_INTERVAL_MS, DEFAULT_SWEEP_INTERVAL_MS, ReplicatedFanout } from './replicated';

/**
 * The fan-out the configuration calls for: with REDIS_URL, notices through Redis (polling the store
 * while Redis is away); on PostgreSQL without Redis, polling the store; on SQLite without Redis,
 * in-process only (a single server).
 */
export async function openFanout(
  config: Pick<ServerConfig, 'redisUrl' | 'fanoutPollIntervalMs'>,
  store: Repository,
  log: FanoutLogger,
  observer?: FanoutObserver,
): Promise<Fanout> {
  if (config.redisUrl === undefined && store.dialect === 'sqlite') return new InProcessFanout();
  const fanout = new ReplicatedFanout({
    store,
    channel: config.redisUrl === undefined ? undefined : new RedisNoticeChannel(config.redisUrl, log),
    pollIntervalMs: config.fanoutPollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    sweepIntervalMs: DEFAULT_SWEEP_INTERVAL_MS,
    log,
    observer,
  });
  try {
    await fanout.start();
  } catch (error) {
    await fanout.close();
    throw error;
  }
  return fanout;
}
