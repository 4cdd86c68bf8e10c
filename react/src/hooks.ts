import { useCallback, useMemo, useSyncExternalStore } from 'react';
import type { JsonValue, SwitchboardClient } from '@switchboard/sdk-browser';
import { useSwitchboardContext } from './provider';

function read<T extends JsonValue>(client: SwitchboardClient, key: string, defaultValue: T): T {
  switch (typeof defaultValue) {
    case 'boolean':
      return client.isEnabled(key, defaultValue) as T;
    case 'string':
      return client.stringVariation(key, defaultValue) as T;
    case 'number':
      return client.numberVariation(key, defaultValue) as T;
    default:
      return client.jsonVariation(key, defaultValue);
  }
}

/**
 * The flag's value, typed by `defaultValue`: a boolean, string or number default asks for that type; any
 * other default (object, array, null) accepts any JSON value. Answers `defaultValue` for an unknown flag, a
 * value of another type, an error outcome, or before values arrive. Re-renders only when this flag
 * changes; during server rendering and hydration it reads the provider's `bootstrap` when one is given.
 * Throws outside a {@link SwitchboardProvider}.
 *
 * @example
 * ```tsx
 * const banner = useVariation('banner-text', 'Welcome'); // string
 * const layout = useVariation('dashboard-layout', { columns: 2 }); // any JSON, shape not checked
 * ```
 */
export function useVariation(key: string, defaultValue: boolean): boolean;
export function useVariation(key: string, defaultValue: string): string;
export function useVariation(key: string, defaultValue: number): number;
export function useVariation<T extends JsonValue>(key: string, defaultValue: T): T;
export function useVariation<T extends JsonValue>(key: string, defaultValue: T): T {
  const { client, subscriptions, serverSource } = useSwitchboardContext();
  const subscribe = useCallback(
    (listener: () => void) => subscriptions.subscribe(key, listener),
    [subscriptions, key],
  );
  // Memoised per flag version: the same snapshot until this flag changes (React requires a stable one).
  const getSnapshot = useMemo(() => {
    let version = -1;
    let value = defaultValue;
    return () => {
      const current = subscriptions.version(key);
      if (current !== version) {
        version = current;
        value = read(client, key, defaultValue);
      }
      return value;
    };
  }, [client, subscriptions, key, defaultValue]);
  const getServerSnapshot = useMemo(() => {
    const value = read(serverSource, key, defaultValue);
    return () => value;
  }, [serverSource, key, defaultValue]);
  return useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot);
}

/**
 * The boolean flag's value; `defaultValue` (`false` when omitted) when the flag is unknown, not a boolean,
 * in error, or before values arrive. Otherwise as {@link useVariation}.
 *
 * @example
 * ```tsx
 * function Checkout() {
 *   return useFlag('checkout-v2') ? <NewCheckout /> : <OldCheckout />;
 * }
 * ```
 */
export function useFlag(key: string, defaultValue = false): boolean {
  return useVariation(key, defaultValue);
}
