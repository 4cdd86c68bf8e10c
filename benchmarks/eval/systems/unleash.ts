/**
 * unleash-client bootstrapped from local data: refreshInterval 0 (never fetches), metrics off, in-memory
 * storage, and an unreachable 127.0.0.1 url that is never contacted (the worker's network guard checks).
 */
import { InMemStorageProvider, Unleash } from 'unleash-client';
import type { ClientFeaturesResponse } from 'unleash-client';
import { Operator } from 'unleash-client/lib/strategy/strategy';
import type { Constraint } from 'unleash-client/lib/strategy/strategy';
import type { ClauseSpec, FlagSpec } from '../scenarios';
import { singleFlag } from '../scenarios';
import type { BuildSubject } from './types';
import { contextsFor } from './types';

type FeatureInterface = ClientFeaturesResponse['features'][number];

function constraint(clause: ClauseSpec): Constraint {
  const base = { contextName: clause.attribute, inverted: false };
  switch (clause.op) {
    case 'in':
      return { ...base, operator: Operator.IN, values: clause.values };
    case 'eq': // Unleash's IN is equality with any of the values.
      return { ...base, operator: Operator.IN, values: [clause.value] };
    case 'semverGte':
      return { ...base, operator: Operator.SEMVER_GTE, values: [], value: clause.value };
  }
}

function feature(flag: FlagSpec): FeatureInterface {
  const constraints = flag.clauses.map(constraint);
  const strategy =
    flag.rolloutPercent === null
      ? { name: 'default', parameters: {}, constraints }
      : {
          name: 'flexibleRollout',
          parameters: { rollout: String(flag.rolloutPercent), stickiness: 'userId', groupId: flag.key },
          constraints,
        };
  return {
    name: flag.key,
    enabled: flag.enabled,
    type: 'release',
    project: 'default',
    stale: false,
    impressionData: false,
    strategies: [strategy],
    variants: [],
  };
}

async function startOffline(features: FeatureInterface[]): Promise<Unleash> {
  const unleash = new Unleash({
    appName: 'switchboard-benchmark',
    url: 'http://127.0.0.1:9/api/',
    refreshInterval: 0,
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: features },
    skipInstanceCountWarning: true,
  });
  await new Promise<void>((resolve, reject) => {
    unleash.once('ready', () => resolve());
    unleash.once('error', reject);
  });
  return unleash;
}

export const build: BuildSubject = async (scenario, users) => {
  const unleash = await startOffline(scenario.flags.map(feature));
  const contexts = contextsFor(users, (user) => ({
    userId: user.userId,
    properties: { country: user.country, plan: user.plan, appVersion: user.appVersion },
  }));
  const close = () => unleash.destroy();

  if (scenario.evaluatesAll) {
    // No "evaluate everything" call in the public API: loop over the keys with isEnabled.
    const keys = scenario.flags.map((flag) => flag.key);
    return {
      isAsync: false,
      run: (userIndex) => {
        const context = contexts[userIndex]!;
        let on = 0;
        for (const key of keys) if (unleash.isEnabled(key, context)) on++;
        return on;
      },
      decide: (userIndex) => keys.map((key) => unleash.isEnabled(key, contexts[userIndex]!)),
      close,
    };
  }

  const key = singleFlag(scenario).key;
  return {
    isAsync: false,
    run: (userIndex) => unleash.isEnabled(key, contexts[userIndex]!),
    decide: (userIndex) => [unleash.isEnabled(key, contexts[userIndex]!)],
    close,
  };
};
