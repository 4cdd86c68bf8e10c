/**
 * The official web OFREP provider (`@openfeature/ofrep-web-provider`, unmodified) with the real
 * `@openfeature/web-sdk`, bundled into a page in chromium, against our server: bulk evaluation, live
 * changes through the event stream (eventStreams + refetchEvaluation), the 304 path, and the error codes.
 */
import type { FlagDocument } from '@switchboard/core';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PageServer, bundleForBrowser, launchChromium } from './browser-harness';
import { SdkTestServer } from './sdk-harness';

const ENTRY = `
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

window.changes = [];
window.errors = [];
// Starts a provider for a domain; a garbling fetch sends bodies that are not JSON.
window.start = async (domain, baseUrl, key, context, garble) => {
  await OpenFeature.setContext(domain, context);
  const provider = new OFREPWebProvider({
    baseUrl,
    headers: [['Authorization', 'Bearer ' + key]],
    cacheMode: 'disabled',
    ...(garble ? { fetchImplementation: (request) => fetch(new Request(request, { body: '{"context":' })) } : {}),
  });
  const client = OpenFeature.getClient(domain);
  client.addHandler(ProviderEvents.ConfigurationChanged, (details) => window.changes.push(...(details.flagsChanged ?? [])));
  client.addHandler(ProviderEvents.Error, (details) => window.errors.push(details.message));
  try {
    await OpenFeature.setProviderAndWait(domain, provider);
  } catch (error) {
    return 'failed: ' + error.message;
  }
  return 'ready';
};
window.details = (domain, key, defaultValue) => {
  const client = OpenFeature.getClient(domain);
  const details =
    typeof defaultValue === 'boolean' ? client.getBooleanDetails(key, defaultValue)
    : typeof defaultValue === 'string' ? client.getStringDetails(key, defaultValue)
    : client.getNumberDetails(key, defaultValue);
  const { value, variant, reason, errorCode } = details;
  return { value, variant, reason, errorCode };
};
window.setContext = (domain, context) => OpenFeature.setContext(domain, context);
`;

const production = { enabled: true, offVariant: 'off' };
const checkout = (targeted: string[]): Omit<FlagDocument, 'version'> => ({
  key: 'checkout',
  variants: { on: true, off: false },
  environments: {
    production: {
      ...production,
      targets: [{ values: targeted, variant: 'on' }],
      fallthrough: { variant: 'off' },
    },
  },
});
const banner = (colour: string): Omit<FlagDocument, 'version'> => ({
  key: 'banner',
  variants: { shown: colour, off: 'hidden' },
  environments: { production: { ...production, fallthrough: { variant: 'shown' } } },
});
/** Buckets by orgId: TARGETING_KEY_MISSING for a context without one. */
const orgRollout: Omit<FlagDocument, 'version'> = {
  key: 'org-rollout',
  variants: { on: true, off: false },
  environments: {
    production: {
      ...production,
      fallthrough: {
        rollout: {
          bucketBy: 'orgId',
          weights: [
            { variant: 'on', weight: 50_000 },
            { variant: 'off', weight: 50_000 },
          ],
        },
      },
    },
  },
};

const server = new SdkTestServer();
let pages: PageServer;
let browser: Browser;
let tab: Page;
let clientKey: string;
let bulkResponses: Response[] = [];
/** Settles once the page's OFREP event stream is open: changes before that would not be announced to it. */
let eventStreamOpen: Promise<Response>;

async function newKey(environment = 'production'): Promise<string> {
  const created = await server.admin('POST', '/api/v1/tokens', {
    name: `web-${Math.random()}`,
    kind: 'client',
    environment,
  });
  return created.body.token as string;
}

type Details = { value: unknown; variant?: string; reason?: string; errorCode?: string };

const details = (domain: string, key: string, defaultValue: boolean | string | number): Promise<Details> =>
  tab.evaluate(
    ([d, k, v]) => (window as unknown as { details: (...a: unknown[]) => Details }).details(d, k, v),
    [domain, key, defaultValue] as const,
  );

const start = (
  domain: string,
  key: string,
  context: Record<string, unknown>,
  garble = false,
): Promise<string> =>
  tab.evaluate(
    ([d, url, k, c, g]) =>
      (window as unknown as { start: (...a: unknown[]) => Promise<string> }).start(d, url, k, c, g),
    [domain, server.url, key, context, garble] as const,
  );

const changes = (): Promise<string[]> =>
  tab.evaluate(() => (window as unknown as { changes: string[] }).changes);
const errors = (): Promise<string[]> =>
  tab.evaluate(() => (window as unknown as { errors: string[] }).errors);

beforeAll(async () => {
  pages = new PageServer({
    '/': '<!doctype html><html><body><script src="/app.js"></script></body></html>',
    '/app.js': await bundleForBrowser(ENTRY),
  });
  await pages.start();
  await server.start({ corsOrigins: [pages.origin] });
  for (const flag of [checkout(['alice']), banner('green'), orgRollout]) await server.putFlag(flag);
  clientKey = await newKey();
  browser = await launchChromium();
});

beforeEach(async () => {
  await tab?.close();
  tab = await browser.newPage();
  bulkResponses = [];
  tab.on('response', (response) => {
    if (new URL(response.url()).pathname === '/ofrep/v1/evaluate/flags') bulkResponses.push(response);
  });
  eventStreamOpen = tab.waitForResponse(
    (response) => new URL(response.url()).pathname === '/ofrep/v1/events',
    {
      timeout: 15_000,
    },
  );
  eventStreamOpen.catch(() => undefined); // only the live tests await it
  await tab.goto(pages.origin + '/');
});

afterAll(async () => {
  await browser?.close();
  await pages?.stop();
  await server.dispose();
});

describe('@openfeature/ofrep-web-provider in chromium', () => {
  it('initialises from one bulk evaluation and resolves from it', async () => {
    expect(await start('main', clientKey, { targetingKey: 'alice' })).toBe('ready');
    expect(await details('main', 'checkout', false)).toEqual({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
      errorCode: undefined,
    });
    expect(await details('main', 'banner', 'none')).toMatchObject({ value: 'green', reason: 'DEFAULT' });
    expect(bulkResponses.map((response) => response.status())).toEqual([200]);
  });

  it('receives changes live through the event stream, and a kill', async () => {
    await start('main', clientKey, { targetingKey: 'carol' });
    expect((await eventStreamOpen).status()).toBe(200);
    await server.putFlag(banner('lime'));
    await expect.poll(changes, { timeout: 5_000 }).toContain('banner');
    expect(await details('main', 'banner', 'none')).toMatchObject({ value: 'lime' });

    await server.kill('banner', 'web provider test');
    await expect
      .poll(() => details('main', 'banner', 'none'), { timeout: 5_000 })
      .toMatchObject({
        value: 'hidden',
        reason: 'KILLED',
      });
    await server.admin('POST', '/api/v1/flags/banner/environments/production/unkill', {});
    await expect
      .poll(() => details('main', 'banner', 'none'), { timeout: 5_000 })
      .toMatchObject({ value: 'lime' });
    await server.putFlag(banner('green'));
  });

  it('gets 304 when a change does not alter this user’s values, and announces nothing', async () => {
    await start('main', clientKey, { targetingKey: 'carol' });
    expect((await eventStreamOpen).status()).toBe(200);
    await server.putFlag(checkout(['alice', 'dave']));
    await expect
      .poll(() => bulkResponses.map((response) => response.status()), { timeout: 5_000 })
      .toEqual([200, 304]);
    const refetch = bulkResponses[1]!.request();
    expect(refetch.headers()['if-none-match']).toBe(await bulkResponses[0]!.headerValue('etag'));
    expect(new URL(refetch.url()).searchParams.get('flagConfigEtag')).toMatch(/^\d+$/);
    expect(await changes()).toEqual([]);
    await server.putFlag(checkout(['alice']));
  });

  describe('error codes', () => {
    it('FLAG_NOT_FOUND and TARGETING_KEY_MISSING', async () => {
      await start('main', clientKey, { targetingKey: 'carol' });
      expect(await details('main', 'no-such-flag', true)).toMatchObject({
        value: true,
        errorCode: 'FLAG_NOT_FOUND',
      });
      expect(await details('main', 'org-rollout', true)).toMatchObject({
        value: true,
        errorCode: 'TARGETING_KEY_MISSING',
      });
      await tab.evaluate(() =>
        (window as unknown as { setContext: (...a: unknown[]) => Promise<void> }).setContext('main', {
          targetingKey: 'carol',
          orgId: 'acme',
        }),
      );
      expect(await details('main', 'org-rollout', true)).toMatchObject({
        reason: 'SPLIT',
        errorCode: undefined,
      });
    });

    it('GENERAL for a flag whose stored configuration cannot be evaluated', async () => {
      const broken: FlagDocument = {
        key: 'broken',
        variants: { on: true },
        environments: { staging: { enabled: true, offVariant: 'on', fallthrough: { variant: 'missing' } } },
        version: 1,
      };
      // Written past the API's validation, as a hand-edited database row would be.
      await server.app!.store.transaction((tx) => tx.putFlag(broken));
      await start('staging', await newKey('staging'), {});
      expect(await details('staging', 'broken', false)).toMatchObject({ value: false, errorCode: 'GENERAL' });
    });

    it('INVALID_CONTEXT: the bulk answer is a 400 and the provider reports an error', async () => {
      await start('main', clientKey, { targetingKey: 'carol' });
      const oversized = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`attribute${i}`, i]));
      await tab.evaluate(
        (context) =>
          (window as unknown as { setContext: (...a: unknown[]) => Promise<void> }).setContext(
            'main',
            context,
          ),
        oversized,
      );
      await expect.poll(errors, { timeout: 5_000 }).toHaveLength(1);
      const failed = bulkResponses[1]!;
      expect(failed.status()).toBe(400);
      expect(await failed.json()).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
    });

    it('PARSE_ERROR: a body that is not JSON fails initialisation', async () => {
      expect(await start('garbled', clientKey, {}, true)).toMatch(/^failed: .*400/);
      expect(bulkResponses[0]!.status()).toBe(400);
      expect(await bulkResponses[0]!.json()).toMatchObject({ errorCode: 'PARSE_ERROR' });
    });

    it('an unknown key fails initialisation (401)', async () => {
      expect(await start('refused', 'sb_client_not-a-key', {})).toMatch(/^failed:/);
      expect(bulkResponses[0]!.status()).toBe(401);
    });
  });
});
