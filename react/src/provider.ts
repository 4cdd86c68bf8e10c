import { createContext, createElement, useContext, useMemo } from 'react';
import type { ReactNode } from 'react';
import type { FlagSet, SwitchboardClient } from '@switchboard/sdk-browser';
import { createStaticClient } from './static-client';
import { subscriptionsFor } from './subscriptions';
import type { FlagSubscriptions } from './subscriptions';

export interface SwitchboardProviderProps {
  /** A browser SDK client (in the browser), or `createStaticClient(bootstrap)` while rendering on a server. */
  client: SwitchboardClient;
  /**
   * The values the server rendered with. When hydrating server-rendered HTML, the first render uses these,
   * so it matches the HTML even if live values already changed; live values follow right after.
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

/** The browser SDK client of the nearest provider (for `identify`, `track`, `evaluate`, …). */
export function useSwitchboardClient(): SwitchboardClient {
  return useSwitchboardContext().client;
}
