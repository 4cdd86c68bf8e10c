import { describe, expect, it } from 'vitest';
import { LIMITS, validateFlag, validateSegment } from '@switchboard/core';
import type { FlagDocument, FlagEnvironment, SegmentDocument } from '@switchboard/core';
import { loadVectors } from '../../test/vectors/vectors';

/** The flag document of the public contract (issue 2), valid against `refs`. */
function checkoutV2(): FlagDocument {
  return {
    key: 'checkout-v2',
    description: 'New checkout flow',
    tags: ['payments'],
    variants: { on: true, off: false },
    prerequisites: [{ flag: 'new-cart', variants: ['on'] }],
    environments: {
      production: {
        enabled: true,
        offVariant: 'off',
        targets: [{ attribute: 'userId', values: ['alice', 'bob'], variant: 'on' }],
        rules: [
          {
            id: 'eu-pro',
            clauses: [
              { attribute: 'country', op: 'in', values: ['DE', 'FR', 'NL'] },
              { attribute: 'plan', op: 'eq', values: ['pro'] },
              { attribute: 'appVersion', op: 'semverGte', values: ['2.3.0'], negate: false },
              { segment: 'beta-testers' },
            ],
            serve: {
              rollout: {
                bucketBy: 'userId',
                weights: [
                  { variant: 'on', weight: 25000 },
                  { variant: 'off', weight: 75000 },
                ],
              },
            },
          },
        ],
        fallthrough: { variant: 'off' },
        killed: null,
      },
    },
    version: 3,
  };
}

const newCart: FlagDocument = {
  key: 'new-cart',
  variants: { on: true, off: false },
  environments: { production: { enabled: true, offVariant: 'off', fallthrough: { variant: 'on' } } },
  version: 1,
};
const refs = { segments: new Set(['beta-testers']), flags: new Map([['new-cart', newCart]]) };

function production(doc: FlagDocument): FlagEnvironment {
  return doc.environments.production as FlagEnvironment;
}

/** The problems of checkoutV2() after `change`. */
function problemsAfter(change: (doc: FlagDocument) => void, references = refs) {
  const doc = checkoutV2();
  change(doc);
  return validateFlag(doc, references);
}

describe('validateFlag', () => {
  it('accepts the contract example', () => {
    expect(validateFlag(checkoutV2(), refs)).toEqual([]);
  });

  it.each<[string, (doc: FlagDocument) => void, string, string]>([
    [
      'unknown offVariant',
      (d) => (production(d).offVariant = 'of'),
      '/environments/production/offVariant',
      'unknown variant "of"',
    ],
    [
      'unknown target variant',
      (d) => (production(d).targets![0]!.variant = 'x'),
      '/environments/production/targets/0/variant',
      'unknown variant',
    ],
    [
      'unknown served variant',
      (d) => (production(d).fallthrough = { variant: 'x' }),
      '/environments/production/fallthrough/variant',
      'unknown variant',
    ],
    [
      'unknown rollout variant',
      (d) => (production(d).rules![0]!.serve = { rollout: { weights: [{ variant: 'x', weight: 100000 }] } }),
      '/environments/production/rules/0/serve/rollout/weights/0/variant',
      'unknown variant',
    ],
    [
      'weights not summing to buckets',
      (d) => (production(d).rules![0]!.serve = { rollout: { weights: [{ variant: 'on', weight: 99999 }] } }),
      '/environments/production/rules/0/serve/rollout/weights',
      'weights sum to 99999; they must sum to 100000',
    ],
    [
      'weights summing to a custom bucket count',
      (d) =>
        (production(d).fallthrough = {
          rollout: { buckets: 100, weights: [{ variant: 'on', weight: 100000 }] },
        }),
      '/environments/production/fallthrough/rollout/weights',
      'they must sum to 100',
    ],
    [
      'fractional weights',
      (d) => (production(d).fallthrough = { rollout: { weights: [{ variant: 'on', weight: 0.5 }] } }),
      '/environments/production/fallthrough/rollout/weights/0/weight',
      'integer',
    ],
    [
      'duplicate rule ids',
      (d) => production(d).rules!.push({ id: 'eu-pro', clauses: [], serve: { variant: 'on' } }),
      '/environments/production/rules/1/id',
      'duplicate rule id "eu-pro"',
    ],
    [
      'unknown segment',
      (d) => (production(d).rules![0]!.clauses[3] = { segment: 'gone' }),
      '/environments/production/rules/0/clauses/3/segment',
      'unknown segment "gone"',
    ],
    [
      'invalid regex',
      (d) => (production(d).rules![0]!.clauses[0] = { attribute: 'email', op: 'matches', values: ['(a'] }),
      '/environments/production/rules/0/clauses/0/values/0',
      "missing ')'",
    ],
    [
      'unsafe regex construct',
      (d) =>
        (production(d).rules![0]!.clauses[0] = { attribute: 'email', op: 'matches', values: ['(a)\\1'] }),
      '/environments/production/rules/0/clauses/0/values/0',
      'backreferences',
    ],
    [
      'unparseable semver',
      (d) =>
        (production(d).rules![0]!.clauses[2] = { attribute: 'appVersion', op: 'semverGte', values: ['2.3'] }),
      '/environments/production/rules/0/clauses/2/values/0',
      'semantic version',
    ],
    [
      'unparseable date',
      (d) =>
        (production(d).rules![0]!.clauses[2] = {
          attribute: 'createdAt',
          op: 'before',
          values: ['next week'],
        }),
      '/environments/production/rules/0/clauses/2/values/0',
      'ISO-8601',
    ],
    [
      'unparseable number',
      (d) => (production(d).rules![0]!.clauses[2] = { attribute: 'age', op: 'lt', values: ['ten'] }),
      '/environments/production/rules/0/clauses/2/values/0',
      'must be a number',
    ],
    [
      'non-string value for a string operator',
      (d) => (production(d).rules![0]!.clauses[2] = { attribute: 'email', op: 'endsWith', values: [5] }),
      '/environments/production/rules/0/clauses/2/values/0',
      'must be a string',
    ],
    [
      'operator without values',
      (d) => (production(d).rules![0]!.clauses[0] = { attribute: 'country', op: 'in', values: [] }),
      '/environments/production/rules/0/clauses/0/values',
      'in needs at least one value',
    ],
    [
      'prerequisite on a missing flag',
      (d) => (d.prerequisites = [{ flag: 'nope', variants: ['on'] }]),
      '/prerequisites/0/flag',
      'unknown flag "nope"',
    ],
    [
      'self-prerequisite',
      (d) => (d.prerequisites = [{ flag: 'checkout-v2', variants: ['on'] }]),
      '/prerequisites/0/flag',
      'its own prerequisite',
    ],
    [
      'prerequisite variant the prerequisite flag lacks',
      (d) => (d.prerequisites = [{ flag: 'new-cart', variants: ['enabled'] }]),
      '/prerequisites/0/variants/0',
      'flag "new-cart" has no variant "enabled"',
    ],
    ['invalid key', (d) => (d.key = 'a b'), '/key', 'whitespace'],
    [
      'invalid environment name',
      (d) => (d.environments['pro/d'] = production(d)),
      '/environments/pro~1d',
      'environment name',
    ],
    [
      'invalid kill time',
      (d) => (production(d).killed = { at: 'now', by: 'me', reason: 'x' }),
      '/environments/production/killed/at',
      'ISO-8601',
    ],
  ])('reports %s', (_name, change, path, problem) => {
    const problems = problemsAfter(change);
    expect(problems).toContainEqual({ path, problem: expect.stringContaining(problem) });
  });

  it('reports prerequisite cycles through the other flags', () => {
    const cartNeedsCheckout = { ...newCart, prerequisites: [{ flag: 'checkout-v2', variants: ['on'] }] };
    const problems = problemsAfter(() => {}, { ...refs, flags: new Map([['new-cart', cartNeedsCheckout]]) });
    expect(problems).toEqual([
      { path: '/prerequisites/0/flag', problem: 'prerequisite cycle: checkout-v2 → new-cart → checkout-v2' },
    ]);
  });

  it('reports longer cycles and uses the document, not the stored version, for the flag itself', () => {
    const a: FlagDocument = { ...newCart, key: 'a', prerequisites: [{ flag: 'b', variants: ['on'] }] };
    const b: FlagDocument = {
      ...newCart,
      key: 'b',
      prerequisites: [{ flag: 'checkout-v2', variants: ['on'] }],
    };
    const storedCheckout = { ...checkoutV2(), prerequisites: [] };
    const flags = new Map([
      ['a', a],
      ['b', b],
      ['new-cart', newCart],
      ['checkout-v2', storedCheckout],
    ]);
    const problems = problemsAfter((d) => (d.prerequisites = [{ flag: 'a', variants: ['on'] }]), {
      ...refs,
      flags,
    });
    expect(problems).toEqual([
      { path: '/prerequisites/0/flag', problem: 'prerequisite cycle: checkout-v2 → a → b → checkout-v2' },
    ]);
  });

  describe('schema', () => {
    it('rejects unknown properties, naming them', () => {
      const problems = problemsAfter((d) => Object.assign(production(d).fallthrough, { extra: 1 }));
      expect(problems).toEqual([
        { path: '/environments/production/fallthrough/extra', problem: 'unknown property' },
      ]);
    });

    it('reports a union member against the branch it was meant to be', () => {
      const problems = problemsAfter((d) =>
        Object.assign(production(d).rules![0]!.clauses[3]!, { op: 'in' }),
      );
      expect(problems).toEqual([
        { path: '/environments/production/rules/0/clauses/3/op', problem: 'unknown property' },
      ]);
    });

    it('lists the operators for an unknown op', () => {
      const problems = problemsAfter((d) =>
        Object.assign(production(d).rules![0]!.clauses[0]!, { op: 'like' }),
      );
      expect(problems).toEqual([
        {
          path: '/environments/production/rules/0/clauses/0/op',
          problem: expect.stringContaining('in, notIn, eq'),
        },
      ]);
    });

    it.each<[string, (doc: FlagDocument) => void, string]>([
      [
        'too many tags',
        (d) => (d.tags = Array.from({ length: LIMITS.tags + 1 }, (_, i) => `t${i}`)),
        '/tags',
      ],
      [
        'a long description',
        (d) => (d.description = 'x'.repeat(LIMITS.descriptionLength + 1)),
        '/description',
      ],
      ['no variants', (d) => (d.variants = {}), '/variants'],
      ['a negative version', (d) => (d.version = -1), '/version'],
      ['a fractional version', (d) => (d.version = 1.5), '/version'],
      [
        'too many clause values',
        (d) =>
          (production(d).rules![0]!.clauses[0] = {
            attribute: 'a',
            op: 'in',
            values: new Array(LIMITS.values + 1).fill('x'),
          }),
        '/environments/production/rules/0/clauses/0/values',
      ],
      [
        'too many rules',
        (d) =>
          (production(d).rules = Array.from({ length: LIMITS.rules + 1 }, (_, i) => ({
            id: `r${i}`,
            clauses: [],
            serve: { variant: 'on' },
          }))),
        '/environments/production/rules',
      ],
      [
        'a missing fallthrough',
        (d) => delete (production(d) as Partial<FlagEnvironment>).fallthrough,
        '/environments/production',
      ],
    ])('rejects %s', (_name, change, path) => {
      const problems = problemsAfter(change);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.map((p) => p.path)).toContain(path);
    });
  });

  it('accepts every flag of the shared test vectors, except the deliberately dangling references', () => {
    const dangling = new Set(['child-of-missing', 'in-missing-segment']);
    for (const file of loadVectors()) {
      const documents = new Map(
        Object.values(file.ruleset.flags).map(
          ({ key, variants, prerequisites, version, ...environment }): [string, FlagDocument] => [
            key,
            {
              key,
              variants,
              ...(prerequisites ? { prerequisites } : {}),
              environments: { [file.ruleset.environment]: environment },
              version,
            },
          ],
        ),
      );
      const references = { segments: new Set(Object.keys(file.ruleset.segments)), flags: documents };
      for (const [key, doc] of documents) {
        const problems = validateFlag(doc, references);
        if (dangling.has(key)) expect(problems).toHaveLength(1);
        else expect({ key, problems }).toEqual({ key, problems: [] });
      }
      for (const segment of Object.values(file.ruleset.segments))
        expect(validateSegment(segment)).toEqual([]);
    }
  });
});

describe('validateSegment', () => {
  const segment = (): SegmentDocument => ({
    key: 'beta-testers',
    included: ['alice'],
    excluded: ['mallory'],
    rules: [{ id: 'staff', clauses: [{ attribute: 'email', op: 'endsWith', values: ['@example.com'] }] }],
    version: 0,
  });

  it('accepts a valid segment', () => {
    expect(validateSegment(segment())).toEqual([]);
  });

  it('reports clause value problems, duplicate rule ids, bad keys and segment references in segments', () => {
    const doc = segment();
    doc.key = 'beta testers';
    doc.rules!.push({ id: 'staff', clauses: [{ attribute: 'v', op: 'semverLt', values: ['x'] }] });
    expect(validateSegment(doc)).toEqual([
      { path: '/key', problem: expect.stringContaining('whitespace') },
      { path: '/rules/1/id', problem: 'duplicate rule id "staff"' },
      { path: '/rules/1/clauses/0/values/0', problem: expect.stringContaining('semantic version') },
    ]);
    const nested = segment();
    Object.assign(nested.rules![0]!.clauses, [{ segment: 'other' }]);
    expect(validateSegment(nested).length).toBeGreaterThan(0);
  });
});
