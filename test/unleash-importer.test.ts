/** The Unleash importer's translation: payload formats, what it refuses and why, notes, and merging. */
import { describe, expect, it } from 'vitest';
import { buildRuleset, compileRuleset } from '@switchboard/core';
import type { FlagDocument, SegmentDocument } from '@switchboard/core';
import { PayloadError, translateUnleash } from '../server/src/importers/unleash';
import type { UnleashTranslation } from '../server/src/importers/unleash';

const ENV = 'production';
const translate = (payload: unknown, options: Partial<Parameters<typeof translateUnleash>[1]> = {}) =>
  translateUnleash(payload, { environment: ENV, ...options });
const feature = (name: string, fields: Record<string, unknown> = {}) => ({
  name,
  enabled: true,
  strategies: [{ name: 'default', parameters: {} }],
  ...fields,
});
const flagOf = (translation: UnleashTranslation, key: string): FlagDocument => {
  const flag = translation.flags.find((f) => f.key === key);
  if (flag === undefined) throw new Error(`no flag ${key}`);
  return flag;
};
const reportOf = (translation: UnleashTranslation, name: string) =>
  translation.features.find((f) => f.feature === name);
const evaluate = (translation: UnleashTranslation, key: string, context: Record<string, unknown>) =>
  compileRuleset(buildRuleset(ENV, 1, translation.flags, translation.segments)).evaluate(key, context);

describe('payload formats', () => {
  it('reads /api/client/features payloads', () => {
    const translation = translate({ version: 2, features: [feature('a')], segments: [] });
    expect(translation.source).toBe('client-features');
    expect(translation.flags.map((f) => f.key)).toEqual(['a']);
  });

  it('applies delta events in order, as the SDKs do', () => {
    const translation = translate({
      events: [
        { type: 'hydration', eventId: 1, features: [feature('a'), feature('b')], segments: [] },
        { type: 'feature-removed', eventId: 2, featureName: 'a', project: 'default' },
        { type: 'feature-updated', eventId: 3, feature: feature('c', { enabled: false }) },
        { type: 'something-new', eventId: 4 },
      ],
    });
    expect(translation.source).toBe('delta');
    expect(translation.flags.map((f) => [f.key, f.environments[ENV]?.enabled])).toEqual([
      ['b', true],
      ['c', false],
    ]);
  });

  const exported = {
    features: [
      { name: 'checkout', description: 'New checkout', type: 'release', project: 'default' },
      { name: 'banner', type: 'kill-switch', project: 'default' },
    ],
    featureStrategies: [
      {
        name: 'userWithId',
        featureName: 'checkout',
        parameters: { userIds: 'bob' },
        constraints: [],
        sortOrder: 2,
      },
      {
        name: 'userWithId',
        featureName: 'checkout',
        parameters: { userIds: 'alice' },
        constraints: [],
        sortOrder: 1,
      },
      {
        name: 'default',
        featureName: 'checkout',
        parameters: {},
        constraints: [],
        disabled: true,
        sortOrder: 0,
      },
      { name: 'default', featureName: 'banner', parameters: {}, constraints: [], segments: [7] },
    ],
    featureEnvironments: [
      { featureName: 'checkout', environment: 'production', enabled: true, variants: [] },
      { featureName: 'banner', environment: 'production', enabled: true },
    ],
    featureTags: [{ featureName: 'checkout', tagType: 'simple', tagValue: 'payments' }],
    segments: [{ id: 7, name: 'beta' }],
    dependencies: [{ feature: 'banner', dependencies: [{ feature: 'checkout' }] }],
    tagTypes: [],
  };

  it('joins a full export per feature: strategies in sortOrder, disabled ones left out, tags kept', () => {
    const translation = translate(exported);
    expect(translation.source).toBe('export');
    expect(translation.sourceEnvironment).toBe('production');
    const checkout = flagOf(translation, 'checkout');
    expect(checkout.description).toBe('New checkout');
    expect(checkout.tags).toEqual(['simple:payments']);
    expect(checkout.environments[ENV]?.rules?.map((r) => r.clauses)).toEqual([
      [{ attribute: 'userId', op: 'in', values: ['alice'] }],
      [{ attribute: 'userId', op: 'in', values: ['bob'] }],
    ]);
  });

  it('refuses features whose segments an export lists without their constraints', () => {
    const banner = reportOf(translate(exported), 'banner');
    expect(banner?.status).toBe('untranslatable');
    expect(banner?.reasons.join()).toMatch(/segment 7 has no constraints in this payload/);
  });

  it('asks which Unleash environment to read when an export holds several', () => {
    const twoEnvironments = {
      ...exported,
      featureEnvironments: [
        { featureName: 'checkout', environment: 'development', enabled: true },
        { featureName: 'checkout', environment: 'staging', enabled: false },
      ],
    };
    expect(() => translate(twoEnvironments)).toThrow(/several environments \(development, staging\)/);
    expect(
      flagOf(translate(twoEnvironments, { sourceEnvironment: 'staging' }), 'checkout').environments[ENV]
        ?.enabled,
    ).toBe(false);
    expect(() => translate(twoEnvironments, { sourceEnvironment: 'qa' })).toThrow(/no environment "qa"/);
  });

  it.each([
    ['not an object', [1, 2]],
    ['an unknown shape', { toggles: [] }],
    ['a feature without a name', { features: [{ enabled: true }] }],
    ['a segment without an id', { features: [], segments: [{ constraints: [] }] }],
    ['an event without its feature', { events: [{ type: 'feature-updated' }] }],
  ])('rejects %s with a PayloadError', (_label, payload) => {
    expect(() => translate(payload)).toThrow(PayloadError);
  });
});

describe('features that cannot be carried over are refused whole, with the reason', () => {
  it.each([
    [
      'a custom strategy',
      feature('x', { strategies: [{ name: 'myOwnStrategy', parameters: {} }] }),
      /custom strategy/,
    ],
    [
      'gradualRolloutRandom between 0 and 100%',
      feature('x', { strategies: [{ name: 'gradualRolloutRandom', parameters: { percentage: '50' } }] }),
      /random on every call/,
    ],
    [
      'a partial rollout with random stickiness',
      feature('x', {
        strategies: [
          { name: 'flexibleRollout', parameters: { rollout: '30', stickiness: 'random', groupId: 'g' } },
        ],
      }),
      /random stickiness is random on every call/,
    ],
    [
      'a constraint value that is not a string',
      feature('x', {
        strategies: [{ name: 'default', constraints: [{ contextName: 'a', operator: 'IN', values: [5] }] }],
      }),
      /value 5 is not a string/,
    ],
    [
      'a regex beyond the engine',
      feature('x', {
        strategies: [
          { name: 'default', constraints: [{ contextName: 'a', operator: 'REGEX', value: '\\pL+' }] },
        ],
      }),
      /beyond Switchboard's engine/,
    ],
    [
      'an infinite number',
      feature('x', {
        strategies: [
          { name: 'default', constraints: [{ contextName: 'a', operator: 'NUM_LT', value: 'Infinity' }] },
        ],
      }),
      /infinite number/,
    ],
    [
      'a non-DATE operator on currentTime',
      feature('x', {
        strategies: [
          { name: 'default', constraints: [{ contextName: 'currentTime', operator: 'IN', values: ['x'] }] },
        ],
      }),
      /only DATE_\* operators can read it/,
    ],
    ['a name that is no flag key', feature('has space'), /not a valid Switchboard flag key/],
    [
      'fractional variant weights',
      feature('x', { variants: [{ name: 'a', weight: 0.5 }] }),
      /weight 0.5 is not a whole number/,
    ],
  ])('%s', (_label, unleashFeature, reason) => {
    const translation = translate({ features: [unleashFeature] });
    expect(translation.flags).toEqual([]);
    const report = translation.features[0];
    expect(report?.status).toBe('untranslatable');
    expect(report?.reasons.join()).toMatch(reason);
  });

  it('not a strategy that its constraints rule out: Unleash never gets to its randomness or custom code', () => {
    const never = [{ contextName: 'a', operator: 'IN', values: [] }];
    const translation = translate({
      features: [
        feature('x', {
          strategies: [
            { name: 'gradualRolloutRandom', parameters: { percentage: '50' }, constraints: never },
            { name: 'myOwnStrategy', constraints: never },
          ],
        }),
      ],
    });
    expect(translation.features[0]?.status).toBe('translated');
    expect(flagOf(translation, 'x').environments[ENV]?.rules).toEqual([]);
  });

  it('a feature depending on a refused one is refused too', () => {
    const translation = translate({
      features: [
        feature('parent', { strategies: [{ name: 'custom' }] }),
        feature('child', { dependencies: [{ feature: 'parent' }] }),
        feature('grandchild', { dependencies: [{ feature: 'child' }] }),
      ],
    });
    expect(translation.features.map((f) => [f.feature, f.status])).toEqual([
      ['parent', 'untranslatable'],
      ['child', 'untranslatable'],
      // Unleash never satisfies a dependency on a feature with dependencies: always off, but importable.
      ['grandchild', 'translated'],
    ]);
    expect(reportOf(translation, 'child')?.reasons).toEqual([
      'dependency 1: depends on "parent", which cannot be imported',
    ]);
    expect(flagOf(translation, 'grandchild').environments[ENV]?.enabled).toBe(false);
  });
});

describe('notes', () => {
  const codes = (translation: UnleashTranslation, name: string) =>
    reportOf(translation, name)?.notes.map((n) => n.code);

  it('announce where Unleash answers at random and Switchboard does not', () => {
    const translation = translate({
      features: [
        feature('rollout', {
          strategies: [
            { name: 'flexibleRollout', parameters: { rollout: '50', stickiness: 'default', groupId: 'g' } },
          ],
        }),
        feature('full', {
          strategies: [
            { name: 'flexibleRollout', parameters: { rollout: '100', stickiness: 'default', groupId: 'g' } },
          ],
        }),
        feature('two-variants', {
          variants: [
            { name: 'a', weight: 1 },
            { name: 'b', weight: 1 },
          ],
        }),
        feature('one-variant', {
          variants: [
            { name: 'a', weight: 1 },
            { name: 'b', weight: 0 },
          ],
        }),
      ],
    });
    expect(codes(translation, 'rollout')).toEqual(['random']);
    expect(codes(translation, 'full')).toEqual([]);
    expect(codes(translation, 'two-variants')).toEqual(['random']);
    expect(codes(translation, 'one-variant')).toEqual([]);
    // No id at all: never in a 50% rollout, and the first variant with weight.
    expect(evaluate(translation, 'rollout', {}).value).toBe(false);
    expect(evaluate(translation, 'two-variants', {}).value).toEqual({ name: 'a' });
  });

  it('report Unleash configuration that has no effect there either', () => {
    const translation = translate({
      features: [
        feature('unknown-operator', {
          strategies: [
            {
              name: 'default',
              constraints: [{ contextName: 'a', operator: 'STR_SOUNDS_LIKE', values: ['x'] }],
            },
          ],
        }),
        feature('bad-ranges', {
          strategies: [
            {
              name: 'default',
              constraints: [{ contextName: 'ip', operator: 'IN_CIDR', values: ['10.0.0.0/8', 'nope'] }],
            },
          ],
        }),
        feature('missing-parent', { dependencies: [{ feature: 'nobody' }] }),
      ],
    });
    expect(codes(translation, 'unknown-operator')).toEqual(['never-matches', 'never-matches']);
    expect(flagOf(translation, 'unknown-operator').environments[ENV]?.rules).toEqual([]);
    expect(codes(translation, 'bad-ranges')).toEqual(['ignored']);
    expect(codes(translation, 'missing-parent')).toEqual(['dependency']);
    expect(flagOf(translation, 'missing-parent').environments[ENV]?.enabled).toBe(false);
  });
});

describe('the documents', () => {
  it('express Unleash bucketing with its salt, seed and bucket counts', () => {
    const translation = translate({
      features: [
        feature('exp', {
          strategies: [
            {
              name: 'flexibleRollout',
              parameters: { rollout: '25', stickiness: 'userId', groupId: 'exp-group' },
              variants: [
                { name: 'a', weight: 600, payload: { type: 'string', value: 'A' } },
                { name: 'b', weight: 400, stickiness: 'userId' },
              ],
            },
          ],
        }),
      ],
    });
    const flag = flagOf(translation, 'exp');
    expect(flag.variants).toEqual({
      off: false,
      a: { name: 'a', payload: { type: 'string', value: 'A' } },
      b: { name: 'b' },
    });
    const [rollout, noId] = flag.environments[ENV]?.rules ?? [];
    expect(rollout).toEqual({
      id: 's1',
      description: 'Unleash strategy 1: flexibleRollout',
      clauses: [
        { attribute: 'userId', op: 'neq', values: [''] },
        {
          attribute: 'userId',
          op: 'inBuckets',
          values: [0, 25],
          bucket: { salt: 'exp-group', seed: 0, buckets: 100 },
        },
      ],
      serve: {
        rollout: {
          bucketBy: 'userId',
          salt: 'exp-group',
          seed: 86028157,
          buckets: 1000,
          weights: [
            { variant: 'a', weight: 600 },
            { variant: 'b', weight: 400 },
          ],
        },
      },
    });
    expect(noId?.serve).toEqual({ variant: 'a' });
    expect(flag.environments[ENV]?.fallthrough).toEqual({ variant: 'off' });
  });

  it('hash with the Node SDK encoding when asked', () => {
    const translation = translate(
      {
        features: [
          feature('f', { strategies: [{ name: 'gradualRolloutUserId', parameters: { percentage: '10' } }] }),
        ],
      },
      { hashEncoding: 'latin1' },
    );
    const clause = flagOf(translation, 'f').environments[ENV]?.rules?.[0]?.clauses[1];
    expect(clause).toMatchObject({ op: 'inBuckets', bucket: { encoding: 'latin1' } });
  });

  it('turn dependencies into prerequisites on the parent variants that satisfy them', () => {
    const translation = translate({
      features: [
        feature('parent', {
          variants: [
            { name: 'blue', weight: 1 },
            { name: 'red', weight: 1 },
          ],
        }),
        feature('wants-on', { dependencies: [{ feature: 'parent' }] }),
        feature('wants-off', { dependencies: [{ feature: 'parent', enabled: false }] }),
        feature('wants-blue', { dependencies: [{ feature: 'parent', variants: ['blue'] }] }),
      ],
    });
    expect(flagOf(translation, 'wants-on').prerequisites).toEqual([
      { flag: 'parent', variants: ['blue', 'red'] },
    ]);
    expect(flagOf(translation, 'wants-off').prerequisites).toEqual([{ flag: 'parent', variants: ['off'] }]);
    expect(flagOf(translation, 'wants-blue').prerequisites).toEqual([{ flag: 'parent', variants: ['blue'] }]);
  });

  it('share a Switchboard segment per Unleash segment, keyed by its name', () => {
    const translation = translate({
      features: [feature('f', { strategies: [{ name: 'default', segments: [1] }] })],
      segments: [
        {
          id: 1,
          name: 'beta-users',
          constraints: [{ contextName: 'plan', operator: 'IN', values: ['beta'] }],
        },
      ],
    });
    expect(translation.segments).toEqual([
      {
        key: 'beta-users',
        description: 'Imported from Unleash segment 1 (beta-users)',
        rules: [{ id: 'constraints', clauses: [{ attribute: 'plan', op: 'in', values: ['beta'] }] }],
        version: 0,
      },
    ]);
    expect(flagOf(translation, 'f').environments[ENV]?.rules?.[0]?.clauses).toEqual([
      { segment: 'beta-users' },
    ]);
  });

  it('keep what the stored documents hold beyond this environment', () => {
    const stored: FlagDocument = {
      key: 'f',
      description: 'kept',
      tags: ['team-a'],
      variants: { on: true, off: false, a: 'native value' },
      environments: {
        staging: { enabled: true, offVariant: 'off', fallthrough: { variant: 'a' } },
        [ENV]: {
          enabled: true,
          offVariant: 'off',
          fallthrough: { variant: 'on' },
          killed: { at: '2025-01-01T00:00:00Z', by: 'ops', reason: 'incident' },
        },
      },
      version: 7,
    };
    const segment: SegmentDocument = { key: 'segment-1', version: 3 };
    const translation = translate(
      {
        features: [
          feature('f', {
            description: '',
            strategies: [{ name: 'default', segments: [1] }],
            variants: [{ name: 'a', weight: 1 }],
          }),
        ],
        segments: [{ id: 1, constraints: [{ contextName: 'x', operator: 'IN', values: ['y'] }] }],
      },
      { existingFlags: new Map([['f', stored]]), existingSegments: new Map([['segment-1', segment]]) },
    );
    const flag = flagOf(translation, 'f');
    expect(flag.version).toBe(7);
    expect(flag.description).toBe('kept');
    expect(flag.tags).toEqual(['team-a']);
    expect(flag.environments.staging).toEqual(stored.environments.staging);
    expect(flag.environments[ENV]?.killed).toEqual(stored.environments[ENV]?.killed);
    // The stored "a" holds another value: the Unleash variant "a" gets the next free key.
    expect(flag.variants).toEqual({ on: true, off: false, a: 'native value', 'a-2': { name: 'a' } });
    expect(translation.segments[0]?.version).toBe(3);
  });
});
