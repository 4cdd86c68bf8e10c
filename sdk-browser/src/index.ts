export { createClient } from './client';
export type {
  ClientEvents,
  ClientOptions,
  Context,
  FlagResult,
  FlagSet,
  JsonValue,
  KeyValueStorage,
  SwitchboardClient,
  SwitchboardError,
} from './types';
