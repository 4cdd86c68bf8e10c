/** Scenario specs as Switchboard flags: the per-environment FlagConfig an SDK receives, and rulesets of them. */
import type { AttributeClause, EnvironmentRuleset, FlagConfig, Serve } from '@switchboard/core';
import type { ClauseSpec, FlagSpec } from '../scenarios';

export const BENCH_ENVIRONMENT = 'production';

function clause(spec: ClauseSpec): AttributeClause {
  switch (spec.op) {
    case 'in':
      return { attribute: spec.attribute, op: 'in', values: spec.values };
    case 'eq':
      return { attribute: spec.attribute, op: 'eq', values: [spec.value] };
    case 'semverGte':
      return { attribute: spec.attribute, op: 'semverGte', values: [spec.value] };
  }
}

function serve(flag: FlagSpec): Serve {
  if (flag.rolloutPercent === null) return { variant: 'on' };
  const onWeight = flag.rolloutPercent * 1000; // 100,000 buckets: units of 0.001%.
  return {
    rollout: {
      bucketBy: 'userId',
      weights: [
        { variant: 'on', weight: onWeight },
        { variant: 'off', weight: 100_000 - onWeight },
      ],
    },
  };
}

export function flagConfig(flag: FlagSpec, version = 1): FlagConfig {
  const targeted = flag.clauses.length > 0;
  return {
    key: flag.key,
    variants: { on: true, off: false },
    version,
    enabled: flag.enabled,
    offVariant: 'off',
    targets: [],
    rules: targeted
      ? [{ id: `${flag.key}-rule`, clauses: flag.clauses.map(clause), serve: serve(flag) }]
      : [],
    fallthrough: targeted ? { variant: 'off' } : serve(flag),
    killed: null,
  };
}

export function rulesetOf(flags: readonly FlagSpec[]): EnvironmentRuleset {
  return {
    environment: BENCH_ENVIRONMENT,
    version: 1,
    flags: Object.fromEntries(flags.map((flag) => [flag.key, flagConfig(flag)])),
    segments: {},
  };
}
