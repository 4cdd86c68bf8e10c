import { describe, expect, it } from 'vitest';
import { buildRuleset, projectFlag } from '@switchboard/core';
import type { FlagDocument, SegmentDocument } from '@switchboard/core';

const doc: FlagDocument = {
  key: 'checkout-v2',
  description: 'New checkout flow',
  tags: ['payments'],
  variants: { on: true, off: false },
  prerequisites: [{ flag: 'new-cart', variants: ['on'] }],
  environments: {
    production: { enabled: true, offVariant: 'off', fallthrough: { variant: 'on' }, killed: null },
    staging: { enabled: false, offVariant: 'off', fallthrough: { variant: 'off' } },
  },
  version: 3,
};
const segment: SegmentDocument = { key: 'beta-testers', included: ['alice'], version: 2 };

describe('projectFlag', () => {
  it("combines the flag-level fields with one environment's configuration", () => {
    expect(projectFlag(doc, 'production')).toEqual({
      key: 'checkout-v2',
      variants: { on: true, off: false },
      prerequisites: [{ flag: 'new-cart', variants: ['on'] }],
      enabled: true,
      offVariant: 'off',
      fallthrough: { variant: 'on' },
      killed: null,
      version: 3,
    });
  });

  it('leaves out description and tags, which SDKs do not need', () => {
    expect(projectFlag(doc, 'staging')).not.toHaveProperty('description');
    expect(projectFlag(doc, 'staging')).not.toHaveProperty('tags');
  });

  it('is undefined for an absent environment, including Object.prototype names', () => {
    expect(projectFlag(doc, 'development')).toBeUndefined();
    expect(projectFlag(doc, 'constructor')).toBeUndefined();
  });
});

describe('buildRuleset', () => {
  it('holds the flags that have the environment and every segment', () => {
    const other: FlagDocument = {
      ...doc,
      key: 'staging-only',
      environments: { staging: doc.environments.staging! },
    };
    const ruleset = buildRuleset('production', 42, [doc, other], [segment]);
    expect(ruleset).toEqual({
      environment: 'production',
      version: 42,
      flags: { 'checkout-v2': projectFlag(doc, 'production') },
      segments: { 'beta-testers': segment },
    });
  });

  it('keeps a flag keyed "__proto__" as an ordinary entry', () => {
    const ruleset = buildRuleset('production', 1, [{ ...doc, key: '__proto__' }], []);
    expect(Object.keys(ruleset.flags)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(ruleset)).flags.__proto__.key).toBe('__proto__');
  });
});
