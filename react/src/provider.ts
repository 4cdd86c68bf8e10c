import { createContext, createElement, useContext, useMemo } from 'react';
import type { ReactNode } from 'react';
import type { FlagSet, SwitchboardClient } from '@switchboard/sdk-browser';
import { createStaticClient } from './static-client';
import { subscriptionsFor } from './subscriptions';
import type { FlagSubscriptions } from './subscriptions';

/** Props of {@link SwitchboardProvider}. */
export interface SwitchboardProviderProps {
  /**
   * A browser SDK client (in the browser), or `createStaticClient(bootstrap)` while rendering on a server.
   * Create it once, outside rendering: the provider neither creates nor closes it.
   */
  client: SwitchboardClient;
  /**
   * The values the server rendered with. When hydrating server-rendered HTML, the first render uses these,
   * so it matches the HTML even if live values already changed; live values follow right after. Pass the
   * same object on every render (it is memoised by identity).
   */
  bootstrap?: Pick<FlagSet, 'flags'>;
  children?: ReactNode;
}

export interface SwitchboardContextValue {
  client: SwitchboardClient;
  subscriptions: FlagSubscriptions;
  /** Where hydration reads: the bootstrap the server rendered with, or the client itself. */
  serverSource: SwitchboardClient;
}

const SwitchboardContext = createContext<SwitchboardContextValue | null>(null);

/**
 * Makes a client available to the hooks below it ({@link useFlag}, {@link useVariation},
 * {@link useSwitchboardClient}). Providers may be nested; hooks use the nearest.
 *
 * @example
 * ```tsx
 * import { createClient } from '@switchboard/sdk-browser';
 * import { SwitchboardProvider, useFlag } from '@switchboard/react';
 *
 * const client = createClient({
 *   url: 'https://flags.example.com',
 *   clientKey: 'sb_client_…',
 *   context: { userId },
 * });
 *
 * function Checkout() {
 *   return useFlag('checkout-v2') ? <NewCheckout /> : <OldCheckout />;
 * }
 *
 * createRoot(root).render(
 *   <SwitchboardProvider client={client}>
 *     <Checkout />
 *   </SwitchboardProvider>,
 * );
 * ```
 */
export function SwitchboardProvider({ client, bootstrap, children }: SwitchboardProviderProps): ReactNode {
  const value = useMemo(
    () => ({
      client,
      subscriptions: subscriptionsFor(client),
      serverSource: bootstrap === undefined ? client : createStaticClient(bootstrap),
    }),
    [client, bootstrap],
  );
  return createElement(SwitchboardContext.Provider, { value }, children);
}

export function useSwitchboardContext(): SwitchboardContextValue {
  const value = useContext(SwitchboardContext);
  if (value === null)
    throw new Error('Switchboard hooks must be used inside <SwitchboardProvider client={…}>');
  return value;
}

/**
 * The browser SDK client of the nearest provider, for what the hooks do not cover: `identify` at log-in,
 * `track`, `evaluate`. Reading values through it does not re-render on changes; use the hooks for that.
 * Throws outside a {@link SwitchboardProvider}.
 */
export function useSwitchboardClient(): SwitchboardClient {
  return useSwitchboardContext().client;
}
