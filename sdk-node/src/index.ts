export { createClient, SwitchboardClient, SwitchboardError } from './client';
export type {
  ClientEvents,
  ClientState,
  ClientStatus,
  ConnectionState,
  RulesetSource,
  SwitchboardErrorCode,
  ValueType,
} from './client';
export type { ClientOptions } from './options';
export type { Logger } from './logger';
export type {
  Context,
  EnvironmentRuleset,
  ErrorCode,
  EvaluationReason,
  EvaluationResult,
  JsonValue,
} from '@switchboard/core';
// Low-level: the stream/polling connection on its own, without evaluation (the server's relay mode
// follows its upstream with it).
export { Synchronizer } from './synchronizer';
export type { SynchronizerHandlers, SynchronizerOptions } from './synchronizer';
export type { HttpError } from './http';
export * from './unleash-compat';
