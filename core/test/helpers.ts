/** Small builders shared by core's tests. */
import { compileRuleset } from '@switchboard/core';
import type { CompiledRuleset, FlagConfig, Rollout, SegmentDocument } from '@switchboard/core';

/** A boolean flag (variants on/off) that is enabled and falls through to "off" unless overridden. */
export function booleanFlag(key: string, overrides: Partial<FlagConfig> = {}): FlagConfig {
  return {
    key,
    variants: { on: true, off: false },
    enabled: true,
    offVariant: 'off',
    fallthrough: { variant: 'off' },
    killed: null,
    version: 1,
    ...overrides,
  };
}

/** A boolean flag whose fallthrough serves "on" to `onWeight` of 100000 buckets. */
export function percentageFlag(key: string, onWeight: number, rollout: Partial<Rollout> = {}): FlagConfig {
  const buckets = rollout.buckets ?? 100_000;
  return booleanFlag(key, {
    fallthrough: {
      rollout: {
        ...rollout,
        weights: [
          { variant: 'on', weight: onWeight },
          { variant: 'off', weight: buckets - onWeight },
        ],
      },
    },
  });
}

export function compile(flags: FlagConfig[], segments: SegmentDocument[] = []): CompiledRuleset {
  return compileRuleset({
    environment: 'test',
    version: 1,
    flags: Object.fromEntries(flags.map((flag) => [flag.key, flag])),
    segments: Object.fromEntries(segments.map((segment) => [segment.key, segment])),
  });
}

/** A deterministic pseudo-random generator (mulberry32), for statistical tests that must not flake. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct random user ids drawn from `random`. */
export function randomUserIds(count: number, random: () => number): string[] {
  return Array.from({ length: count }, (_, i) => `${Math.floor(random() * 2 ** 32).toString(36)}-${i}`);
}
