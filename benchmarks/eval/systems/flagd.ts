/** @openfeature/flagd-core: flagd's in-process evaluator with a flagd JSON flag configuration. */
import { FlagdCore } from '@openfeature/flagd-core';
import type { ClauseSpec, FlagSpec } from '../scenarios';
import { singleFlag } from '../scenarios';
import type { BuildSubject } from './types';
import { contextsFor } from './types';

type JsonLogic = Record<string, unknown>;

function condition(clause: ClauseSpec): JsonLogic {
  const value = { var: clause.attribute };
  switch (clause.op) {
    case 'in':
      return { in: [value, clause.values] };
    case 'eq':
      return { '==': [value, clause.value] };
    case 'semverGte':
      return { sem_ver: [value, '>=', clause.value] };
  }
}

function flagConfig(flag: FlagSpec): Record<string, unknown> {
  const base = { state: flag.enabled ? 'ENABLED' : 'DISABLED', variants: { on: true, off: false } };
  // fractional buckets by flag key + targetingKey, like a salted rollout.
  const serve =
    flag.rolloutPercent === null
      ? 'on'
      : {
          fractional: [
            ['on', flag.rolloutPercent],
            ['off', 100 - flag.rolloutPercent],
          ],
        };
  if (flag.clauses.length === 0 && typeof serve === 'string') return { ...base, defaultVariant: 'on' };
  if (flag.clauses.length === 0) return { ...base, defaultVariant: 'off', targeting: serve };
  const conditions = flag.clauses.map(condition);
  const test = conditions.length === 1 ? conditions[0] : { and: conditions };
  return { ...base, defaultVariant: 'off', targeting: { if: [test, serve, 'off'] } };
}

export const build: BuildSubject = async (scenario, users) => {
  const core = new FlagdCore();
  core.setConfigurations(
    JSON.stringify({ flags: Object.fromEntries(scenario.flags.map((flag) => [flag.key, flagConfig(flag)])) }),
  );
  const contexts = contextsFor(users, (user) => ({
    targetingKey: user.userId,
    country: user.country,
    plan: user.plan,
    appVersion: user.appVersion,
  }));

  if (scenario.evaluatesAll) {
    const keys = scenario.flags.map((flag) => flag.key);
    return {
      isAsync: false,
      run: (userIndex) => core.resolveAll(contexts[userIndex]),
      decide: (userIndex) => {
        // resolveAll omits disabled flags: absent means off.
        const on = new Set(
          core
            .resolveAll(contexts[userIndex])
            .filter((detail) => detail.value === true)
            .map((detail) => detail.flagKey),
        );
        return keys.map((key) => on.has(key));
      },
      close: () => undefined,
    };
  }

  const key = singleFlag(scenario).key;
  return {
    isAsync: false,
    run: (userIndex) => core.resolveBooleanEvaluation(key, false, contexts[userIndex]).value,
    decide: (userIndex) => [core.resolveBooleanEvaluation(key, false, contexts[userIndex]).value],
    close: () => undefined,
  };
};
