/**
 * The admin UI in a real browser (Debian chromium through playwright-core) against a real server:
 * built UI, SQLite file in a temp directory, random port. Screenshots go to a folder printed below.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlagDocument } from '@switchboard/core';
import type { Browser, BrowserContext, BrowserContextOptions, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signIn, startAdminUiServer } from './admin-ui-harness';
import type { AdminUiServer } from './admin-ui-harness';
import { launchChromium } from './browser-harness';

const SCREENSHOTS = join(tmpdir(), 'switchboard-ui-screenshots');
const ADMIN_TOKEN = `sb_admin_e2e-${randomBytes(12).toString('hex')}`;
/** Long enough for the change feed's polling fallback (3 s) plus a margin. */
const LIVE_TIMEOUT_MS = 10_000;
/**
 * For what happens once the browser has painted (focus moves in effects, console reports): a frame can take
 * seconds when chromium shares two busy cores, and expect.poll's own default is 1 s.
 */
const UI_TIMEOUT_MS = 10_000;

const WIDTHS = { laptop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

let server: AdminUiServer;
let baseUrl: string;
let browser: Browser;

const api = <T>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);
const getFlag = (key: string) => api<FlagDocument>('GET', `/api/v1/flags/${encodeURIComponent(key)}`);

/** A boolean flag, off everywhere unless `production` says otherwise. */
async function createFlag(
  key: string,
  options: { tags?: string[]; production?: object } = {},
): Promise<void> {
  const environment = (enabled: boolean) => ({
    enabled,
    offVariant: 'off',
    fallthrough: { variant: 'on' },
    targets: [],
    rules: [],
  });
  await api('PUT', `/api/v1/flags/${encodeURIComponent(key)}`, {
    key,
    description: `The ${key} feature`,
    tags: options.tags ?? [],
    variants: { on: true, off: false },
    environments: {
      development: environment(true),
      staging: environment(false),
      production: { ...environment(false), ...options.production },
    },
  });
}

async function createToken(kind: string, name: string): Promise<string> {
  return (await api<{ token: string }>('POST', '/api/v1/tokens', { name, kind })).token;
}

/** Content Security Policy violations any page reported (the server's CSP allows no inline code). */
const cspViolations: string[] = [];

/** A fresh browser session whose pages report every CSP violation into `cspViolations`. */
async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) =>
      console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`),
    );
  });
  context.on('console', (message) => {
    if (message.type() === 'error' && /CSP violation|Content Security Policy/.test(message.text()))
      cspViolations.push(message.text());
  });
  return context;
}

/** A fresh browser session (its own sessionStorage), signed in with `token`. */
async function signedIn(token = ADMIN_TOKEN, viewport = WIDTHS.laptop): Promise<Page> {
  const context = await newContext({ viewport });
  const page = await context.newPage();
  await signIn(page, baseUrl, token);
  return page;
}

/** The text of the element that has focus. */
const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent ?? '');

/** Opens a flag page and waits until it is ready for the keyboard: its heading takes focus once painted. */
async function openFlag(page: Page, key: string, environment = 'production'): Promise<void> {
  await page.goto(`${baseUrl}/#/flags/${encodeURIComponent(key)}/${environment}`);
  await page.getByRole('heading', { name: key, level: 1, exact: true }).waitFor();
  await expect.poll(() => focusedText(page), { timeout: UI_TIMEOUT_MS }).toBe(key);
}

async function save(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('region', { name: 'Unsaved changes' }).waitFor({ state: 'detached' });
}

beforeAll(async () => {
  server = await startAdminUiServer(ADMIN_TOKEN);
  baseUrl = server.baseUrl;
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
  console.log(`admin UI screenshots: ${SCREENSHOTS}`);
});

afterEach(() => {
  expect(cspViolations.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('admin UI', () => {
  it('signs in with a token kept in session storage, never in the URL, and refuses a wrong one', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(baseUrl);
    await page.getByLabel('Token').fill('sb_admin_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was not accepted.').waitFor();

    await page.getByLabel('Token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Flags', level: 1 }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('switchboard.token'))).toBe(ADMIN_TOKEN);
    expect(page.url()).not.toContain(ADMIN_TOKEN);

    // A reload of the tab keeps the session; signing out forgets the token.
    await page.reload();
    await page.getByRole('heading', { name: 'Flags', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('switchboard.token'))).toBeNull();
    await context.close();
  });

  it('creates a flag', async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'New flag' }).click();
    await page.getByLabel('Key').fill('checkout-v2');
    await page.getByLabel('Description').fill('New checkout flow');
    await page.getByLabel('Tags (comma-separated)').fill('payments, web');
    await page.getByRole('button', { name: 'Create flag' }).click();
    await page.getByRole('heading', { name: 'checkout-v2', level: 1 }).waitFor();

    const flag = await getFlag('checkout-v2');
    expect(flag.description).toBe('New checkout flow');
    expect(flag.tags).toEqual(['payments', 'web']);
    expect(flag.variants).toEqual({ on: true, off: false });
    expect(flag.environments.production).toMatchObject({ enabled: false, offVariant: 'off', killed: null });
    await page.context().close();
  });

  it('ramps a flag from 5% to 25% with the slider, showing how many users each step moves', async () => {
    await createFlag('ramp-me');
    const page = await signedIn();
    await openFlag(page, 'ramp-me');

    await page.getByRole('switch', { name: /in production/ }).click();
    await page.getByRole('radio', { name: 'Percentage rollout' }).check();
    const slider = page.getByRole('slider', { name: 'Users served on' });
    await slider.fill('5');
    await page.getByText('This change moves 5% of users: 5% from off to on.').waitFor();
    await save(page);
    let production = (await getFlag('ramp-me')).environments.production!;
    expect(production.enabled).toBe(true);
    expect(production.fallthrough).toEqual({
      rollout: {
        weights: [
          { variant: 'on', weight: 5_000 },
          { variant: 'off', weight: 95_000 },
        ],
      },
    });

    await slider.fill('25');
    await page.getByText('This change moves 20% of users: 20% from off to on.').waitFor();
    // The exact entry shows the same share, to 0.001%.
    expect(await page.getByLabel('on %').inputValue()).toBe('25');
    await save(page);
    production = (await getFlag('ramp-me')).environments.production!;
    expect(production.fallthrough).toEqual({
      rollout: {
        weights: [
          { variant: 'on', weight: 25_000 },
          { variant: 'off', weight: 75_000 },
        ],
      },
    });

    // Exact entry in 0.001% steps.
    await page.getByLabel('on %').fill('25.125');
    await page.getByText('This change moves 0.125% of users: 0.125% from off to on.').waitFor();
    await save(page);
    production = (await getFlag('ramp-me')).environments.production!;
    expect('rollout' in production.fallthrough && production.fallthrough.rollout.weights[0]!.weight).toBe(
      25_125,
    );
    await page.context().close();
  });

  it('adds a targeting rule with operator-aware inputs, and tests a context against it', async () => {
    await createFlag('rule-me', { production: { enabled: true, fallthrough: { variant: 'off' } } });
    const page = await signedIn();
    await openFlag(page, 'rule-me');

    await page.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.locator('li.rule').first();
    await rule.getByRole('button', { name: 'Add condition' }).click();
    await rule.getByLabel('Attribute').fill('country');
    await rule.getByLabel('Values, one per line').fill('DE\nFR');
    await rule.getByRole('button', { name: 'Add condition' }).click();
    const second = rule.getByRole('group', { name: 'Condition 2' });
    await second.getByLabel('Attribute').fill('appVersion');
    await second.getByLabel('Operator').selectOption('semverGte');
    await second.getByLabel('Versions, one per line').fill('2.3');
    await second.getByText('“2.3” is not a version like 2.3.0').waitFor();
    await second.getByLabel('Versions, one per line').fill('2.3.0');
    await rule.getByLabel('Variant', { exact: true }).selectOption('on');
    await save(page);

    const rules = (await getFlag('rule-me')).environments.production!.rules!;
    expect(rules).toHaveLength(1);
    expect(rules[0]!.clauses).toEqual([
      { attribute: 'country', op: 'in', values: ['DE', 'FR'] },
      { attribute: 'appVersion', op: 'semverGte', values: ['2.3.0'] },
    ]);
    expect(rules[0]!.serve).toEqual({ variant: 'on' });

    const tester = page.getByRole('region', { name: 'Test a context' });
    await tester
      .getByLabel('Context (JSON)')
      .fill('{"userId": "u-1", "country": "DE", "appVersion": "2.4.1"}');
    await tester.getByRole('button', { name: 'Evaluate in production' }).click();
    await tester.getByText('RULE_MATCH').waitFor();
    await tester
      .getByLabel('Context (JSON)')
      .fill('{"userId": "u-1", "country": "US", "appVersion": "2.4.1"}');
    await tester.getByRole('button', { name: 'Evaluate in production' }).click();
    await tester.getByText('FALLTHROUGH').waitFor();
    await page.context().close();
  });

  it('kills a flag with a reason, shows the audit entry with its diff, and unkill restores it', async () => {
    await createFlag('kill-me', { tags: ['payments'], production: { enabled: true } });
    // A connected SDK, so the page has an acknowledgement to show.
    const sdkKey = (
      await api<{ token: string }>('POST', '/api/v1/tokens', {
        name: 'checkout-service',
        kind: 'server',
        environment: 'production',
      })
    ).token;
    const sdk = new AbortController();
    const stream = await fetch(`${baseUrl}/sdk/v1/stream`, {
      headers: { authorization: `Bearer ${sdkKey}` },
      signal: sdk.signal,
    });
    void stream.body?.pipeTo(new WritableStream()).catch(() => undefined);
    const page = await signedIn();
    await openFlag(page, 'kill-me');

    await page.getByRole('button', { name: 'Kill in production…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill kill-me in production?' });
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('checkout errors after deploy 4521');
    await dialog.getByRole('button', { name: 'Kill in production' }).click();
    await page.getByRole('heading', { name: 'Killed in production' }).waitFor();
    // Focus moves to the control that now matters.
    await expect.poll(() => focusedText(page), { timeout: UI_TIMEOUT_MS }).toBe('Unkill in production');
    expect((await getFlag('kill-me')).environments.production!.killed).toMatchObject({
      reason: 'checkout errors after deploy 4521',
    });
    await page.getByText('1 of 1 connected SDK in production has received the kill.').waitFor();
    sdk.abort();

    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    const entry = page.locator('li.entry', { hasText: 'flag.kill' }).first();
    await entry.locator('p.reason', { hasText: 'checkout errors after deploy 4521' }).waitFor();
    const row = entry.getByRole('row', { name: /environments\.production\.killed/ });
    expect(await row.locator('td.before').innerText()).toBe('null');
    expect(await row.locator('td.after').innerText()).toContain(
      '"reason": "checkout errors after deploy 4521"',
    );
    await page.getByText(/Chain verified · \d+ entries/).waitFor();

    await page.goBack();
    await page.getByRole('button', { name: 'Unkill in production' }).click();
    await page.getByRole('button', { name: 'Kill in production…' }).waitFor();
    expect((await getFlag('kill-me')).environments.production).toMatchObject({ enabled: true, killed: null });

    // All of that ran under the strict policy without a violation; an inline style would be one.
    expect((await fetch(baseUrl)).headers.get('content-security-policy')).toContain("style-src 'self'");
    expect(cspViolations).toEqual([]);
    await page.evaluate(() => {
      const style = document.createElement('style');
      style.textContent = 'body { outline: 1px solid red }';
      document.head.append(style);
    });
    await expect.poll(() => cspViolations.length, { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(0);
    await page.context().close();
    // Chromium may report the one blocked style more than once.
    expect(cspViolations.splice(0)).toEqual(expect.arrayContaining([expect.stringMatching(/style-src/)]));
  });

  it('runs the kill dialog from the keyboard, returning focus where it was', async () => {
    await createFlag('keyboard-kill', { production: { enabled: true } });
    const page = await signedIn();
    await openFlag(page, 'keyboard-kill');
    const killButton = page.getByRole('button', { name: 'Kill in production…' });
    const dialog = page.getByRole('dialog', { name: 'Kill keyboard-kill in production?' });
    const reasonFocused = () =>
      page.getByLabel('Reason (recorded in the audit log)').evaluate((e) => e === document.activeElement);

    await killButton.focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    expect(await reasonFocused()).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => focusedText(page), { timeout: UI_TIMEOUT_MS }).toBe('Kill in production…');

    // Typed straight after Enter: the dialog is open, with the reason focused, before the next key.
    await page.keyboard.press('Enter');
    await page.keyboard.type('rollback test');
    await page.keyboard.press('Tab'); // Cancel
    await page.keyboard.press('Tab'); // Kill
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Killed in production' }).waitFor();
    expect((await getFlag('keyboard-kill')).environments.production!.killed).toMatchObject({
      reason: 'rollback test',
    });
    await expect.poll(() => focusedText(page), { timeout: UI_TIMEOUT_MS }).toBe('Unkill in production');
    await page.keyboard.press('Enter');
    await killButton.waitFor();
    await expect.poll(() => focusedText(page), { timeout: UI_TIMEOUT_MS }).toBe('Kill in production…');
    expect((await getFlag('keyboard-kill')).environments.production!.killed).toBeNull();
    await page.context().close();
  });

  it("keeps its own unkill when the change feed's read of the kill answers after it", async () => {
    await createFlag('late-read', { production: { enabled: true } });
    const page = await signedIn();
    await openFlag(page, 'late-read');
    const flagUrl = `${baseUrl}/api/v1/flags/late-read`;
    const isFlagRead = (request: Request) => request.url() === flagUrl && request.method() === 'GET';
    // The page reads the flag again for each change the feed reports: the read after the kill is answered
    // by the server at once (the killed flag) but reaches the page only after the unkill is done.
    let holdNext = false;
    let markHeld!: () => void;
    const held = new Promise<void>((resolve) => (markHeld = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route(flagUrl, async (route) => {
      if (!holdNext || !isFlagRead(route.request())) return route.continue();
      holdNext = false;
      const response = await route.fetch();
      markHeld();
      await released;
      await route.fulfill({ response });
    });

    holdNext = true;
    await page.getByRole('button', { name: 'Kill in production…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('late read');
    await dialog.getByRole('button', { name: 'Kill in production' }).click();
    await page.getByRole('heading', { name: 'Killed in production' }).waitFor();
    await held;

    const unkillRead = page.waitForEvent('requestfinished', isFlagRead);
    await page.getByRole('button', { name: 'Unkill in production' }).click();
    await page.getByRole('button', { name: 'Kill in production…' }).waitFor();
    await unkillRead;
    const lateRead = page.waitForEvent('requestfinished', isFlagRead);
    release();
    await lateRead;
    // Time for the page to take the late answer in, were it going to.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
    expect(await page.locator('section.kill h3').innerText()).toBe('Kill switch');
    expect((await getFlag('late-read')).environments.production!.killed).toBeNull();
    await page.context().close();
  });

  it('lets a responder kill but not edit', async () => {
    await createFlag('responder-target', { production: { enabled: true } });
    const page = await signedIn(await createToken('responder', 'on-call'));
    await page.getByText('on-call').waitFor();
    expect(await page.getByRole('link', { name: 'New flag' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Tokens' }).count()).toBe(0);

    await openFlag(page, 'responder-target');
    expect(await page.getByRole('switch', { name: /in production/ }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Add rule' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Delete/ }).count()).toBe(0);
    expect(await page.getByRole('radio', { name: 'Percentage rollout' }).isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Kill in production…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('paging alert 77');
    await dialog.getByRole('button', { name: 'Kill in production' }).click();
    await page.getByRole('heading', { name: 'Killed in production' }).waitFor();
    expect((await getFlag('responder-target')).environments.production!.killed).toMatchObject({
      by: 'on-call',
      reason: 'paging alert 77',
    });
    await page.context().close();
  });

  it('shows a second session the change a first one made, without a reload', async () => {
    await createFlag('shared-flag');
    const watcher = await signedIn();
    await watcher.getByRole('link', { name: 'shared-flag' }).waitFor();
    await watcher.evaluate(() => Object.assign(window, { notReloaded: true }));
    const stagingCell = watcher.locator('tr', { hasText: 'shared-flag' }).locator('td[data-label="staging"]');
    expect(await stagingCell.innerText()).toBe('Off');

    const editor = await signedIn();
    await openFlag(editor, 'shared-flag', 'staging');
    await editor.getByRole('switch', { name: /in staging/ }).click();
    await save(editor);

    await stagingCell.getByText('On', { exact: true }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await watcher.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );

    // The flag page follows too, while it has no unsaved edits.
    await openFlag(watcher, 'shared-flag', 'staging');
    await editor.getByRole('switch', { name: /in staging/ }).click();
    await save(editor);
    await watcher.getByRole('switch', { name: /Off in staging/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await watcher.context().close();
    await editor.context().close();
  });

  it('refuses a stale edit with the 409 conflict, and merges on request', async () => {
    await createFlag('contested');
    const page = await signedIn();
    await openFlag(page, 'contested', 'staging');
    await page.getByRole('switch', { name: /in staging/ }).click();

    // Someone else saves a change to production meanwhile.
    const theirs = await getFlag('contested');
    theirs.environments.production!.enabled = true;
    await api('PUT', '/api/v1/flags/contested', theirs);

    await page.getByRole('button', { name: 'Save changes' }).click();
    const conflict = page
      .getByRole('alert')
      .filter({ hasText: 'Not saved: this flag changed since you opened it' });
    await conflict.waitFor();
    // Nothing was overwritten.
    const stored = await getFlag('contested');
    expect(stored.environments.staging!.enabled).toBe(false);
    expect(stored.environments.production!.enabled).toBe(true);

    await conflict.getByRole('button', { name: 'Merge my edits' }).click();
    await save(page);
    const merged = await getFlag('contested');
    expect(merged.environments.staging!.enabled).toBe(true);
    expect(merged.environments.production!.enabled).toBe(true);
    expect(merged.version).toBe(stored.version + 1);
    await page.context().close();
  });

  it('kills every flag carrying a tag in one environment at once', async () => {
    await createFlag('pay-button', { tags: ['checkout-stack'], production: { enabled: true } });
    await createFlag('pay-banner', { tags: ['checkout-stack'], production: { enabled: true } });
    await createFlag('unrelated', { tags: ['search'], production: { enabled: true } });
    const page = await signedIn();
    await page.getByRole('button', { name: 'Kill by tag…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill every flag with a tag' });
    await dialog.getByLabel('Tag').fill('checkout-stack');
    await dialog.getByLabel('Environment').selectOption('production');
    await dialog.getByText(/pay-banner, pay-button in production/).waitFor();
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('payment provider outage');
    await dialog.getByRole('button', { name: 'Kill 2 flags' }).click();
    await dialog.waitFor({ state: 'detached' });

    for (const key of ['pay-button', 'pay-banner']) {
      expect((await getFlag(key)).environments.production!.killed).toMatchObject({
        reason: 'payment provider outage',
      });
    }
    expect((await getFlag('unrelated')).environments.production!.killed).toBeNull();
    const row = page.locator('tr', { hasText: 'pay-button' }).locator('td[data-label="production"]');
    await row.getByText('Killed').waitFor({ timeout: LIVE_TIMEOUT_MS });
    await page.context().close();
  });

  it('shows a new token once with a copy button, and revoking it ends its session', async () => {
    const admin = await newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await admin.newPage();
    await signIn(page, baseUrl, ADMIN_TOKEN);
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByLabel('Name').fill('pm-viewer');
    await page.getByLabel('Kind').selectOption('viewer');
    await page.getByRole('button', { name: 'Create token' }).click();
    const created = page.getByRole('region', { name: 'New token pm-viewer' });
    const secret = await created.getByLabel('Token secret').inputValue();
    expect(secret).toMatch(/^sb_viewer_/);
    await created.getByRole('button', { name: 'Copy' }).click();
    await created.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    const viewer = await signedIn(secret);
    await viewer.getByText('pm-viewer').waitFor();
    expect(await viewer.getByRole('button', { name: 'Kill by tag…' }).count()).toBe(0);

    await created.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Revoke pm-viewer' }).click();
    await page
      .getByRole('dialog', { name: 'Revoke pm-viewer?' })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await page
      .locator('tr', { hasText: 'pm-viewer' })
      .getByText(/revoked/)
      .waitFor();
    // The secret is gone from the page for good.
    expect(await page.content()).not.toContain(secret);

    await viewer.getByRole('link', { name: 'Audit log' }).click();
    await viewer.getByText('The server no longer accepts this token').waitFor();
    expect(await viewer.evaluate(() => sessionStorage.getItem('switchboard.token'))).toBeNull();
    await viewer.context().close();
    await admin.close();
  });

  it('takes screenshots of the flag list, a flag page and the audit log at laptop and phone widths', async () => {
    await api('PUT', '/api/v1/segments/beta-testers', { key: 'beta-testers', included: ['alice', 'bob'] });
    await createFlag('search-ranking', {
      tags: ['search'],
      production: {
        enabled: true,
        targets: [{ values: ['alice', 'bob'], variant: 'on' }],
        rules: [
          {
            id: 'eu-beta',
            description: 'EU beta testers on recent apps',
            clauses: [
              { attribute: 'country', op: 'in', values: ['DE', 'FR', 'NL'] },
              { attribute: 'appVersion', op: 'semverGte', values: ['2.3.0'] },
              { segment: 'beta-testers' },
            ],
            serve: { variant: 'on' },
          },
        ],
        fallthrough: {
          rollout: {
            weights: [
              { variant: 'on', weight: 12_500 },
              { variant: 'off', weight: 87_500 },
            ],
          },
        },
      },
    });
    for (const viewport of Object.values(WIDTHS)) {
      const page = await signedIn(ADMIN_TOKEN, viewport);
      const shoot = async (name: string) => {
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${viewport.width}.png`), fullPage: true });
        // Readable at this width: nothing forces sideways scrolling.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
          viewport.width,
        );
      };
      await page.getByRole('link', { name: 'search-ranking' }).waitFor();
      await shoot('flag-list');
      await openFlag(page, 'search-ranking');
      await shoot('flag-page');
      await page.goto(`${baseUrl}/#/audit`);
      await page.getByText(/Chain verified/).waitFor();
      await shoot('audit-log');
      await page.context().close();
    }
  });
});
