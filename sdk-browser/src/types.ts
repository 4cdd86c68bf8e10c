/**
 * What the browser receives. Browsers never get rules or segments: the server evaluates every flag for the
 * browser's context and sends only the outcome.
 */

/** Any value JSON can carry: what a flag's value may be. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A plain object of attributes, e.g. `{ userId, country, plan }`. `userId` is what targets and percentage
 * rollouts use by default; the whole object is sent to the server in the request body, never in a URL.
 */
export type Context = Record<string, unknown>;

/** One flag's outcome for the client's context, as `POST /client/v1/evaluate` and the stream send it. */
export interface FlagResult {
  /** The value; for an ERROR outcome, the server's fallback (often `null`), which the typed reads ignore. */
  value: JsonValue;
  /** The name of the served variant, when the flag has one. */
  variant?: string;
  /**
   * Why: KILLED, DISABLED, PREREQUISITE_FAILED, TARGET_MATCH, RULE_MATCH, SPLIT, FALLTHROUGH, DEFAULT or
   * ERROR (then `errorCode` says which: FLAG_NOT_FOUND, TARGETING_KEY_MISSING, GENERAL, …).
   */
  reason: string;
  /** Set only when `reason` is `ERROR`; the typed reads then answer the caller's default. */
  errorCode?: string;
}

/** The body of `POST /client/v1/evaluate`, the stream's `put` event, and the `bootstrap` option. */
export interface FlagSet {
  /** Every flag's outcome for the context, by flag key. */
  flags: Record<string, FlagResult>;
  /** The environment's change sequence the values were computed at. */
  version: number;
}

/**
 * Where `localStorage`-like persistence happens; any object with these two methods works. Errors it throws
 * (a full or forbidden storage) are swallowed: the cache is best-effort.
 */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Options of {@link createClient}. Only `url`, `clientKey` and `context` are required. */
export interface ClientOptions {
  /** The Switchboard server (or a relay), e.g. `https://flags.example.com`; trailing slashes are ignored. */
  url: string;
  /**
   * A client key (kind `client`, one environment). Sent only in the `Authorization` header. Client keys are
   * public by nature; never put a server SDK key or an admin token in a page.
   */
  clientKey: string;
  /**
   * The user or device the values are for. Change it later with {@link SwitchboardClient.identify}, not by
   * mutating this object.
   */
  context: Context;
  /**
   * Values to serve before the server answers, e.g. a `POST /client/v1/evaluate` answer your server rendered
   * into the page. Takes precedence over the cache (which is then not read); `ready()` resolves at once.
   * Default: none.
   */
  bootstrap?: Pick<FlagSet, 'flags'>;
  /**
   * Cache of the last values per client key and context, read at start-up (without a bootstrap) and by
   * identify(), written on every update; `localStorage` by default (none where the page may not use it),
   * `null` for no cache.
   */
  storage?: KeyValueStorage | null;
  /**
   * Keep a live stream open (default true). When false, values are fetched once at start-up and on
   * identify() (retried after a failure), and never updated in between.
   */
  stream?: boolean;
  /** ready() resolves after this long even when nothing answered (defaults are served); default 5000. */
  readyTimeoutMs?: number;
  /** The fetch to use (e.g. for a proxy or tests); the global one by default. */
  fetch?: typeof fetch;
  /**
   * Report the variants of guarded flags served to the context's `userId` and `track()`ed events to the
   * server, for guarded rollouts (default false: `track()` does nothing).
   */
  events?: boolean;
}

/** What the `error` event carries. */
export interface SwitchboardError {
  /**
   * UNAUTHORIZED (a 401/403: the key is wrong or revoked; the client stops retrying), HTTP (any other
   * non-2xx answer) or NETWORK (no answer, an unreadable one, or the stream ended, broke or was silent for
   * 45 s). After HTTP and NETWORK the client retries with jittered exponential backoff (at most 60 s apart;
   * a `Retry-After` header, in seconds, wins).
   */
  code: 'UNAUTHORIZED' | 'HTTP' | 'NETWORK';
  /** For people, not for matching on. */
  message: string;
  /** The HTTP status, for UNAUTHORIZED and HTTP. */
  status?: number;
}

/** The events of {@link SwitchboardClient.on}. */
export interface ClientEvents {
  /**
   * Keys whose value, variant or reason changed (or that appeared or vanished): from the server (stream or
   * fetch) or from identify() switching to another context's cached values. Not fired for the bootstrap or
   * cached values the client starts with (they are in place before createClient() returns).
   */
  change: (keys: string[]) => void;
  /**
   * A request failed or the stream broke. Informational: reads keep serving the last values (or the
   * defaults) and the client retries by itself, except after UNAUTHORIZED.
   */
  error: (error: SwitchboardError) => void;
}

/**
 * A client for one context at a time, made by {@link createClient}. Reads are synchronous, served from
 * memory, and never throw: an unknown key, a value of another type, an error outcome, or no values yet
 * (still loading, offline) all answer the default you pass.
 */
export interface SwitchboardClient {
  /**
   * Resolves once values are available (bootstrap or cache: at once; else the server's first answer), when
   * the first request fails, or after `readyTimeoutMs`, whichever comes first. Never rejects: until values
   * arrive, reads answer their defaults.
   */
  ready(): Promise<void>;
  /**
   * The flag's value if it is a boolean; otherwise (unknown key, a non-boolean value, an error outcome, no
   * values yet) `defaultValue`, which is `false` when omitted.
   */
  isEnabled(key: string, defaultValue?: boolean): boolean;
  /** The flag's value if it is a string, else `defaultValue` (same rules as {@link isEnabled}). */
  stringVariation(key: string, defaultValue: string): string;
  /** The flag's value if it is a number, else `defaultValue` (same rules as {@link isEnabled}). */
  numberVariation(key: string, defaultValue: number): number;
  /**
   * The flag's value whatever its JSON type (including `null`), or `defaultValue` for an unknown key or an
   * error outcome. The type parameter is not checked at run time: validate the shape if it matters.
   */
  jsonVariation<T extends JsonValue>(key: string, defaultValue: T): T;
  /**
   * A copy of the flag's full outcome (value, variant, reason, errorCode), e.g. to log why a value was
   * served; an unknown key gives `{ value: null, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' }`.
   */
  evaluate(key: string): FlagResult;
  /** A new object with every known flag's value by key (`{}` before any values arrive). */
  allFlags(): Record<string, JsonValue>;
  /**
   * Reports an outcome for the context's user (`error`, `signup`, a duration as `value`) with the variants
   * of guarded flags it was served; batched for a second, at most 100 queued, never throws. Needs the
   * `events: true` option; dropped without a `userId` in the context, with a non-finite `value`, or when
   * the user was served no guarded flag's variant.
   */
  track(event: string, value?: number): void;
  /**
   * Switches to another context (log-in, log-out) with one request. Values cached for the new context apply
   * at once; without a cache entry the previous context's values stay until the server answers. Resolves
   * when the new values arrived or the request failed; never rejects. After close(), only the cached values
   * apply and it resolves at once.
   */
  identify(context: Context): Promise<void>;
  /**
   * Adds a listener (once: the same function added twice is called once). A listener that throws does not
   * stop the others; its error is rethrown asynchronously so it still reaches the console.
   */
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): void;
  /** Removes a listener added with {@link on}. */
  off<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): void;
  /**
   * Stops the stream, retries, timers and event reports, and resolves pending ready()/identify() promises.
   * Values stay readable; the client cannot be reopened.
   */
  close(): void;
}
