// @vitest-environment node
/** @jsxImportSource react */
/**
 * Server-side rendering end to end: a real Switchboard server, the Node SDK computing the bootstrap for
 * the request's user, renderToString on the "server", then hydrateRoot in the "browser" with the browser
 * SDK started from the same bootstrap — no hydration mismatch, then live updates.
 *
 * The node environment, with a jsdom document installed by hand: the Switchboard server cannot run under
 * the jsdom environment (its globals replace Node's URL), and React DOM needs only the document.
 */
import { JSDOM } from 'jsdom';
import { createClient as createBrowserClient } from '@switchboard/sdk-browser';
import type { SwitchboardClient as BrowserClient } from '@switchboard/sdk-browser';
import { createClient as createNodeClient } from '@switchboard/sdk-node';
import type { SwitchboardClient as NodeClient } from '@switchboard/sdk-node';
import { act } from 'react';
import type { Root } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SwitchboardProvider, createStaticClient, serializeBootstrap, useFlag, useVariation } from '../src';
import { browserBootstrap } from '../../sdk-node/src/middleware/request-flags';
import type { BrowserBootstrap } from '../../sdk-node/src/middleware/request-flags';
import { MemoryStorage } from '../../sdk-browser/test/stub-server';
import type { TestServer } from '../../server/test/helpers';
import { booleanFlag, flagPath, startServer } from '../../server/test/helpers';

function Shop() {
  const newCheckout = useFlag('checkout-v2');
  const banner = useVariation('banner', 'Welcome');
  return (
    <main>
      <h1>{banner}</h1>
      <button type="button">{newCheckout ? 'Pay with the new flow' : 'Pay'}</button>
    </main>
  );
}

const ALICE = { userId: 'alice' };

const dom = new JSDOM('<!doctype html><html><body></body></html>');
Object.assign(globalThis, {
  window: dom.window,
  document: dom.window.document,
  navigator: dom.window.navigator,
  IS_REACT_ACT_ENVIRONMENT: true,
});
// React DOM reads the globals when it loads, so it is loaded after they exist.
const { hydrateRoot } = await import('react-dom/client');

let switchboard: TestServer;
let server: NodeClient;
let clientKey: string;

beforeAll(async () => {
  switchboard = await startServer();
  const checkout = booleanFlag('checkout-v2');
  checkout.environments.production!.targets = [{ attribute: 'userId', values: ['alice'], variant: 'on' }];
  const banner = { ...booleanFlag('banner'), variants: { calm: 'Welcome', loud: '</script><b>SALE</b>' } };
  banner.environments.production = {
    ...banner.environments.production!,
    offVariant: 'calm',
    fallthrough: { variant: 'loud' },
  };
  delete banner.environments.staging;
  for (const flag of [checkout, banner])
    expect((await switchboard.request('PUT', flagPath(flag.key), { body: flag })).status).toBeLessThan(300);
  server = createNodeClient({
    url: switchboard.url,
    sdkKey: await switchboard.token('server', 'production'),
    metrics: false,
  });
  await server.ready();
  clientKey = await switchboard.token('client', 'production');
});

afterAll(async () => {
  await server?.close();
  // The browser SDK's aborted fetch streams can leave sockets the server keeps waiting on.
  switchboard?.app.server.closeAllConnections();
  await switchboard?.close();
});

/** What a server does per request: the bootstrap for the user, and the HTML rendered with it. */
function renderOnServer(bootstrap: BrowserBootstrap): string {
  return renderToString(
    <SwitchboardProvider client={createStaticClient(bootstrap)}>
      <Shop />
    </SwitchboardProvider>,
  );
}

interface Hydration {
  container: HTMLElement;
  recoverableErrors: unknown[];
  consoleErrors: unknown[][];
  root: Root;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function hydrate(
  html: string,
  client: BrowserClient,
  bootstrap?: BrowserBootstrap,
): Promise<Hydration> {
  const container = dom.window.document.createElement('div');
  container.innerHTML = html;
  dom.window.document.body.append(container);
  const recoverableErrors: unknown[] = [];
  const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
  let root!: Root;
  await act(async () => {
    root = hydrateRoot(
      container,
      <SwitchboardProvider client={client} bootstrap={bootstrap}>
        <Shop />
      </SwitchboardProvider>,
      { onRecoverableError: (error) => recoverableErrors.push(error) },
    );
  });
  const consoleErrors = consoleError.mock.calls.slice();
  consoleError.mockRestore();
  cleanups.push(() => {
    act(() => root.unmount());
    container.remove();
  });
  return { container, recoverableErrors, consoleErrors, root };
}

describe('server-side rendering with a bootstrap', () => {
  it('hydrates without a mismatch and then follows live changes', async () => {
    const bootstrap = browserBootstrap(server, ALICE);
    const html = renderOnServer(bootstrap);
    expect(html).toContain('Pay with the new flow');

    // The page ships the bootstrap in a script; the browser parses it back.
    const shipped = JSON.parse(serializeBootstrap(bootstrap)) as BrowserBootstrap;
    const browser = createBrowserClient({
      url: switchboard.url,
      clientKey,
      context: ALICE,
      bootstrap: shipped,
      storage: new MemoryStorage(),
    });
    cleanups.push(() => browser.close());
    const page = await hydrate(html, browser, shipped);

    expect(page.recoverableErrors).toEqual([]);
    expect(page.consoleErrors).toEqual([]);
    expect(page.container.innerHTML).toBe(html);

    // The kill switch reaches the hydrated page through the browser SDK's stream (and so does the unkill).
    async function changeFlag(action: 'kill' | 'unkill'): Promise<void> {
      await act(async () => {
        const changed = new Promise<string[]>((resolve) => browser.on('change', resolve));
        const reply = await switchboard.request(
          'POST',
          `${flagPath('checkout-v2')}/environments/production/${action}`,
          { body: action === 'kill' ? { reason: 'payment errors' } : {} },
        );
        expect(reply.status).toBe(200);
        expect(await changed).toContain('checkout-v2');
      });
    }
    await changeFlag('kill');
    expect(page.container.querySelector('button')!.textContent).toBe('Pay');
    await changeFlag('unkill');
    expect(page.container.querySelector('button')!.textContent).toBe('Pay with the new flow');
  });

  it('renders with the bootstrap first when live values changed before hydration, then shows them', async () => {
    const bootstrap = browserBootstrap(server, ALICE);
    const html = renderOnServer(bootstrap);
    // Live values that already differ (a stream update that arrived before hydrateRoot).
    const live = createStaticClient({
      flags: { ...bootstrap.flags, 'checkout-v2': { value: false, variant: 'off', reason: 'KILLED' } },
    });
    const page = await hydrate(html, live, bootstrap);
    expect(page.recoverableErrors).toEqual([]);
    expect(page.container.querySelector('button')!.textContent).toBe('Pay');
  });

  it('is needed: hydrating with other values than the server rendered reports a mismatch', async () => {
    const html = renderOnServer(browserBootstrap(server, ALICE));
    const page = await hydrate(html, createStaticClient({ flags: {} }));
    expect(page.recoverableErrors.length).toBeGreaterThan(0);
    expect(String(page.recoverableErrors[0])).toMatch(/hydrat/i);
  });

  it('ships the bootstrap safely inside an inline script', () => {
    const serialized = serializeBootstrap(browserBootstrap(server, { userId: 'bob' }));
    expect(serialized).not.toMatch(/<\/script/i);
    expect(JSON.parse(serialized)).toEqual(browserBootstrap(server, { userId: 'bob' }));
  });
});
