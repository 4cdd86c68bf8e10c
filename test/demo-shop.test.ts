/**
 * The demo shop's kill-switch story in a real chromium: a shopper on the new payment flow sees it
 * (server-rendered and hydrated without errors), the flag is killed, and the open page switches back
 * to the old flow without a reload — while the shop's server-side payments switch too.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startShop } from '../examples/shop/shop';
import { launchChromium } from './browser-harness';
import type { TestServer } from '../server/test/helpers';
import { booleanFlag, flagPath, startServer } from '../server/test/helpers';

let switchboard: TestServer;
let shop: Awaited<ReturnType<typeof startShop>>;
let browser: Browser;
let tab: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  // The shop's origin is only known once it listens, after it needed the server: allow any origin.
  switchboard = await startServer({ corsOrigins: ['*'] });
  const flag = booleanFlag('new-payment-flow');
  flag.environments.production!.fallthrough = { variant: 'on' };
  expect((await switchboard.request('PUT', flagPath(flag.key), { body: flag })).status).toBeLessThan(300);
  shop = await startShop({
    port: 0,
    switchboardUrl: switchboard.url,
    sdkKey: await switchboard.token('server', 'production'),
    clientKey: await switchboard.token('client', 'production'),
  });
  browser = await launchChromium();
  const context = await browser.newContext();
  await context.addCookies([{ name: 'shopper', value: 'shopper-7', url: shop.url }]);
  tab = await context.newPage();
  tab.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('status of 500'))
      pageErrors.push(message.text());
  });
  tab.on('pageerror', (error) => pageErrors.push(String(error)));
});

afterAll(async () => {
  await browser?.close();
  await shop?.close();
  switchboard?.app.server.closeAllConnections();
  await switchboard?.close();
});

async function payOnServer(): Promise<string> {
  const response = await fetch(`${shop.url}/api/pay`, {
    method: 'POST',
    headers: { cookie: 'shopper=shopper-7' },
  });
  return ((await response.json()) as { flow: string }).flow;
}

it('takes a shopper on the new flow back to the old one when the flag is killed, without a reload', async () => {
  await tab.goto(shop.url + '/');
  expect(await tab.textContent('#pay')).toBe('Pay in one click (new)');
  // A click works only once the page is hydrated.
  await tab.click('#pay');
  await tab.waitForFunction(() => /Paid|failed/.test(document.getElementById('status')?.textContent ?? ''));
  expect(await payOnServer()).toBe('new');

  const kill = await switchboard.request(
    'POST',
    `${flagPath('new-payment-flow')}/environments/production/kill`,
    {
      body: { reason: 'payment errors' },
    },
  );
  expect(kill.status).toBe(200);
  await tab.waitForFunction(() => document.getElementById('pay')?.textContent === 'Pay by card', undefined, {
    timeout: 5_000,
  });
  await expect.poll(payOnServer).toBe('old');
  expect(pageErrors).toEqual([]);
});
