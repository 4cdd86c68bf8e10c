import { describe, expect, it } from 'vitest';
import type { EnvironmentRuleset, FlagConfig } from '@switchboard/core';
import { affectedByReplacement, affectedFlags } from '../src/changed-flags';
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

describe('affectedFlags', () => {
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
    expect(affectedByReplacement(RULESET, next).sort()).toEqual([
      'added',
      'beta',
      'beta-child',
      'grandchild',
      'other',
    ]);
    expect(affectedByReplacement(RULESET, structuredClone(RULESET))).toEqual([]);
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
  });
});
