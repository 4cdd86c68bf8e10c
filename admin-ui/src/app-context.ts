import { createContext } from 'preact';
import { useContext, useEffect, useRef } from 'preact/hooks';
import type { AdminApi, Me } from './api';
import type { Change, ChangeFeed } from './live';
import type { Abilities } from './roles';

export interface AppState {
  api: AdminApi;
  me: Me;
  can: Abilities;
  /** Environment keys, in the server's order. */
  environments: string[];
  feed: ChangeFeed;
  /** Reads a message to screen-reader users (and shows it in the status bar). */
  announce: (message: string) => void;
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const app = useContext(AppContext);
  if (app === null) throw new Error('useApp outside the signed-in app');
  return app;
}

/** Calls `onChange` for every committed change while the component is mounted. */
export function useChanges(onChange: (change: Change) => void): void {
  const { feed } = useApp();
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => feed.subscribe((change) => latest.current(change)), [feed]);
}
