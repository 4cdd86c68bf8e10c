/**
 * Shared pieces of the Unleash migration tests: the conformance suite's files, the real `unleash-client`
 * started offline on a bootstrap payload, and an `unleashCompat` over a bootstrapped Switchboard client.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildRuleset } from '@switchboard/core';
import { createClient } from '@switchboard/sdk-node';
import type { SwitchboardClient } from '@switchboard/sdk-node';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { unleashCompat } from '@switchboard/sdk-node';
import type { UnleashCompatClient, UnleashCompatOptions } from '@switchboard/sdk-node';
import type { UnleashTranslation } from '../server/src/importers/unleash';

/** One `getVariant` answer, reduced to the fields Unleash documents (JSON drops an undefined payload). */
export interface ComparableVariant {
  name: string;
  enabled: boolean;
  payload?: unknown;
  feature_enabled?: boolean;
}

export interface SpecCase<Expected> {
  description: string;
  context: Record<string, unknown>;
  toggleName: string;
  expectedResult: Expected;
}

export interface SpecFile {
  file: string;
  name: string;
  state: unknown;
  tests: Array<SpecCase<boolean>>;
  variantTests: Array<SpecCase<ComparableVariant>>;
}

const specificationDirectory = join(
  dirname(createRequire(import.meta.url).resolve('@unleash/client-specification/package.json')),
  'specifications',
);

/** Every specification file the package lists in its index.json, in order. */
export function loadSpecifications(): SpecFile[] {
  const names = JSON.parse(readFileSync(join(specificationDirectory, 'index.json'), 'utf8')) as string[];
  return names.map((file) => {
    const spec = JSON.parse(readFileSync(join(specificationDirectory, file), 'utf8')) as Omit<
      SpecFile,
      'file'
    >;
    return { file, ...spec, tests: spec.tests ?? [], variantTests: spec.variantTests ?? [] };
  });
}

export function comparable(variant: ComparableVariant): ComparableVariant {
  const { name, enabled, payload, feature_enabled } = variant;
  return JSON.parse(JSON.stringify({ name, enabled, payload, feature_enabled })) as ComparableVariant;
}

export const APP_NAME = 'unleash-migration-tests';

/** The real Unleash SDK on a bootstrap payload: no fetching (refreshInterval 0), no metrics, no files. */
export async function offlineUnleash(features: unknown[], segments: unknown[]): Promise<Unleash> {
  const unleash = new Unleash({
    url: 'http://127.0.0.1:1/',
    appName: APP_NAME,
    refreshInterval: 0,
    disableMetrics: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: features as never[], segments: segments as never[] },
  });
  // Malformed features (e.g. without a strategies list) are reported as 'error' events, which Unleash logs
  // to the console unless someone listens; their evaluation is what the tests compare.
  unleash.on('error', () => {});
  unleash.on('warn', () => {});
  // Bootstrap lands asynchronously; 'synchronized' follows 'ready'.
  await new Promise<void>((resolve) => unleash.once('synchronized', () => resolve()));
  return unleash;
}

/** A Switchboard Node client bootstrapped with a translation's documents (it never reaches a server). */
export function bootstrappedClient(translation: UnleashTranslation): SwitchboardClient {
  return createClient({
    url: 'http://127.0.0.1:9',
    sdkKey: 'sb_server_offline',
    bootstrap: buildRuleset(translation.environment, 1, translation.flags, translation.segments),
    metrics: false,
    reconnectBaseMs: 60_000,
    reconnectMaxMs: 60_000,
  });
}

export function compatOver(
  client: SwitchboardClient,
  options: UnleashCompatOptions = {},
): UnleashCompatClient {
  return unleashCompat(client, { appName: APP_NAME, ...options });
}
