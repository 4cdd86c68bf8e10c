/**
 * Stale flags: flags that no longer decide anything and have not been touched for a while — candidates
 * for removal from code. A flag is stale when every environment can serve only one and the same variant
 * (fully rolled out, or off everywhere) and its newest audit entry is older than the given number of days.
 */
import type { FlagDocument, FlagEnvironment, Serve } from '@switchboard/core';
import type { AuditPage } from './api-types';
import type { Session } from './session';
import { withQuery } from './session';

export const STALE_AFTER_DAYS_DEFAULT = 30;
const DAY_MS = 86_400_000;

function servedVariants(serve: Serve): string[] {
  if ('variant' in serve) return [serve.variant];
  return serve.rollout.weights.filter((weight) => weight.weight > 0).map((weight) => weight.variant);
}

/** Every variant this environment can serve to some context. */
export function possibleVariants(flag: FlagDocument, environment: FlagEnvironment): Set<string> {
  if (environment.killed || !environment.enabled) return new Set([environment.offVariant]);
  const variants = new Set(servedVariants(environment.fallthrough));
  for (const target of environment.targets ?? []) variants.add(target.variant);
  for (const rule of environment.rules ?? [])
    for (const variant of servedVariants(rule.serve)) variants.add(variant);
  if (flag.prerequisites?.length) variants.add(environment.offVariant);
  return variants;
}

/** True when all environments together can serve only one variant. */
export function servesOneVariant(flag: FlagDocument): boolean {
  const variants = new Set<string>();
  for (const environment of Object.values(flag.environments)) {
    for (const variant of possibleVariants(flag, environment)) variants.add(variant);
  }
  return variants.size <= 1;
}

export async function isStale(session: Session, flag: FlagDocument, days: number, now = Date.now()) {
  if (!servesOneVariant(flag)) return false;
  const newest = await session.api.get<AuditPage>(withQuery('/api/v1/audit', { flag: flag.key, limit: '1' }));
  const lastChange = newest.entries[0]?.at;
  return lastChange === undefined || now - Date.parse(lastChange) >= days * DAY_MS;
}
