import type { EnvironmentRuleset } from '@switchboard/core';
import type { Logger } from './logger';
import { silentLogger } from './logger';

/** Options of `createClient`: only `url` and `sdkKey` are required; durations are positive milliseconds. */
export interface ClientOptions {
  /** Base URL of the Switchboard server (http or https; a path is kept), e.g. `http://127.0.0.1:7070`. */
  url: string;
  /** A server SDK key (token kind `server`); it selects the environment. */
  sdkKey: string;
  /**
   * A ruleset to evaluate with before (or without) reaching the server: the object itself or the
   * path of a JSON file holding it (e.g. written by `switchboard export`). When `cacheFile` also holds one,
   * the higher version wins (the bootstrap on a tie). A ruleset from the server replaces it.
   */
  bootstrap?: EnvironmentRuleset | string;
  /** File where the last ruleset received from the server is kept, and loaded from at start if it exists. */
  cacheFile?: string;
  /** How long `ready()` waits for a first ruleset, counted from createClient. Default 5000. */
  readyTimeoutMs?: number;
  /** Receives the SDK's log lines; nothing is logged by default. */
  logger?: Logger;
  /** Use the SSE stream (default true); false polls only. */
  streaming?: boolean;
  /** Polling interval when polling (streaming disabled, or the stream keeps failing). Default 30000. */
  pollIntervalMs?: number;
  /** Consecutive stream failures (an integer) after which polling joins the stream retries. Default 3. */
  streamFailuresBeforePolling?: number;
  /** First reconnect delay ceiling; it doubles per failure up to reconnectMaxMs. Default 500. */
  reconnectBaseMs?: number;
  /** Largest reconnect delay. Default 30000. */
  reconnectMaxMs?: number;
  /** A stream silent this long (the server sends a heartbeat every 15 s) is reconnected. Default 45000. */
  streamIdleTimeoutMs?: number;
  /** Disconnected this long while holding a ruleset → 'stale'. Default 30000. */
  staleAfterMs?: number;
  /** Deadline of a polling or metrics request. Default 10000. */
  requestTimeoutMs?: number;
  /** Count evaluations and send the counts to the server (default true). */
  metrics?: boolean;
  /** How often evaluation counts are sent. Default 60000. */
  flushIntervalMs?: number;
  /**
   * Report this instance (SDK version, ruleset version), the variants served of flags under a
   * guarded ramp plan, and `track`ed events to the server (default true).
   */
  events?: boolean;
  /**
   * How often queued exposures and tracked events are sent, and how soon a client reports after a change
   * to a flag serving a rollout (a guarded ramp plan may have started). Default 10000.
   */
  eventsFlushIntervalMs?: number;
  /**
   * How often a client with nothing to send reports itself anyway (SDK and ruleset version, for the flag
   * insight view). Its stream tells the server its ruleset version in the meantime. Default 60000.
   */
  heartbeatIntervalMs?: number;
  /** Exposures and tracked events queued at most between reports; more are dropped. Default 10000. */
  maxQueuedEvents?: number;
}

export type ResolvedOptions = Required<Omit<ClientOptions, 'bootstrap' | 'cacheFile' | 'url'>> & {
  url: URL;
  bootstrap: EnvironmentRuleset | string | undefined;
  cacheFile: string | undefined;
};

const DEFAULTS = {
  readyTimeoutMs: 5_000,
  streaming: true,
  pollIntervalMs: 30_000,
  streamFailuresBeforePolling: 3,
  reconnectBaseMs: 500,
  reconnectMaxMs: 30_000,
  streamIdleTimeoutMs: 45_000,
  staleAfterMs: 30_000,
  requestTimeoutMs: 10_000,
  metrics: true,
  flushIntervalMs: 60_000,
  events: true,
  eventsFlushIntervalMs: 10_000,
  heartbeatIntervalMs: 60_000,
  maxQueuedEvents: 10_000,
} as const;

const DURATIONS = [
  'readyTimeoutMs',
  'pollIntervalMs',
  'reconnectBaseMs',
  'reconnectMaxMs',
  'streamIdleTimeoutMs',
  'staleAfterMs',
  'requestTimeoutMs',
  'flushIntervalMs',
  'eventsFlushIntervalMs',
  'heartbeatIntervalMs',
] as const;

/** Fills in defaults and rejects a configuration that cannot work (a programming error: thrown). */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createClient needs an options object');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new TypeError(`options.url is not a valid URL: ${String(options.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`options.url must be http(s), got ${url.protocol}`);
  }
  // Resolve API paths below the base path ("https://host/switchboard" → ".../switchboard/sdk/v1/…").
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  if (typeof options.sdkKey !== 'string' || options.sdkKey.length === 0) {
    throw new TypeError('options.sdkKey must be a non-empty string');
  }
  const resolved: ResolvedOptions = {
    ...DEFAULTS,
    logger: silentLogger,
    ...stripUndefined(options),
    url,
    sdkKey: options.sdkKey,
    bootstrap: options.bootstrap,
    cacheFile: options.cacheFile,
  };
  for (const name of DURATIONS) {
    const value = resolved[name];
    if (!Number.isFinite(value) || value <= 0)
      throw new TypeError(`options.${name} must be a positive number`);
  }
  if (!Number.isInteger(resolved.maxQueuedEvents) || resolved.maxQueuedEvents < 0) {
    throw new TypeError('options.maxQueuedEvents must be a non-negative integer');
  }
  const failures = resolved.streamFailuresBeforePolling;
  if (!Number.isInteger(failures) || failures < 1) {
    throw new TypeError('options.streamFailuresBeforePolling must be a positive integer');
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
