/**
 * Stale flags, ready to remove: a flag older than N days that no SDK evaluated in the last N days,
 * or one unchanged for N days whose evaluations in those days all served one variant (per
 * environment), i.e. code that could read a constant. A flag under an active ramp plan is never stale.
 */
import type { FlagQuery, Page, Repository } from '../store/repository';
import { encodeKeyCursor } from '../store/rows';
import type { FlagDocument } from '@switchboard/core';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Flags read per store page while collecting a page of stale ones. */
const SCAN_PAGE = 500;

export interface Staleness {
  reason: 'not-evaluated' | 'single-variant';
  /** The newest evaluation in any environment (start of its metrics window); null if never. */
  lastEvaluatedAt: string | null;
  /** single-variant: the one variant each environment served. */
  variants: Record<string, string>;
}

/** Every stale flag, by key, as of `now`. */
export async function findStaleFlags(
  store: Repository,
  days: number,
  now: number,
): Promise<Map<string, Staleness>> {
  const cutoff = new Date(now - days * DAY_MS).toISOString();
  const [times, last, served, plans] = await store.delivery.read(async (queries) => [
    await queries.flagTimes(),
    await queries.lastEvaluations(),
    await queries.servedVariants(cutoff),
    await queries.listPlans({ active: true }),
  ]);
  const lastByFlag = new Map<string, string>();
  for (const { flag, windowStart } of last) {
    const previous = lastByFlag.get(flag);
    if (previous === undefined || windowStart > previous) lastByFlag.set(flag, windowStart);
  }
  const variantsByFlag = new Map<string, Map<string, Set<string>>>();
  for (const { flag, environment, variant } of served) {
    const environments = variantsByFlag.get(flag) ?? new Map<string, Set<string>>();
    environments.set(environment, (environments.get(environment) ?? new Set()).add(variant));
    variantsByFlag.set(flag, environments);
  }
  const ramping = new Set(plans.map((plan) => plan.flag));

  const stale = new Map<string, Staleness>();
  for (const { key, createdAt, updatedAt } of times) {
    if (ramping.has(key)) continue;
    const lastEvaluatedAt = lastByFlag.get(key) ?? null;
    if (lastEvaluatedAt === null || lastEvaluatedAt < cutoff) {
      if (createdAt <= cutoff) stale.set(key, { reason: 'not-evaluated', lastEvaluatedAt, variants: {} });
      continue;
    }
    const environments = variantsByFlag.get(key);
    if (updatedAt > cutoff || environments === undefined) continue;
    // '' is an evaluation that served no variant (an error): not "one variant".
    const single = [...environments].every(([, variants]) => variants.size === 1 && !variants.has(''));
    if (single) {
      const variants = Object.fromEntries(
        [...environments].map(([environment, set]) => [environment, [...set][0]!]),
      );
      stale.set(key, { reason: 'single-variant', lastEvaluatedAt, variants });
    }
  }
  return stale;
}

/**
 * `GET /api/v1/flags?stale=true`: the stale flags among those the query selects, paged like the
 * flag list (the cursor is the last key).
 */
export async function listStaleFlags(
  store: Repository,
  query: FlagQuery,
  days: number,
): Promise<{ flags: FlagDocument[]; nextCursor: string | null; stale: Record<string, Staleness> }> {
  const stale = await findStaleFlags(store, days, Date.now());
  const found: FlagDocument[] = [];
  let cursor = query.cursor;
  let more = true;
  while (more && found.length <= query.limit) {
    const page: Page<FlagDocument> = await store.listFlags({ ...query, cursor, limit: SCAN_PAGE });
    found.push(...page.items.filter((flag) => stale.has(flag.key)));
    cursor = page.nextCursor ?? undefined;
    more = page.nextCursor !== null;
  }
  const flags = found.slice(0, query.limit);
  const last = flags[flags.length - 1];
  return {
    flags,
    nextCursor: found.length > query.limit && last ? encodeKeyCursor(last.key) : null,
    stale: Object.fromEntries(flags.map((flag) => [flag.key, stale.get(flag.key)!])),
  };
}
