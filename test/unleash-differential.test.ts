/**
 * Differential test: random Unleash payloads and contexts, answered by the real Unleash Node SDK
 * (unleash-client, offline on a bootstrap payload) and by Switchboard after import (a bootstrapped Node
 * client through unleashCompat). Every isEnabled and getVariant answer must agree. The import uses the
 * Node SDK's hash encoding (latin1), so ids with non-ASCII characters land in the same buckets too.
 *
 * The one place Unleash itself is not deterministic is chance: with no stickiness value, it rolls out and
 * picks variants at random. The test watches Math.random during each Unleash call: a call that draws a
 * random number is a known difference only when the import plan announced it (a "random" note on the
 * feature or a parent it depends on); otherwise Unleash must give the same answer whatever the draw, and
 * Switchboard that answer.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Context as UnleashSdkContext, Unleash } from 'unleash-client';
import { translateUnleash } from '../server/src/importers/unleash';
import type { UnleashTranslation } from '../server/src/importers/unleash';
import { context, features, segments } from './unleash-arbitraries';
import { bootstrappedClient, comparable, compatOver, offlineUnleash } from './unleash-harness';

const tally = { payloads: 0, comparisons: 0, randomInUnleash: 0 };

/** Runs `call` with Math.random answering `draw`; reports whether it drew. */
function withRandom<T>(draw: number, call: () => T): { value: T; drew: boolean } {
  const original = Math.random;
  let drew = false;
  Math.random = () => {
    drew = true;
    return draw;
  };
  try {
    return { value: call(), drew };
  } finally {
    Math.random = original;
  }
}

/** Draws spread over [0, 1): enough to see an answer that depends on chance change. */
const DRAWS = Array.from({ length: 16 }, (_, i) => (i + 0.5) / 16);

function randomAnnounced(
  translation: UnleashTranslation,
  feature: string,
  payload: Array<Record<string, unknown>>,
): boolean {
  const parents = (
    (payload.find((f) => f.name === feature)?.dependencies ?? []) as Array<{ feature: string }>
  ).map((d) => d.feature);
  return translation.features.some(
    (report) =>
      [feature, ...parents].includes(report.feature) && report.notes.some((n) => n.code === 'random'),
  );
}

describe('Unleash SDK and Switchboard agree on random features and contexts', () => {
  afterAll(() => {
    console.log(
      `differential: ${tally.payloads} payloads, ${tally.comparisons} answers compared, ` +
        `${tally.randomInUnleash} left to chance by Unleash (announced by the import plan)`,
    );
  });

  it('on every isEnabled and getVariant answer', async () => {
    await fc.assert(
      fc.asyncProperty(
        features,
        segments,
        fc.array(context, { minLength: 1, maxLength: 8 }),
        async (payload, segs, contexts) => {
          // The Node SDK hashes each UTF-16 code unit's low byte (latin1): keep its buckets, non-ASCII ids included.
          const translation = translateUnleash(
            { version: 2, features: payload, segments: segs },
            { environment: 'production', hashEncoding: 'latin1' },
          );
          // Everything generated is carried over (the generator leaves out what the importer refuses).
          expect(translation.features.filter((f) => f.status !== 'translated')).toEqual([]);
          let unleash: Unleash | null = null;
          const client = bootstrappedClient(translation);
          try {
            unleash = await offlineUnleash(payload, segs);
            const sdk = unleash;
            const compat = compatOver(client);
            tally.payloads++;
            for (const ctx of contexts as UnleashSdkContext[]) {
              for (const { name } of payload as Array<{ name: string }>) {
                const probe = withRandom(
                  0.5,
                  () => [sdk.isEnabled(name, ctx), comparable(sdk.getVariant(name, ctx))] as const,
                );
                const mine = [compat.isEnabled(name, ctx), comparable(compat.getVariant(name, ctx))] as const;
                tally.comparisons += 2;
                if (probe.drew) {
                  if (randomAnnounced(translation, name, payload)) {
                    tally.randomInUnleash++;
                    continue;
                  }
                  // Chance was consulted but cannot matter (a 100% rollout, a single variant): check it does not.
                  for (const draw of DRAWS)
                    expect(
                      withRandom(draw, () => [
                        sdk.isEnabled(name, ctx),
                        comparable(sdk.getVariant(name, ctx)),
                      ]).value,
                    ).toEqual(probe.value);
                }
                expect({ feature: name, context: ctx, answer: mine }).toEqual({
                  feature: name,
                  context: ctx,
                  answer: probe.value,
                });
              }
            }
          } finally {
            unleash?.destroy();
            await client.close();
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(tally.comparisons).toBeGreaterThan(2_000);
  }, 120_000);
});
