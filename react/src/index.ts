export { SwitchboardProvider, useSwitchboardClient } from './provider';
export type { SwitchboardProviderProps } from './provider';
export { useFlag, useVariation } from './hooks';
export { createStaticClient, serializeBootstrap } from './static-client';
