import type { FlagDocument, FlagEnvironment } from '@switchboard/core';
import { bucketsOf, formatPercent } from './rollout';

export type EnvironmentState = 'killed' | 'off' | 'ramping' | 'on';

export interface EnvironmentStatus {
  state: EnvironmentState;
  /** Short text for the status pill: "Killed", "Off", "Ramping 25% on", "Split 3 ways", "On". */
  label: string;
}

/**
 * The variant a rollout ramps up: the one whose value is `true`, else the first variant that is not the
 * environment's off variant. The rollout slider moves this variant's share.
 */
export function primaryVariant(
  flag: Pick<FlagDocument, 'variants'>,
  variants: readonly string[],
  offVariant: string,
): string {
  return (
    variants.find((v) => flag.variants[v] === true) ??
    variants.find((v) => v !== offVariant) ??
    variants[0] ??
    ''
  );
}

export function environmentStatus(flag: FlagDocument, environment: FlagEnvironment): EnvironmentStatus {
  if (environment.killed) return { state: 'killed', label: 'Killed' };
  if (!environment.enabled) return { state: 'off', label: 'Off' };
  const serve = environment.fallthrough;
  if ('rollout' in serve) {
    const weights = serve.rollout.weights;
    const serving = weights.filter((w) => w.weight > 0).length;
    if (serving > 2) return { state: 'ramping', label: `Split ${serving} ways` };
    const ramped = primaryVariant(
      flag,
      weights.map((w) => w.variant),
      environment.offVariant,
    );
    const weight = weights.find((w) => w.variant === ramped)?.weight ?? 0;
    const buckets = bucketsOf(serve.rollout);
    if (weight < buckets) {
      return { state: 'ramping', label: `Ramping ${formatPercent(weight, buckets)} ${ramped}` };
    }
  }
  const variant = 'variant' in serve ? serve.variant : undefined;
  const showVariant = variant !== undefined && flag.variants[variant] !== true;
  return { state: 'on', label: showVariant ? `On · ${variant}` : 'On' };
}
