/** Building what SDKs receive from the stored documents. */
import type { EnvironmentRuleset, FlagConfig, FlagDocument, SegmentDocument } from './types';

/** Sets an own enumerable property, even for the key "__proto__" (which plain assignment would not). */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * One environment's view of a flag document (flag-level fields + that environment's config),
 * undefined if the environment is absent.
 */
export function projectFlag(doc: FlagDocument, environment: string): FlagConfig | undefined {
  if (!Object.prototype.hasOwnProperty.call(doc.environments, environment)) return undefined;
  const env = doc.environments[environment];
  if (env === undefined) return undefined;
  const config: FlagConfig = { key: doc.key, variants: doc.variants, ...env, version: doc.version };
  if (doc.prerequisites !== undefined) config.prerequisites = doc.prerequisites;
  return config;
}

/** Builds the ruleset an SDK receives from documents. Flags without the environment are left out. */
export function buildRuleset(
  environment: string,
  version: number,
  flags: Iterable<FlagDocument>,
  segments: Iterable<SegmentDocument>,
): EnvironmentRuleset {
  const ruleset: EnvironmentRuleset = { environment, version, flags: {}, segments: {} };
  for (const doc of flags) {
    const config = projectFlag(doc, environment);
    if (config !== undefined) setOwn(ruleset.flags, doc.key, config);
  }
  for (const segment of segments) setOwn(ruleset.segments, segment.key, segment);
  return ruleset;
}
