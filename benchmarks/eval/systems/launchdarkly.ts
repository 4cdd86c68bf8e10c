/**
 * @launchdarkly/node-server-sdk with the TestData data source (no connection to LaunchDarkly) and events
 * off. TestData's builder knows neither rollouts nor semver operators, so each flag is handed over as a
 * full LaunchDarkly flag model with `usePreconfiguredFlag`. The evaluation API is asynchronous (promises).
 */
import { basicLogger, init } from '@launchdarkly/node-server-sdk';
import type { LDContext } from '@launchdarkly/node-server-sdk';
import { TestData } from '@launchdarkly/node-server-sdk/integrations';
import type { ClauseSpec, FlagSpec } from '../scenarios';
import { singleFlag } from '../scenarios';
import type { BuildSubject } from './types';
import { contextsFor } from './types';

const ON = 0;
const OFF = 1;

function clause(spec: ClauseSpec): Record<string, unknown> {
  const base = { contextKind: 'user', attribute: spec.attribute };
  switch (spec.op) {
    case 'in':
      return { ...base, op: 'in', values: spec.values, negate: false };
    case 'eq': // LaunchDarkly's `in` is equality with any of the values.
      return { ...base, op: 'in', values: [spec.value], negate: false };
    case 'semverGte': // No "≥" operator: not (less than).
      return { ...base, op: 'semVerLessThan', values: [spec.value], negate: true };
  }
}

function serve(flag: FlagSpec): Record<string, unknown> {
  if (flag.rolloutPercent === null) return { variation: ON };
  const onWeight = flag.rolloutPercent * 1000; // LaunchDarkly weights are in units of 0.001%.
  return {
    rollout: {
      variations: [
        { variation: ON, weight: onWeight },
        { variation: OFF, weight: 100_000 - onWeight },
      ],
    },
  };
}

function flagModel(flag: FlagSpec): Record<string, unknown> {
  const targeted = flag.clauses.length > 0;
  return {
    key: flag.key,
    version: 1,
    on: flag.enabled,
    variations: [true, false],
    offVariation: OFF,
    fallthrough: targeted ? { variation: OFF } : serve(flag),
    rules: targeted ? [{ id: `${flag.key}-rule`, clauses: flag.clauses.map(clause), ...serve(flag) }] : [],
    targets: [],
    contextTargets: [],
    prerequisites: [],
    salt: flag.key,
    trackEvents: false,
    trackEventsFallthrough: false,
    clientSide: false,
    deleted: false,
  };
}

export const build: BuildSubject = async (scenario, users) => {
  const testData = new TestData();
  for (const flag of scenario.flags) await testData.usePreconfiguredFlag(flagModel(flag));
  const client = init('sdk-benchmark-offline', {
    updateProcessor: testData.getFactory(),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: basicLogger({ level: 'none' }),
  });
  await client.waitForInitialization({ timeout: 10 });
  const contexts = contextsFor(users, (user): LDContext => ({
    kind: 'user',
    key: user.userId,
    country: user.country,
    plan: user.plan,
    appVersion: user.appVersion,
  }));
  const close = () => client.close();

  if (scenario.evaluatesAll) {
    const keys = scenario.flags.map((flag) => flag.key);
    return {
      isAsync: true,
      run: (userIndex) => client.allFlagsState(contexts[userIndex]!),
      decide: async (userIndex) => {
        const state = await client.allFlagsState(contexts[userIndex]!);
        return keys.map((key) => state.getFlagValue(key) === true);
      },
      close,
    };
  }

  const key = singleFlag(scenario).key;
  return {
    isAsync: true,
    run: (userIndex) => client.variation(key, contexts[userIndex]!, false),
    decide: async (userIndex) => [(await client.variation(key, contexts[userIndex]!, false)) === true],
    close,
  };
};
