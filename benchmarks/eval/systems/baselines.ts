/**
 * Floors, with the same keys, users and loop as every system: for the plain on/off scenario the cheapest
 * possible lookup of a precomputed "enabled" bit; for the rollout scenario Switchboard's bucketing written
 * naively with the reference `murmurhash` package (string concatenation, its TextEncoder per call).
 */
import murmurhash from 'murmurhash';
import type { FlagSpec, Scenario } from '../scenarios';
import { singleFlag } from '../scenarios';
import type { BuildSubject } from './types';
import { contextsFor } from './types';

interface Enabled {
  enabled: boolean;
}

function plainFlag(scenario: Scenario): FlagSpec {
  const flag = singleFlag(scenario);
  if (flag.clauses.length > 0 || flag.rolloutPercent !== null) {
    throw new Error(`baselines cannot express scenario ${scenario.id} (it has rules)`);
  }
  return flag;
}

export const buildMapGet: BuildSubject = async (scenario) => {
  const flag = plainFlag(scenario);
  const flags = new Map<string, Enabled>([[flag.key, { enabled: flag.enabled }]]);
  const key = flag.key;
  return {
    isAsync: false,
    run: () => flags.get(key)!.enabled,
    decide: () => [flags.get(key)!.enabled],
    close: () => undefined,
  };
};

export const buildObjectLookup: BuildSubject = async (scenario) => {
  const flag = plainFlag(scenario);
  const flags = Object.create(null) as Record<string, Enabled>;
  flags[flag.key] = { enabled: flag.enabled };
  const key = flag.key;
  return {
    isAsync: false,
    run: () => flags[key]!.enabled,
    decide: () => [flags[key]!.enabled],
    close: () => undefined,
  };
};

const BUCKETS = 100_000;

export const buildNaiveRollout: BuildSubject = async (scenario, users) => {
  const flag = singleFlag(scenario);
  if (flag.clauses.length > 0 || flag.rolloutPercent === null) {
    throw new Error(`the naive rollout cannot express scenario ${scenario.id}`);
  }
  const threshold = flag.rolloutPercent * (BUCKETS / 100);
  const prefix = `${flag.key}:`;
  const contexts = contextsFor(users, (user) => ({ userId: user.userId }));
  const isOn = (userIndex: number) =>
    murmurhash.v3(prefix + contexts[userIndex]!.userId) % BUCKETS < threshold;
  return { isAsync: false, run: isOn, decide: (userIndex) => [isOn(userIndex)], close: () => undefined };
};
