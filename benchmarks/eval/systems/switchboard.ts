/**
 * Switchboard, twice: the core engine (`compileRuleset`) and the Node SDK's public API on a bootstrap
 * ruleset, with evaluation metrics on (the default) and off.
 */
import { compileRuleset } from '@switchboard/core';
import { createClient } from '@switchboard/sdk-node';
import type { Scenario } from '../scenarios';
import { singleFlag } from '../scenarios';
import type { BenchUser } from '../users';
import { rulesetOf } from './switchboard-flags';
import type { BuildSubject, Subject } from './types';
import { contextsFor } from './types';

const DAY_MS = 86_400_000;

/**
 * No server runs: the SDK has no offline switch, so it is pointed at a closed port with polling instead
 * of streaming and a one-day poll interval. Its refused attempts to reach it are reported apart.
 */
const UNREACHABLE_SERVER = '127.0.0.1:9';

/** The numbers must reflect what users get: the built packages, never sources mapped by a tsconfig. */
function assertBuiltPackages(): void {
  for (const name of ['@switchboard/core', '@switchboard/sdk-node']) {
    const resolved = import.meta.resolve(name);
    if (!resolved.includes('/dist/'))
      throw new Error(`${name} resolved to ${resolved}, not to its built dist`);
  }
}

function contextsOf(users: readonly BenchUser[]) {
  return contextsFor(users, (user) => ({
    userId: user.userId,
    country: user.country,
    plan: user.plan,
    appVersion: user.appVersion,
  }));
}

function keysOf(scenario: Scenario): string[] {
  return scenario.flags.map((flag) => flag.key);
}

export const buildCore: BuildSubject = async (scenario, users) => {
  assertBuiltPackages();
  const ruleset = compileRuleset(rulesetOf(scenario.flags));
  const contexts = contextsOf(users);
  if (scenario.evaluatesAll) {
    const keys = keysOf(scenario);
    return {
      isAsync: false,
      run: (userIndex) => ruleset.evaluateAll(contexts[userIndex]!),
      decide: (userIndex) => {
        const all = ruleset.evaluateAll(contexts[userIndex]!);
        return keys.map((key) => all[key]?.value === true);
      },
      close: () => undefined,
    };
  }
  const key = singleFlag(scenario).key;
  return {
    isAsync: false,
    run: (userIndex) => ruleset.evaluate(key, contexts[userIndex]!).value,
    decide: (userIndex) => [ruleset.evaluate(key, contexts[userIndex]!).value === true],
    close: () => undefined,
  };
};

async function buildSdk(scenario: Scenario, users: readonly BenchUser[], metrics: boolean): Promise<Subject> {
  assertBuiltPackages();
  const client = createClient({
    url: `http://${UNREACHABLE_SERVER}`,
    sdkKey: 'benchmark-offline',
    bootstrap: rulesetOf(scenario.flags),
    streaming: false,
    pollIntervalMs: DAY_MS,
    flushIntervalMs: DAY_MS,
    staleAfterMs: DAY_MS,
    metrics,
  });
  await client.ready();
  const contexts = contextsOf(users);
  const close = () => client.close();
  if (scenario.evaluatesAll) {
    const keys = keysOf(scenario);
    return {
      isAsync: false,
      run: (userIndex) => client.allFlags(contexts[userIndex]!),
      decide: (userIndex) => {
        const all = client.allFlags(contexts[userIndex]!);
        return keys.map((key) => all[key] === true);
      },
      close,
      expectedConnection: UNREACHABLE_SERVER,
    };
  }
  const key = singleFlag(scenario).key;
  return {
    isAsync: false,
    run: (userIndex) => client.isEnabled(key, contexts[userIndex]!, false),
    decide: (userIndex) => [client.isEnabled(key, contexts[userIndex]!, false)],
    close,
    expectedConnection: UNREACHABLE_SERVER,
  };
}

export const buildSdkWithMetrics: BuildSubject = (scenario, users) => buildSdk(scenario, users, true);
export const buildSdkWithoutMetrics: BuildSubject = (scenario, users) => buildSdk(scenario, users, false);
