/**
 * The Switchboard browser SDK: flags evaluated by the server for one user context, kept live over a stream
 * and cached per context. Start with {@link createClient}; the OpenFeature provider is in the separate
 * `@switchboard/sdk-browser/openfeature` entry point.
 *
 * @packageDocumentation
 */
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
