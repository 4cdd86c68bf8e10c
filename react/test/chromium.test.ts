/**
 * Server-side rendering hydrated in a real chromium: the HTML rendered with the Node SDK's bootstrap,
 * hydrated by the bundled React bindings and browser SDK without a mismatch, then a kill reaching the
 * page through the browser SDK's stream.
 */
import { fileURLToPath } from 'node:url';
import { createClient as createNodeClient } from '@switchboard/sdk-node';
import type { SwitchboardClient as NodeClient } from '@switchboard/sdk-node';
import type { Browser, Page } from 'playwright-core';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SwitchboardProvider, createStaticClient, serializeBootstrap } from '../src';
import { browserBootstrap } from '../../sdk-node/src/middleware/request-flags';
import { PageServer, bundleForBrowser, launchChromium } from '../../test/browser-harness';
import type { TestServer } from '../../server/test/helpers';
import { booleanFlag, flagPath, startServer } from '../../server/test/helpers';
import { ShopPage } from './fixtures/shop-page';

const source = (path: string) => JSON.stringify(fileURLToPath(new URL(path, import.meta.url)));

const HYDRATE = `
import { createElement } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { createClient } from '@switchboard/sdk-browser';
import { SwitchboardProvider } from ${source('../src/index.ts')};
import { ShopPage } from ${source('./fixtures/shop-page.ts')};

const config = JSON.parse(document.getElementById('config').textContent);
const bootstrap = JSON.parse(document.getElementById('flags').textContent);
const client = createClient({ url: config.url, clientKey: config.clientKey, context: config.context, bootstrap });
window.hydrationErrors = [];
hydrateRoot(
  document.getElementById('root'),
  createElement(SwitchboardProvider, { client, bootstrap }, createElement(ShopPage)),
  { onRecoverableError: (error) => window.hydrationErrors.push(String(error)) },
);
window.hydrated = true;
`;

const ALICE = { userId: 'alice' };

let switchboard: TestServer;
let nodeClient: NodeClient;
let pages: PageServer;
let browser: Browser;
let tab: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  // An empty favicon: chromium asks for one, and its 404 would be a console error.
  pages = new PageServer({ '/app.js': await bundleForBrowser(HYDRATE), '/favicon.ico': '' });
  await pages.start();
  switchboard = await startServer({ corsOrigins: [pages.origin] });
  const checkout = booleanFlag('checkout-v2');
  checkout.environments.production!.targets = [{ attribute: 'userId', values: ['alice'], variant: 'on' }];
  expect((await switchboard.request('PUT', flagPath('checkout-v2'), { body: checkout })).status).toBeLessThan(
    300,
  );
  nodeClient = createNodeClient({
    url: switchboard.url,
    sdkKey: await switchboard.token('server', 'production'),
    metrics: false,
  });
  await nodeClient.ready();

  // What the shop's server does per request: evaluate locally, render, ship the bootstrap.
  const bootstrap = browserBootstrap(nodeClient, ALICE);
  const html = renderToString(
    createElement(SwitchboardProvider, { client: createStaticClient(bootstrap) }, createElement(ShopPage)),
  );
  const config = {
    url: switchboard.url,
    clientKey: await switchboard.token('client', 'production'),
    context: ALICE,
  };
  pages.set(
    '/',
    `<!doctype html><html><body><div id="root">${html}</div>
<script id="flags" type="application/json">${serializeBootstrap(bootstrap)}</script>
<script id="config" type="application/json">${JSON.stringify(config)}</script>
<script src="/app.js"></script></body></html>`,
  );

  browser = await launchChromium();
  tab = await browser.newPage();
  tab.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  tab.on('pageerror', (error) => consoleErrors.push(String(error)));
});

afterAll(async () => {
  await browser?.close();
  await pages?.stop();
  await nodeClient?.close();
  switchboard?.app.server.closeAllConnections();
  await switchboard?.close();
});

it('hydrates the server-rendered page without a mismatch, then follows a kill live', async () => {
  await tab.goto(pages.origin + '/');
  await tab.waitForFunction(() => (window as unknown as { hydrated?: boolean }).hydrated === true);
  expect(
    await tab.evaluate(() => (window as unknown as { hydrationErrors: string[] }).hydrationErrors),
  ).toEqual([]);
  expect(consoleErrors).toEqual([]);
  expect(await tab.textContent('#pay')).toBe('Pay with the new flow');

  const kill = await switchboard.request('POST', `${flagPath('checkout-v2')}/environments/production/kill`, {
    body: { reason: 'payment errors' },
  });
  expect(kill.status).toBe(200);
  await tab.waitForFunction(() => document.getElementById('pay')?.textContent === 'Pay', undefined, {
    timeout: 5_000,
  });
  expect(consoleErrors).toEqual([]);
});
