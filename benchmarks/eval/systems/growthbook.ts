/**
 * @growthbook/growthbook: the multi-user GrowthBookClient (the SDK's server-side API) initialised
 * synchronously from a local payload; no apiHost, so nothing is fetched.
 */
import { GrowthBookClient } from '@growthbook/growthbook';
import type { ConditionInterface, FeatureDefinition, FeatureRule } from '@growthbook/growthbook';
import type { ClauseSpec, FlagSpec } from '../scenarios';
import { singleFlag } from '../scenarios';
import type { BuildSubject } from './types';
import { contextsFor } from './types';

function condition(clauses: ClauseSpec[]): ConditionInterface {
  const entries = clauses.map((clause): [string, string | { $in: string[] } | { $vgte: string }] => {
    switch (clause.op) {
      case 'in':
        return [clause.attribute, { $in: clause.values }];
      case 'eq':
        return [clause.attribute, clause.value];
      case 'semverGte':
        return [clause.attribute, { $vgte: clause.value }];
    }
  });
  return Object.fromEntries(entries);
}

function feature(flag: FlagSpec): FeatureDefinition<boolean> {
  if (!flag.enabled) return { defaultValue: false };
  if (flag.clauses.length === 0 && flag.rolloutPercent === null) return { defaultValue: true };
  // A force rule with coverage is GrowthBook's percentage rollout (hashed on `id`, seeded by the key).
  const rule: FeatureRule<boolean> = { id: `${flag.key}-rule`, force: true };
  if (flag.clauses.length > 0) rule.condition = condition(flag.clauses);
  if (flag.rolloutPercent !== null) {
    rule.coverage = flag.rolloutPercent / 100;
    rule.hashAttribute = 'id';
    rule.seed = flag.key;
    rule.hashVersion = 2;
  }
  return { defaultValue: false, rules: [rule] };
}

export const build: BuildSubject = async (scenario, users) => {
  const client = new GrowthBookClient().initSync({
    payload: { features: Object.fromEntries(scenario.flags.map((flag) => [flag.key, feature(flag)])) },
  });
  const contexts = contextsFor(users, (user) => ({
    attributes: { id: user.userId, country: user.country, plan: user.plan, appVersion: user.appVersion },
  }));

  if (scenario.evaluatesAll) {
    // No "evaluate everything" call in the public API: loop over the keys with isOn.
    const keys = scenario.flags.map((flag) => flag.key);
    return {
      isAsync: false,
      run: (userIndex) => {
        const context = contexts[userIndex]!;
        let on = 0;
        for (const key of keys) if (client.isOn(key, context)) on++;
        return on;
      },
      decide: (userIndex) => keys.map((key) => client.isOn(key, contexts[userIndex]!)),
      close: () => client.destroy(),
    };
  }

  const key = singleFlag(scenario).key;
  return {
    isAsync: false,
    run: (userIndex) => client.isOn(key, contexts[userIndex]!),
    decide: (userIndex) => [client.isOn(key, contexts[userIndex]!)],
    close: () => client.destroy(),
  };
};
