/**
 * The focused edits of one flag environment (toggle, rollout, targets, rule order, kill). Each is
 * pure: it answers the new environment configuration, or throws 422 when the request does not fit
 * the flag. The caller validates the resulting document and stores it.
 */
import type { FlagEnvironment, KillState, Rollout, Serve, Target } from '@switchboard/core';
import { unprocessable } from '../errors';

export type EnvironmentEdit = (config: FlagEnvironment) => FlagEnvironment;

export const setEnabled =
  (enabled: boolean): EnvironmentEdit =>
  (config) => ({ ...config, enabled });

export interface RolloutChange {
  weights: Rollout['weights'];
  bucketBy?: string;
  /** The rule whose serve becomes the rollout; the fallthrough when absent. */
  ruleId?: string;
}

/** Replaces the weights (and bucketBy when given); salt, seed and buckets of a rollout are kept. */
export const setRollout =
  ({ weights, bucketBy, ruleId }: RolloutChange): EnvironmentEdit =>
  (config) => {
    const rollout = (serve: Serve): Serve => {
      const previous = 'rollout' in serve ? serve.rollout : {};
      return { rollout: { ...previous, ...(bucketBy === undefined ? {} : { bucketBy }), weights } };
    };
    if (ruleId === undefined) return { ...config, fallthrough: rollout(config.fallthrough) };
    const rules = config.rules ?? [];
    if (!rules.some((rule) => rule.id === ruleId)) {
      throw unprocessable(`the flag has no rule "${ruleId}" in this environment`, [
        { path: '/body/ruleId', problem: 'no rule with this id' },
      ]);
    }
    return {
      ...config,
      rules: rules.map((rule) => (rule.id === ruleId ? { ...rule, serve: rollout(rule.serve) } : rule)),
    };
  };

export interface TargetChange {
  variant: string;
  values: string[];
  /** Context attribute; default `userId`. */
  attribute?: string;
}

const DEFAULT_TARGET_ATTRIBUTE = 'userId';
const targetsAttribute = (target: Target, attribute: string) =>
  (target.attribute ?? DEFAULT_TARGET_ATTRIBUTE) === attribute;

/**
 * Serves `variant` to the values. A value targeted at another variant (same attribute) moves, since
 * a context can only be in one target list; a list emptied by the move disappears.
 */
export const addTargets =
  ({ variant, values, attribute = DEFAULT_TARGET_ATTRIBUTE }: TargetChange): EnvironmentEdit =>
  (config) => {
    const adding = new Set(values);
    const targets: Target[] = [];
    let added = false;
    for (const target of config.targets ?? []) {
      if (!targetsAttribute(target, attribute)) {
        targets.push(target);
      } else if (target.variant === variant) {
        const kept = new Set(target.values);
        targets.push({
          ...target,
          values: [...target.values, ...[...adding].filter((value) => !kept.has(value))],
        });
        added = true;
      } else {
        const remaining = target.values.filter((value) => !adding.has(value));
        if (remaining.length === target.values.length) targets.push(target);
        else if (remaining.length > 0) targets.push({ ...target, values: remaining });
      }
    }
    if (!added) {
      const isDefault = attribute === DEFAULT_TARGET_ATTRIBUTE;
      targets.push({ ...(isDefault ? {} : { attribute }), values: [...adding], variant });
    }
    return { ...config, targets };
  };

/** Stops serving `variant` to the values; a list left empty disappears. */
export const removeTargets =
  ({ variant, values, attribute = DEFAULT_TARGET_ATTRIBUTE }: TargetChange): EnvironmentEdit =>
  (config) => {
    if (config.targets === undefined) return config;
    const removing = new Set(values);
    const targets: Target[] = [];
    for (const target of config.targets ?? []) {
      if (!targetsAttribute(target, attribute) || target.variant !== variant) {
        targets.push(target);
        continue;
      }
      const remaining = target.values.filter((value) => !removing.has(value));
      if (remaining.length === target.values.length) targets.push(target);
      else if (remaining.length > 0) targets.push({ ...target, values: remaining });
    }
    return { ...config, targets };
  };

/** Puts the rules in the given order; `ruleIds` must name every rule exactly once. */
export const reorderRules =
  (ruleIds: string[]): EnvironmentEdit =>
  (config) => {
    const rules = config.rules ?? [];
    const byId = new Map(rules.map((rule) => [rule.id, rule]));
    const isPermutation =
      ruleIds.length === rules.length &&
      new Set(ruleIds).size === ruleIds.length &&
      ruleIds.every((id) => byId.has(id));
    if (!isPermutation) {
      throw unprocessable('ruleIds must list every rule of the environment exactly once', [
        {
          path: '/body/ruleIds',
          problem: `expected a permutation of [${rules.map((rule) => rule.id).join(', ')}]`,
        },
      ]);
    }
    return config.rules === undefined ? config : { ...config, rules: ruleIds.map((id) => byId.get(id)!) };
  };

/** A kill changes nothing but `killed`; killing a killed flag keeps the first kill. */
export const kill =
  (state: KillState): EnvironmentEdit =>
  (config) =>
    config.killed ? config : { ...config, killed: state };

/** Restores the configuration from before the kill: only `killed` was changed by it. */
export const unkill: EnvironmentEdit = (config) => ({ ...config, killed: null });
