/**
 * Unleash's own SDK conformance suite (@unleash/client-specification), run against Switchboard: each file's
 * `state` is imported with the Unleash importer, and every `tests[]` (isEnabled) and `variantTests[]`
 * (getVariant) case is answered by `unleashCompat` over a real Switchboard Node client — once connected to
 * a real server (the state imported through POST /api/v1/import/unleash into an environment of its own,
 * the client streaming that environment), and once bootstrapped with the translation (no server).
 *
 * A case that cannot pass by design must be listed in KNOWN_DIFFERENCES with the reason; the test then
 * asserts that it does differ, so the list can neither hide a regression nor go stale.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@switchboard/sdk-node';
import type { SwitchboardClient } from '@switchboard/sdk-node';
import type { UnleashCompatClient } from '@switchboard/sdk-node';
import { translateUnleash } from '../server/src/importers/unleash';
import type { UnleashTranslation } from '../server/src/importers/unleash';
import { SdkTestServer } from './sdk-harness';
import { bootstrappedClient, comparable, compatOver, loadSpecifications } from './unleash-harness';
import type { SpecFile } from './unleash-harness';

interface KnownDifference {
  file: string;
  description: string;
  reason: string;
}

/** Cases Switchboard answers differently by design. None: every case of every file passes. */
const KNOWN_DIFFERENCES: readonly KnownDifference[] = [];

const specifications = loadSpecifications();
type Mode = 'server' | 'bootstrap';
const results = new Map<string, { passed: number; failed: number }>();

function record(mode: Mode, file: string, description: string, passed: boolean): void {
  const known = KNOWN_DIFFERENCES.some((d) => d.file === file && d.description === description);
  // A known difference must still differ; anything else must pass.
  expect({ description, passed }).toEqual({ description, passed: !known });
  const counts = results.get(`${mode} ${file}`) ?? { passed: 0, failed: 0 };
  if (passed) counts.passed++;
  else counts.failed++;
  results.set(`${mode} ${file}`, counts);
}

/** Runs every case of `spec` against `compat`. */
function specCases(mode: Mode, spec: SpecFile, compat: () => UnleashCompatClient): void {
  it.each(spec.tests.map((c) => [c.description, c] as const))('isEnabled: %s', (_description, c) => {
    const answer = compat().isEnabled(c.toggleName, c.context);
    record(mode, spec.file, c.description, answer === c.expectedResult);
  });
  it.each(spec.variantTests.map((c) => [c.description, c] as const))('getVariant: %s', (_description, c) => {
    const answer = compat().getVariant(c.toggleName, c.context);
    expect(answer.featureEnabled).toBe(answer.feature_enabled);
    record(
      mode,
      spec.file,
      c.description,
      JSON.stringify(comparable(answer)) === JSON.stringify(comparable(c.expectedResult)),
    );
  });
}

describe('Unleash client specification, imported through the admin API, answered by a client of a real server', () => {
  const server = new SdkTestServer();
  beforeAll(() => server.start());
  afterAll(() => server.dispose());

  specifications.forEach((spec, index) => {
    describe(spec.file, () => {
      // An environment per file: the files reuse feature names with other meanings.
      const environment = `spec-${String(index + 1).padStart(2, '0')}`;
      let client: SwitchboardClient;
      let imported: {
        status: number;
        body: { features: Array<{ status: string }>; changeset: { changeSet: string } };
      };
      beforeAll(async () => {
        expect((await server.admin('POST', '/api/v1/environments', { key: environment })).status).toBe(201);
        imported = await server.admin('POST', '/api/v1/import/unleash', { payload: spec.state, environment });
        const { token } = await server.serverKey(environment);
        client = createClient({ url: server.url, sdkKey: token, metrics: false });
        await client.ready();
      });
      afterAll(() => client.close());

      it('imports every feature, as one change set', () => {
        expect(imported.status).toBe(200);
        expect(imported.body.features.filter((f) => f.status !== 'translated')).toEqual([]);
        expect(imported.body.changeset.changeSet).toMatch(/^cs_/);
      });
      specCases('server', spec, () => compatOver(client));
    });
  });
});

describe('Unleash client specification, translated and answered by a bootstrapped client', () => {
  for (const spec of specifications) {
    describe(spec.file, () => {
      let translation: UnleashTranslation;
      let client: SwitchboardClient;
      beforeAll(() => {
        translation = translateUnleash(spec.state, { environment: 'production' });
        client = bootstrappedClient(translation);
      });
      afterAll(() => client.close());

      it('imports every feature', () => {
        expect(translation.features.filter((f) => f.status !== 'translated')).toEqual([]);
      });
      specCases('bootstrap', spec, () => compatOver(client));
    });
  }
});

describe('the specification run', () => {
  afterAll(() => {
    const count = (mode: Mode, file: string) => {
      const { passed, failed } = results.get(`${mode} ${file}`) ?? { passed: 0, failed: 0 };
      return `${String(passed).padStart(3)} passed ${String(failed).padStart(2)} failed`;
    };
    const lines = specifications.map(
      (spec) =>
        `${spec.file.padEnd(45)} server: ${count('server', spec.file)}   bootstrap: ${count('bootstrap', spec.file)}`,
    );
    console.log(`Unleash client specification, per file:\n${lines.join('\n')}`);
  });

  it('lists only known differences that exist in the suite', () => {
    const descriptions = new Set(
      specifications.flatMap((s) =>
        [...s.tests, ...s.variantTests].map((c) => `${s.file}\n${c.description}`),
      ),
    );
    for (const difference of KNOWN_DIFFERENCES)
      expect(descriptions.has(`${difference.file}\n${difference.description}`)).toBe(true);
  });

  it('covers every file of the suite', () => {
    expect(specifications.map((s) => s.file)).toContain('22-cidr-constraint-operators.json');
    expect(specifications.length).toBeGreaterThanOrEqual(22);
  });
});
