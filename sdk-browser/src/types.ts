/**
 * What the browser receives. Browsers never get rules or segments: the server evaluates every flag for the
 * browser's context and sends only the outcome.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A plain object of attributes, e.g. `{ userId, country, plan }`. */
export type Context = Record<string, unknown>;

/** One flag's outcome for the client's context, as `POST /client/v1/evaluate` and the stream send it. */
export interface FlagResult {
  value: JsonValue;
  variant?: string;
  /**
   * Why: KILLED, DISABLED, PREREQUISITE_FAILED, TARGET_MATCH, RULE_MATCH, SPLIT, FALLTHROUGH, DEFAULT or
   * ERROR (then `errorCode` says which: FLAG_NOT_FOUND, TARGETING_KEY_MISSING, GENERAL, …).
   */
  reason: string;
  errorCode?: string;
}

/** The body of `POST /client/v1/evaluate`, the stream's `put` event, and the `bootstrap` option. */
export interface FlagSet {
  flags: Record<string, FlagResult>;
  /** The environment's change sequence the values were computed at. */
  version: number;
}

/** Where `localStorage`-like persistence happens; any object with these two methods works. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface ClientOptions {
  /** The Switchboard server, e.g. `https://flags.example.com`. */
  url: string;
  /** A client key (kind `client`, one environment). Sent only in the `Authorization` header. */
  clientKey: string;
  context: Context;
  /**
   * Values to serve before the server answers, e.g. a `POST /client/v1/evaluate` answer your server rendered
   * into the page. Takes precedence over the cache.
   */
  bootstrap?: Pick<FlagSet, 'flags'>;
  /** Cache of the last values per client key and context; `localStorage` by default, `null` for none. */
  storage?: KeyValueStorage | null;
  /** Keep a live stream open (default true). When false, values are fetched once and on identify(). */
  stream?: boolean;
  /** ready() resolves after this long even when nothing answered (defaults are served); default 5000. */
  readyTimeoutMs?: number;
  /** The fetch to use; the global one by default. */
  fetch?: typeof fetch;
  /**
   * Report the variants of guarded flags served to the context's `userId` and `track()`ed events to the
   * server, for guarded rollouts (default false: `track()` does nothing).
   */
  events?: boolean;
}

export interface SwitchboardError {
  /** UNAUTHORIZED (a 401/403: the key is wrong or revoked; the client stops retrying), HTTP or NETWORK. */
  code: 'UNAUTHORIZED' | 'HTTP' | 'NETWORK';
  message: string;
  status?: number;
}

export interface ClientEvents {
  /** Keys whose value, variant or reason changed (from the stream, identify() or a cache/bootstrap swap). */
  change: (keys: string[]) => void;
  error: (error: SwitchboardError) => void;
}

export interface SwitchboardClient {
  /**
   * Resolves once values are available (bootstrap or cache: at once; else the server's first answer), when
   * the first request fails, or after `readyTimeoutMs`, whichever comes first. Never rejects: until values
   * arrive, reads answer their defaults.
   */
  ready(): Promise<void>;
  isEnabled(key: string, defaultValue?: boolean): boolean;
  stringVariation(key: string, defaultValue: string): string;
  numberVariation(key: string, defaultValue: number): number;
  jsonVariation<T extends JsonValue>(key: string, defaultValue: T): T;
  /** The flag's full outcome; an unknown key gives `{ value: null, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' }`. */
  evaluate(key: string): FlagResult;
  /** A copy of every flag's value. */
  allFlags(): Record<string, JsonValue>;
  /**
   * Reports an outcome for the context's user (`error`, `signup`, a duration as `value`) with the variants
   * of guarded flags it was served; batched, never throws. Needs the `events: true` option.
   */
  track(event: string, value?: number): void;
  /** Switches to another context: one request; resolves when its values arrived (or on failure). */
  identify(context: Context): Promise<void>;
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): void;
  off<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): void;
  /** Stops the stream and timers; values stay readable. */
  close(): void;
}
