/** Forgets what nobody needs any more: long-gone SDK instances and old webhook deliveries. */
import type { Repository } from '../store/repository';

const DAY_MS = 24 * 60 * 60 * 1000;
/** SDK instances silent this long are no longer listed or kept. */
const INSTANCE_RETENTION_MS = 7 * DAY_MS;
/** Finished webhook deliveries (delivered or given up) are kept this long in the log. */
const DELIVERY_LOG_RETENTION_MS = 30 * DAY_MS;
/** How often housekeeping runs at most. */
export const HOUSEKEEPING_INTERVAL_MS = 60 * 60 * 1000;

export async function runHousekeeping(store: Repository, now: number): Promise<void> {
  await store.delivery.batch(async (queries) => {
    await queries.pruneInstances(new Date(now - INSTANCE_RETENTION_MS).toISOString());
    await queries.pruneDeliveries(new Date(now - DELIVERY_LOG_RETENTION_MS).toISOString());
  });
}
