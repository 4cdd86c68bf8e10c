// @vitest-environment jsdom
/** @jsxImportSource react */
import { act, cleanup, render, screen } from '@testing-library/react';
import { createClient } from '@switchboard/sdk-browser';
import type { FlagResult, SwitchboardClient } from '@switchboard/sdk-browser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SwitchboardProvider, createStaticClient, useFlag, useSwitchboardClient, useVariation } from '../src';
import { MemoryStorage, StubServer, openStream } from '../../sdk-browser/test/stub-server';

const on: FlagResult = { value: true, variant: 'on', reason: 'FALLTHROUGH' };
const off: FlagResult = { value: false, variant: 'off', reason: 'KILLED' };
const INITIAL: Record<string, FlagResult> = {
  checkout: on,
  banner: { value: 'Welcome', variant: 'calm', reason: 'FALLTHROUGH' },
  limit: { value: 25, variant: 'high', reason: 'SPLIT' },
  layout: { value: { columns: 3 }, variant: 'grid', reason: 'RULE_MATCH' },
};

let stub: StubServer;
let client: SwitchboardClient;
const renders: Record<string, number> = {};

function count(name: string): void {
  renders[name] = (renders[name] ?? 0) + 1;
}

function Checkout() {
  count('checkout');
  return <p data-testid="checkout">{useFlag('checkout') ? 'new checkout' : 'old checkout'}</p>;
}

function Banner() {
  count('banner');
  return <p data-testid="banner">{useVariation('banner', 'none')}</p>;
}

function Limit() {
  count('limit');
  const limit = useVariation('limit', 10);
  const columns = useVariation('layout', { columns: 1 }).columns;
  return <p data-testid="limit">{`${limit} items in ${String(columns)} columns`}</p>;
}

function Page() {
  return (
    <>
      <Checkout />
      <Banner />
      <Limit />
    </>
  );
}

async function started(): Promise<SwitchboardClient> {
  const created = createClient({
    url: stub.url,
    clientKey: 'sb_client_test',
    context: { userId: 'u-1' },
    storage: new MemoryStorage(),
  });
  await stub.waitForRequests(1);
  await act(async () => {
    stub.streams[0]!.put(INITIAL, 1);
    await created.ready();
  });
  return created;
}

/** Sends a patch and waits until the client has applied it. */
async function patch(flags: Record<string, FlagResult | null>, version: number): Promise<void> {
  await act(
    () =>
      new Promise<void>((resolve) => {
        const applied = () => {
          client.off('change', applied);
          resolve();
        };
        client.on('change', applied);
        stub.streams[0]!.patch(flags, version);
      }),
  );
}

beforeEach(async () => {
  for (const key of Object.keys(renders)) delete renders[key];
  stub = new StubServer();
  stub.fallback = openStream(stub);
  await stub.start();
  client = await started();
});

afterEach(async () => {
  cleanup();
  client.close();
  await stub.stop();
});

describe('hooks', () => {
  it('render the live values, typed by their defaults', () => {
    render(
      <SwitchboardProvider client={client}>
        <Page />
      </SwitchboardProvider>,
    );
    expect(screen.getByTestId('checkout').textContent).toBe('new checkout');
    expect(screen.getByTestId('banner').textContent).toBe('Welcome');
    expect(screen.getByTestId('limit').textContent).toBe('25 items in 3 columns');
  });

  it('re-render only the components whose flag changed', async () => {
    render(
      <SwitchboardProvider client={client}>
        <Page />
      </SwitchboardProvider>,
    );
    expect(renders).toEqual({ checkout: 1, banner: 1, limit: 1 });

    await patch({ checkout: off }, 2);
    expect(screen.getByTestId('checkout').textContent).toBe('old checkout');
    expect(renders).toEqual({ checkout: 2, banner: 1, limit: 1 });

    await patch({ layout: { value: { columns: 4 }, variant: 'wide', reason: 'RULE_MATCH' } }, 3);
    expect(screen.getByTestId('limit').textContent).toBe('25 items in 4 columns');
    expect(renders).toEqual({ checkout: 2, banner: 1, limit: 2 });
  });

  it('do not re-render when only the reason changed, not the value', async () => {
    render(
      <SwitchboardProvider client={client}>
        <Page />
      </SwitchboardProvider>,
    );
    await patch({ banner: { value: 'Welcome', variant: 'calm', reason: 'RULE_MATCH' } }, 2);
    expect(renders).toEqual({ checkout: 1, banner: 1, limit: 1 });
  });

  it('answer the default for a deleted flag or a value of another type', async () => {
    render(
      <SwitchboardProvider client={client}>
        <Page />
      </SwitchboardProvider>,
    );
    await patch({ banner: null, limit: { value: 'lots', variant: 'text', reason: 'SPLIT' } }, 2);
    expect(screen.getByTestId('banner').textContent).toBe('none');
    expect(screen.getByTestId('limit').textContent).toBe('10 items in 3 columns');
  });

  it('follow identify() to another context', async () => {
    function Switcher() {
      const switchboard = useSwitchboardClient();
      return (
        <button type="button" onClick={() => void switchboard.identify({ userId: 'u-2' })}>
          log in as u-2
        </button>
      );
    }
    render(
      <SwitchboardProvider client={client}>
        <Checkout />
        <Switcher />
      </SwitchboardProvider>,
    );
    act(() => screen.getByRole('button').click());
    await stub.waitForRequests(2);
    expect(stub.requests[1]!.body).toEqual({ context: { userId: 'u-2' } });
    await act(async () => {
      const changed = new Promise<void>((resolve) => client.on('change', () => resolve()));
      stub.streams[1]!.put({ ...INITIAL, checkout: off }, 5);
      await changed;
    });
    expect(screen.getByTestId('checkout').textContent).toBe('old checkout');
  });

  it('throw a clear error outside a provider', () => {
    expect(() => render(<Checkout />)).toThrow(/SwitchboardProvider/);
  });
});

describe('createStaticClient', () => {
  it('serves fixed values with the browser SDK typing rules', () => {
    const fixed = createStaticClient({
      flags: { ...INITIAL, broken: { value: true, reason: 'ERROR', errorCode: 'GENERAL' } },
    });
    expect(fixed.isEnabled('checkout')).toBe(true);
    expect(fixed.isEnabled('broken', false)).toBe(false);
    expect(fixed.numberVariation('banner', 7)).toBe(7);
    expect(fixed.jsonVariation('layout', null)).toEqual({ columns: 3 });
    expect(fixed.evaluate('missing')).toEqual({ value: null, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(fixed.allFlags()).toMatchObject({ checkout: true, limit: 25, broken: true });
  });
});
