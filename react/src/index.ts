/**
 * React bindings for the Switchboard browser SDK: a provider, hooks that re-render only the components
 * reading a flag that changed, and helpers for server-side rendering that hydrates with the server's values.
 *
 * @packageDocumentation
 */
export { SwitchboardProvider, useSwitchboardClient } from './provider';
export type { SwitchboardProviderProps } from './provider';
export { useFlag, useVariation } from './hooks';
export { createStaticClient, serializeBootstrap } from './static-client';
