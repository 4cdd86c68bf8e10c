/**
 * The progressive-delivery views of the admin UI in a real browser (Debian chromium through
 * playwright-core) against a real server: a running plan with its steps, timer and guard numbers,
 * pausing and aborting it, starting a plan from the form, the evaluations chart, the "ready to
 * remove" badge, and registering a webhook.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signIn, startAdminUiServer } from './admin-ui-harness';
import type { AdminUiServer } from './admin-ui-harness';
import { launchChromium } from './browser-harness';
import { eventually } from './sdk-harness';

const ADMIN_TOKEN = 'sb_admin_delivery-ui-test-secret';
/** For what the page shows after loading or a scheduler tick: expect.poll's default 1 s is short under load. */
const POLL = { timeout: 10_000 };

let server: AdminUiServer;
let baseUrl: string;
let browser: Browser;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads response JSON freely
type Json = any;

const api = (method: string, path: string, body?: unknown, token?: string) =>
  server.api<Json>(method, path, body, token);

const flag = (key: string) => ({
  key,
  variants: { on: true, off: false },
  environments: Object.fromEntries(
    ['staging', 'production'].map((env) => [
      env,
      { enabled: true, offVariant: 'off', fallthrough: { variant: 'off' } },
    ]),
  ),
});
const weights = (on: number) => [
  { variant: 'on', weight: on * 1000 },
  { variant: 'off', weight: (100 - on) * 1000 },
];

beforeAll(async () => {
  server = await startAdminUiServer(ADMIN_TOKEN, { delivery: { tickMs: 100 } });
  baseUrl = server.baseUrl;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function signedIn(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, baseUrl, ADMIN_TOKEN);
  return page;
}

it('shows a guarded plan live, lets a person pause, abort and start plans, and lists stale flags and webhooks', async () => {
  await api('PUT', '/api/v1/flags/checkout', flag('checkout'));
  await api('PUT', '/api/v1/flags/legacy-banner', flag('legacy-banner'));
  const db = new Database(join(server.dir, 'switchboard.db'));
  db.prepare("UPDATE flags SET created_at = '2020-01-01T00:00:00.000Z' WHERE key = 'legacy-banner'").run();
  db.close();

  const planPath = '/api/v1/flags/checkout/environments/production/plan';
  await api('PUT', planPath, {
    steps: [{ weights: weights(50), holdSeconds: 3600 }, { weights: weights(100) }],
    guards: [
      { name: 'errors', event: 'error', kind: 'rate', treatment: 'on', control: 'off', minSample: 10 },
    ],
  });
  await eventually(async () => (await api('GET', planPath)).currentStep === 0, 'the first step');
  const key = (
    await api('POST', '/api/v1/tokens', { name: 'app', kind: 'server', environment: 'production' })
  ).token;
  const users = Array.from({ length: 40 }, (_, index) => ({
    user: `u${index}`,
    variant: index % 2 ? 'on' : 'off',
  }));
  await api(
    'POST',
    '/sdk/v1/events',
    {
      sdk: { instanceId: 'shop-1', name: 'switchboard-sdk-node', version: '0.1.0', rulesetVersion: null },
      exposures: users.map(({ user, variant }) => ({ flag: 'checkout', variant, user, reason: 'SPLIT' })),
      events: [{ event: 'error', user: 'u1', variants: { checkout: 'on' } }],
    },
    key,
  );
  await api(
    'POST',
    '/sdk/v1/metrics',
    {
      windowStart: new Date(Date.now() - 120_000).toISOString(),
      windowEnd: new Date(Date.now() - 60_000).toISOString(),
      counts: [
        { flag: 'checkout', variant: 'on', reason: 'SPLIT', count: 120 },
        { flag: 'checkout', variant: 'off', reason: 'SPLIT', count: 80 },
      ],
    },
    key,
  );

  const page = await signedIn();
  const legacy = page.getByRole('row', { name: /legacy-banner/ });
  await expect.poll(() => legacy.getByText('ready to remove').count(), POLL).toBe(1);

  await page.goto(`${baseUrl}/#/flags/checkout/production`);
  const plan = page.getByRole('region', { name: 'Rollout plan in production' });
  await plan.getByText(/Step 1 of 2 · next step in \d+m/).waitFor();
  const guardRow = plan.getByRole('row', { name: /errors/ });
  await expect
    .poll(() => guardRow.innerText(), POLL)
    .toMatch(/5\.00%\s+on, 20 users[\s\S]*0\.00%\s+off, 20 users/);
  await expect.poll(() => guardRow.innerText(), POLL).toMatch(/healthy/);
  const chart = page.getByRole('img', { name: /200 evaluations: on 120, off 80/ });
  await chart.waitFor();
  await expect
    .poll(() => page.getByRole('region', { name: 'Evaluations in production' }).innerText(), POLL)
    .toMatch(/shop-1\s+switchboard-sdk-node 0\.1\.0/);

  await plan.getByLabel('Why').fill('checking the dashboards');
  await plan.getByRole('button', { name: 'Pause' }).click();
  await plan.getByText(/left on this step when resumed/).waitFor();
  expect((await api('GET', planPath)).status).toBe('paused');
  await plan.getByRole('button', { name: 'Abort plan' }).click();
  await plan.getByText('aborted by admin', { exact: false }).first().waitFor();
  const history = await api('GET', planPath);
  expect(history.history.map((event: { event: string }) => event.event)).toEqual([
    'created',
    'advanced',
    'paused',
    'aborted',
  ]);
  expect(history.history[2].detail).toBe('paused: checking the dashboards');

  // A new plan from the form, in staging.
  await page.goto(`${baseUrl}/#/flags/checkout/staging`);
  const staging = page.getByRole('region', { name: 'Rollout plan in staging' });
  await staging.getByRole('button', { name: 'New plan…' }).click();
  await staging.getByLabel('Step 2 hold').fill('2h');
  await staging.getByRole('button', { name: 'Start plan' }).click();
  await staging.getByText(/Step 1 of 5/).waitFor();
  const created = await api('GET', '/api/v1/flags/checkout/environments/staging/plan');
  expect(created.definition.steps[1]).toEqual({ weights: weights(5), holdSeconds: 7200 });
  expect(created.definition.guards[0]).toMatchObject({
    event: 'error',
    minSample: 500,
    absoluteThreshold: 0.01,
  });

  await page.goto(`${baseUrl}/#/webhooks`);
  await page.getByLabel('URL').fill('https://hooks.example.com/switchboard');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect.poll(() => page.locator('code.secret').innerText(), POLL).toMatch(/^whsec_/);
  expect((await api('GET', '/api/v1/webhooks')).webhooks).toHaveLength(1);
});
