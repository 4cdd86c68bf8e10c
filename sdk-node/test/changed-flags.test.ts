import { describe, expect, it } from 'vitest';
import type { EnvironmentRuleset, FlagConfig } from '@switchboard/core';
import { affectedByReplacement, FlagDependencies, servesRollout } from '../src/changed-flags';
import { booleanFlag, ruleset } from './fake-server';

const inSegment = (key: string, segment: string): FlagConfig =>
  booleanFlag(key, false, { rules: [{ id: 'r', clauses: [{ segment }], serve: { variant: 'on' } }] });
const requires = (key: string, prerequisite: string): FlagConfig =>
  booleanFlag(key, true, { prerequisites: [{ flag: prerequisite, variants: ['on'] }] });

const RULESET: EnvironmentRuleset = {
  ...ruleset(1, {
    base: booleanFlag('base', true),
    child: requires('child', 'base'),
    grandchild: requires('grandchild', 'child'),
    beta: inSegment('beta', 'testers'),
    'beta-child': requires('beta-child', 'beta'),
    other: booleanFlag('other', true),
  }),
  segments: { testers: { key: 'testers', included: ['ann'], version: 1 } },
};

const affectedFlags = (
  { flags }: Pick<EnvironmentRuleset, 'flags'>,
  changedFlags: string[],
  changedSegments: string[],
): string[] => new FlagDependencies(flags).affectedBy(changedFlags, changedSegments);

describe('FlagDependencies.affectedBy', () => {
  it('adds the flags that depend on a changed flag, transitively', () => {
    expect(affectedFlags(RULESET, ['base'], []).sort()).toEqual(['base', 'child', 'grandchild']);
    expect(affectedFlags(RULESET, ['grandchild'], [])).toEqual(['grandchild']);
  });

  it('names the flags using a changed segment, and their dependents', () => {
    expect(affectedFlags(RULESET, [], ['testers']).sort()).toEqual(['beta', 'beta-child']);
    expect(affectedFlags(RULESET, [], ['unused'])).toEqual([]);
  });

  it('reports a deleted flag itself', () => {
    expect(affectedFlags(RULESET, ['gone'], [])).toEqual(['gone']);
  });

  it('stops at prerequisite cycles', () => {
    const cycle = { a: requires('a', 'b'), b: requires('b', 'a') };
    expect(affectedFlags({ flags: cycle }, ['a'], []).sort()).toEqual(['a', 'b']);
  });
});

describe('FlagDependencies.setFlag', () => {
  it('follows flags that gain, lose or change prerequisites and segments', () => {
    const dependencies = new FlagDependencies(RULESET.flags);
    // grandchild now requires beta instead of child; other starts using the testers segment.
    dependencies.setFlag('grandchild', RULESET.flags.grandchild, requires('grandchild', 'beta'));
    dependencies.setFlag('other', RULESET.flags.other, inSegment('other', 'testers'));
    expect(dependencies.affectedBy(['base'], []).sort()).toEqual(['base', 'child']);
    expect(dependencies.affectedBy([], ['testers']).sort()).toEqual([
      'beta',
      'beta-child',
      'grandchild',
      'other',
    ]);
  });

  it('forgets a deleted flag as a dependant but keeps what depends on it', () => {
    const dependencies = new FlagDependencies(RULESET.flags);
    dependencies.setFlag('child', RULESET.flags.child, undefined);
    expect(dependencies.affectedBy(['base'], [])).toEqual(['base']);
    expect(dependencies.affectedBy(['child'], []).sort()).toEqual(['child', 'grandchild']);
  });

  it('links an added flag, and one added back after a delete', () => {
    const dependencies = new FlagDependencies(RULESET.flags);
    dependencies.setFlag('late', undefined, requires('late', 'grandchild'));
    dependencies.setFlag('beta', RULESET.flags.beta, undefined);
    dependencies.setFlag('beta', undefined, RULESET.flags.beta);
    expect(dependencies.affectedBy(['base'], []).sort()).toEqual(['base', 'child', 'grandchild', 'late']);
    expect(dependencies.affectedBy([], ['testers']).sort()).toEqual(['beta', 'beta-child']);
  });

  it('agrees with a rebuild after any sequence of changes', () => {
    const variants = [
      booleanFlag('x', true),
      requires('x', 'base'),
      requires('x', 'beta'),
      inSegment('x', 'testers'),
      booleanFlag('x', true, {
        prerequisites: [{ flag: 'child', variants: ['on'] }],
        rules: [{ id: 'r', clauses: [{ segment: 'testers' }], serve: { variant: 'on' } }],
      }),
      undefined,
    ];
    const keys = Object.keys(RULESET.flags);
    const flags: Record<string, FlagConfig> = { ...RULESET.flags };
    const dependencies = new FlagDependencies(flags);
    for (let step = 0; step < 200; step++) {
      const key = keys[(step * 7) % keys.length] as string;
      const next = variants[(step * 5) % variants.length];
      const config = next === undefined ? undefined : { ...next, key };
      dependencies.setFlag(key, flags[key], config);
      if (config === undefined) delete flags[key];
      else flags[key] = config;
      const rebuilt = new FlagDependencies(flags);
      for (const changed of keys)
        expect(dependencies.affectedBy([changed], []).sort()).toEqual(
          rebuilt.affectedBy([changed], []).sort(),
        );
      expect(dependencies.affectedBy([], ['testers']).sort()).toEqual(
        rebuilt.affectedBy([], ['testers']).sort(),
      );
    }
  });
});

describe('affectedByReplacement', () => {
  it('finds added, removed and modified flags and segments, ignoring identical ones', () => {
    const next: EnvironmentRuleset = {
      ...RULESET,
      version: 2,
      flags: { ...RULESET.flags, other: booleanFlag('other', false), added: booleanFlag('added', true) },
      segments: { testers: { key: 'testers', included: ['ann', 'ben'], version: 2 } },
    };
    delete next.flags.grandchild;
    expect(affectedByReplacement(RULESET, next, new FlagDependencies(next.flags)).sort()).toEqual([
      'added',
      'beta',
      'beta-child',
      'grandchild',
      'other',
    ]);
    const same = structuredClone(RULESET);
    expect(affectedByReplacement(RULESET, same, new FlagDependencies(same.flags))).toEqual([]);
  });
});

describe('malformed rulesets', () => {
  it('never throw while finding affected flags', () => {
    const malformed = {
      ...ruleset(1, {}),
      flags: {
        odd: { ...booleanFlag('odd', true), rules: {} as never, prerequisites: [null] as never },
        odder: { ...booleanFlag('odder', true), rules: [{ id: 'r', clauses: 'x' }] as never },
      },
    };
    expect(affectedFlags(malformed, ['odd'], ['seg'])).toEqual(['odd']);
    const dependencies = new FlagDependencies(malformed.flags);
    expect(() => dependencies.setFlag('odd', malformed.flags.odd, null as never)).not.toThrow();
  });
});

describe('servesRollout', () => {
  const flag = (config: Record<string, unknown>) => config as unknown as FlagConfig;
  it('is true for a rollout in the fallthrough or in any rule, false otherwise and for malformed flags', () => {
    const rollout = { rollout: { weights: [{ variant: 'on', weight: 100_000 }] } };
    expect(servesRollout(flag({ fallthrough: rollout }))).toBe(true);
    expect(
      servesRollout(
        flag({ fallthrough: { variant: 'on' }, rules: [{ serve: { variant: 'on' } }, { serve: rollout }] }),
      ),
    ).toBe(true);
    expect(
      servesRollout(flag({ fallthrough: { variant: 'on' }, rules: [{ serve: { variant: 'off' } }] })),
    ).toBe(false);
    expect(servesRollout(undefined)).toBe(false);
    expect(servesRollout(flag({ fallthrough: null, rules: 'nonsense' }))).toBe(false);
    expect(servesRollout(flag({ rules: [null, { serve: 7 }] }))).toBe(false);
  });
});
