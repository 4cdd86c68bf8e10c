/**
 * Every system the evaluation suite measures. Each is loaded lazily, so a worker process imports only the
 * package it measures.
 */
import type { Scenario } from '../scenarios';
import type { BenchSystem } from './types';

export const SYSTEMS: readonly BenchSystem[] = [
  {
    id: 'switchboard-core',
    label: 'sb core',
    kind: 'switchboard',
    packageName: '@switchboard/core',
    api: {
      singleFlag: 'compileRuleset(r).evaluate(key, ctx).value',
      allFlags: 'compileRuleset(r).evaluateAll(ctx)',
    },
    load: () => import('./switchboard').then((module) => ({ build: module.buildCore })),
  },
  {
    id: 'switchboard-sdk',
    label: 'sb sdk',
    kind: 'switchboard',
    packageName: '@switchboard/sdk-node',
    api: { singleFlag: 'client.isEnabled(key, ctx, false) (metrics on)', allFlags: 'client.allFlags(ctx)' },
    load: () => import('./switchboard').then((module) => ({ build: module.buildSdkWithMetrics })),
  },
  {
    id: 'switchboard-sdk-nometrics',
    label: 'sb sdk -metrics',
    kind: 'switchboard',
    packageName: '@switchboard/sdk-node',
    api: { singleFlag: 'client.isEnabled(key, ctx, false) (metrics off)', allFlags: 'client.allFlags(ctx)' },
    load: () => import('./switchboard').then((module) => ({ build: module.buildSdkWithoutMetrics })),
  },
  {
    id: 'flagd-core',
    label: 'flagd-core',
    kind: 'peer',
    packageName: '@openfeature/flagd-core',
    api: { singleFlag: 'core.resolveBooleanEvaluation(key, false, ctx)', allFlags: 'core.resolveAll(ctx)' },
    load: () => import('./flagd'),
  },
  {
    id: 'growthbook',
    label: 'growthbook',
    kind: 'peer',
    packageName: '@growthbook/growthbook',
    api: { singleFlag: 'client.isOn(key, { attributes })', allFlags: 'isOn per key (no all-flags call)' },
    load: () => import('./growthbook'),
  },
  {
    id: 'launchdarkly',
    label: 'launchdarkly',
    kind: 'peer',
    packageName: '@launchdarkly/node-server-sdk',
    api: {
      singleFlag: 'await client.variation(key, ctx, false)',
      allFlags: 'await client.allFlagsState(ctx)',
    },
    load: () => import('./launchdarkly'),
  },
  {
    id: 'unleash',
    label: 'unleash',
    kind: 'peer',
    packageName: 'unleash-client',
    api: { singleFlag: 'unleash.isEnabled(key, ctx)', allFlags: 'isEnabled per key (no all-flags call)' },
    load: () => import('./unleash'),
  },
  {
    id: 'map-get',
    label: 'Map.get',
    kind: 'baseline',
    packageName: null,
    api: { singleFlag: 'map.get(key).enabled', allFlags: null },
    scenarios: ['plain'],
    load: () => import('./baselines').then((module) => ({ build: module.buildMapGet })),
  },
  {
    id: 'object-lookup',
    label: 'object',
    kind: 'baseline',
    packageName: null,
    api: { singleFlag: 'nullProtoObject[key].enabled', allFlags: null },
    scenarios: ['plain'],
    load: () => import('./baselines').then((module) => ({ build: module.buildObjectLookup })),
  },
  {
    id: 'murmurhash-naive',
    label: 'murmurhash',
    kind: 'baseline',
    packageName: 'murmurhash',
    api: { singleFlag: 'v3(`${key}:${userId}`) % 100000 < 25000', allFlags: null },
    scenarios: ['rollout'],
    load: () => import('./baselines').then((module) => ({ build: module.buildNaiveRollout })),
  },
];

export function systemById(id: string): BenchSystem {
  const system = SYSTEMS.find((candidate) => candidate.id === id);
  if (!system) throw new Error(`unknown system "${id}" (known: ${SYSTEMS.map((s) => s.id).join(', ')})`);
  return system;
}

export function measures(system: BenchSystem, scenario: Scenario): boolean {
  return system.scenarios === undefined || system.scenarios.includes(scenario.id);
}
