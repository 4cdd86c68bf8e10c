/**
 * The known differences between the Unleash Node SDK and Switchboard after import, each pinned by an example
 * answered by both (docs/migrating-from-unleash.md lists them). Should one disappear, its test fails, and the
 * documentation must change with it. The other tests generate contexts outside these cases.
 */
import { describe, expect, it } from 'vitest';
import type { Context as UnleashSdkContext } from 'unleash-client';
import type { TranslateOptions } from '../server/src/importers/unleash';
import { translateUnleash } from '../server/src/importers/unleash';
import { bootstrappedClient, comparable, compatOver, offlineUnleash } from './unleash-harness';

type Json = Record<string, unknown>;

/** isEnabled (and getVariant) of feature "f" for `context`, from Unleash and from Switchboard. */
async function answers(
  feature: Json,
  context: Json,
  options: Partial<TranslateOptions> = {},
  draw?: number,
): Promise<{ unleash: [boolean, unknown]; switchboard: [boolean, unknown] }> {
  const features = [{ name: 'f', enabled: true, ...feature }];
  const translation = translateUnleash({ features }, { environment: 'production', ...options });
  expect(translation.features[0]?.status).toBe('translated');
  const unleash = await offlineUnleash(features, []);
  const client = bootstrappedClient(translation);
  const original = Math.random;
  try {
    if (draw !== undefined) Math.random = () => draw;
    const sdkContext = context as UnleashSdkContext;
    const fromUnleash: [boolean, unknown] = [
      unleash.isEnabled('f', sdkContext),
      comparable(unleash.getVariant('f', sdkContext)),
    ];
    Math.random = original;
    const compat = compatOver(client);
    return {
      unleash: fromUnleash,
      switchboard: [compat.isEnabled('f', context), comparable(compat.getVariant('f', context))],
    };
  } finally {
    Math.random = original;
    unleash.destroy();
    await client.close();
  }
}

const rollout = (rollout: string, stickiness = 'default') => ({
  strategies: [{ name: 'flexibleRollout', parameters: { rollout, stickiness, groupId: 'g' } }],
});

describe('known differences', () => {
  it('chance: without userId or sessionId, Unleash draws a random id for a partial rollout; Switchboard leaves the context out', async () => {
    const seen = new Set<boolean>();
    for (const draw of [0.01, 0.3, 0.6, 0.9]) {
      const { unleash, switchboard } = await answers(rollout('50'), {}, {}, draw);
      seen.add(unleash[0]);
      expect(switchboard[0]).toBe(false);
    }
    expect(seen).toEqual(new Set([true, false]));
  });

  it('chance: without a stickiness value, Unleash picks a random variant; Switchboard the first one with weight', async () => {
    const feature = {
      strategies: [{ name: 'default' }],
      variants: [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 1 },
      ],
    };
    const names = new Set<unknown>();
    for (const draw of [0.1, 0.3, 0.6, 0.9]) {
      const { unleash, switchboard } = await answers(feature, {}, {}, draw);
      names.add((unleash[1] as { name: string }).name);
      expect((switchboard[1] as { name: string }).name).toBe('a');
    }
    expect(names).toEqual(new Set(['a', 'b']));
  });

  it('properties.userId: Unleash stickiness and userWithId read only the top-level userId; unleashCompat flattens properties', async () => {
    const { unleash, switchboard } = await answers(
      { strategies: [{ name: 'userWithId', parameters: { userIds: 'alice' } }] },
      { properties: { userId: 'alice' } },
    );
    expect(unleash[0]).toBe(false);
    expect(switchboard[0]).toBe(true);
  });

  it('IN_CIDR: Unleash also matches a context subnet wider than the range when their base addresses are equal', async () => {
    const { unleash, switchboard } = await answers(
      {
        strategies: [
          {
            name: 'default',
            constraints: [{ contextName: 'remoteAddress', operator: 'IN_CIDR', values: ['10.0.0.0/16'] }],
          },
        ],
      },
      { remoteAddress: '10.0.0.0/8' },
    );
    expect(unleash[0]).toBe(true);
    expect(switchboard[0]).toBe(false);
  });

  it('SEMVER: node-semver accepts a context version " v1.2.3" (whitespace, then v); Switchboard does not', async () => {
    const { unleash, switchboard } = await answers(
      {
        strategies: [
          {
            name: 'default',
            constraints: [{ contextName: 'version', operator: 'SEMVER_EQ', value: '1.2.3' }],
          },
        ],
      },
      { properties: { version: ' v1.2.3' } },
    );
    expect(unleash[0]).toBe(true);
    expect(switchboard[0]).toBe(false);
  });

  it('SEMVER: a prerelease number beyond 2^53 is an identifier to node-semver, an invalid version to Switchboard', async () => {
    const { unleash, switchboard } = await answers(
      {
        strategies: [
          {
            name: 'default',
            constraints: [{ contextName: 'version', operator: 'SEMVER_GT', value: '1.0.0-1' }],
          },
        ],
      },
      { properties: { version: '1.0.0-99999999999999999999' } },
    );
    expect(unleash[0]).toBe(true);
    expect(switchboard[0]).toBe(false);
  });

  it('REGEX: Switchboard tests the first 1,000 characters of the input only (bounded work per evaluation)', async () => {
    const { unleash, switchboard } = await answers(
      {
        strategies: [
          { name: 'default', constraints: [{ contextName: 's', operator: 'REGEX', value: 'needle' }] },
        ],
      },
      { properties: { s: `${'x'.repeat(1_000)}needle` } },
    );
    expect(unleash[0]).toBe(true);
    expect(switchboard[0]).toBe(false);
  });

  it('groupId: without one, Unleash salts a flexible rollout with the context field featureToggle; Switchboard with ""', async () => {
    const feature = {
      strategies: [{ name: 'flexibleRollout', parameters: { rollout: '50', stickiness: 'userId' } }],
    };
    const differing = [];
    for (const userId of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8']) {
      const { unleash, switchboard } = await answers(feature, { userId, featureToggle: 'salt' });
      if (unleash[0] !== switchboard[0]) differing.push(userId);
      // Without the field, both salt with "".
      const plain = await answers(feature, { userId });
      expect(plain.switchboard).toEqual(plain.unleash);
    }
    expect(differing.length).toBeGreaterThan(0);
  });

  it('non-ASCII ids: the default UTF-8 hashing differs from the Node SDK, whose buckets hashEncoding "latin1" keeps', async () => {
    const feature = {
      ...rollout('50', 'userId'),
      variants: [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 1 },
      ],
    };
    const ids = ['ü', 'é', '😀', 'Jürgen', 'naïve', 'ß', '你好', 'ø'];
    let utf8Differs = 0;
    for (const userId of ids) {
      const utf8 = await answers(feature, { userId });
      const latin1 = await answers(feature, { userId }, { hashEncoding: 'latin1' });
      expect(latin1.switchboard).toEqual(latin1.unleash);
      if (JSON.stringify(utf8.switchboard) !== JSON.stringify(utf8.unleash)) utf8Differs++;
    }
    expect(utf8Differs).toBeGreaterThan(0);
  });
});
