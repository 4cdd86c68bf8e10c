/**
 * The browser SDK's `<script>` build in a real chromium against the real server: first render, a flag
 * change and a kill reaching the page live (no reload) within a second, and a reload with the server
 * stopped rendering from the cache.
 */
import type { FlagDocument } from '@switchboard/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PageServer, launchChromium, sdkIifeBuild } from './browser-harness';
import { SdkTestServer, booleanFlag } from './sdk-harness';

const LIVE_UPDATE_BUDGET_MS = 1_000;

const banner = (colour: string): Omit<FlagDocument, 'version'> => ({
  key: 'banner',
  variants: { shown: colour, hidden: 'hidden' },
  environments: { production: { enabled: true, offVariant: 'hidden', fallthrough: { variant: 'shown' } } },
});

function page(serverUrl: string, clientKey: string): string {
  return `<!doctype html>
<html><body>
<p id="checkout">loading</p><p id="banner">loading</p>
<script src="/switchboard.global.js"></script>
<script>
  const client = Switchboard.createClient({
    url: ${JSON.stringify(serverUrl)},
    clientKey: ${JSON.stringify(clientKey)},
    context: { userId: 'alice', plan: 'pro' },
  });
  function render() {
    document.getElementById('checkout').textContent = client.isEnabled('checkout') ? 'new checkout' : 'old checkout';
    document.getElementById('banner').textContent = client.stringVariation('banner', 'default banner');
  }
  client.on('change', render);
  client.ready().then(render);
</script>
</body></html>`;
}

const server = new SdkTestServer();
let pages: PageServer;
let browser: Browser;
let tab: Page;

/** Runs `change` and waits for `#id` to read `text`; answers the milliseconds from the call to the render. */
async function timeUntilRendered(id: string, text: string, change: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await change();
  await tab.waitForFunction(
    ([selector, expected]) => document.getElementById(selector as string)?.textContent === expected,
    [id, text],
    { timeout: 5_000, polling: 10 },
  );
  return Date.now() - started;
}

beforeAll(async () => {
  const script = sdkIifeBuild();
  pages = new PageServer({ '/switchboard.global.js': script });
  await pages.start();
  // The page is another origin than the server: the SDK's requests are cross-origin (CORS).
  await server.start({ corsOrigins: [pages.origin] });
  await server.putFlag(booleanFlag('checkout', 'on'));
  await server.putFlag(banner('green'));
  const created = await server.admin('POST', '/api/v1/tokens', {
    name: 'browser-test',
    kind: 'client',
    environment: 'production',
  });
  pages.set('/', page(server.url, created.body.token as string));
  browser = await launchChromium();
  tab = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await pages?.stop();
  await server.dispose();
});

describe('the <script> build in chromium', () => {
  it('renders the values the server evaluated for the page’s context', async () => {
    await tab.goto(pages.origin + '/');
    await tab.waitForFunction(() => document.getElementById('banner')?.textContent === 'green', undefined, {
      timeout: 5_000,
    });
    expect(await tab.textContent('#checkout')).toBe('new checkout');
  });

  it('shows a flag change without a reload, within a second', async () => {
    const elapsed = await timeUntilRendered('banner', 'lime', () => server.putFlag(banner('lime')));
    expect(elapsed).toBeLessThan(LIVE_UPDATE_BUDGET_MS);
  });

  it('shows a kill without a reload, within a second', async () => {
    const elapsed = await timeUntilRendered('checkout', 'old checkout', () =>
      server.kill('checkout', 'browser test: checkout incident'),
    );
    expect(elapsed).toBeLessThan(LIVE_UPDATE_BUDGET_MS);
    expect(await tab.textContent('#banner')).toBe('lime');
  });

  it('renders the last values from the cache when reloaded with the server stopped', async () => {
    await server.stop();
    const failed: string[] = [];
    tab.on('requestfailed', (request) => failed.push(request.url()));
    await tab.reload();
    await tab.waitForFunction(() => document.getElementById('banner')?.textContent !== 'loading', undefined, {
      timeout: 5_000,
    });
    expect(await tab.textContent('#banner')).toBe('lime');
    expect(await tab.textContent('#checkout')).toBe('old checkout');
    // The server really was unreachable: the stream request failed.
    await expect
      .poll(() => failed.some((url) => url.endsWith('/client/v1/stream')), { timeout: 5_000 })
      .toBe(true);
  });
});
