/**
 * The browser client: values for one context, evaluated by the server, kept live through a fetch-read event
 * stream, cached per client key and context. Reads are synchronous and never throw.
 */
import { cacheKey, defaultStorage, readCache, writeCache } from './cache';
import { readEventStream } from './event-stream';
import { createReporter } from './track';
import type {
  ClientEvents,
  ClientOptions,
  Context,
  FlagResult,
  FlagSet,
  JsonValue,
  SwitchboardClient,
  SwitchboardError,
} from './types';

const FLAG_NOT_FOUND: FlagResult = { value: null, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' };
/** The server sends a heartbeat every 15 s; this much silence means the connection died unnoticed. */
const STALL_MS = 45_000;
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 60_000;

type Listeners = { [E in keyof ClientEvents]: Set<ClientEvents[E]> };

/**
 * Creates a client and starts it at once: the `bootstrap` (or else the values cached for this client key and
 * context) is served immediately, then the client connects to the server (a stream, unless `stream: false`).
 * Returns without waiting for the network: until values arrive, reads answer their defaults; offline, they
 * keep serving the last values received or cached while the client retries in the background. Await
 * `ready()` before a first render that must not flash defaults; call `close()` when done.
 *
 * The server must allow the page's origin (`SWITCHBOARD_CORS_ORIGINS`).
 *
 * @example
 * ```ts
 * import { createClient } from '@switchboard/sdk-browser';
 *
 * const flags = createClient({
 *   url: 'https://flags.example.com',
 *   clientKey: 'sb_client_…',
 *   context: { userId: 'u-42', country: 'DE' },
 * });
 * const render = () => {
 *   checkoutButton.hidden = !flags.isEnabled('checkout-v2');
 * };
 * flags.on('change', render);
 * await flags.ready();
 * render();
 * ```
 */
export function createClient(options: ClientOptions): SwitchboardClient {
  const base = options.url.replace(/\/+$/, '');
  const send = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
  const storage = options.storage === undefined ? defaultStorage() : options.storage;
  const streaming = options.stream !== false;
  const listeners: Listeners = { change: new Set(), error: new Set() };

  let context = options.context;
  let values = new Map<string, FlagResult>();
  /** The version `values` were computed at for the current context; -1 when unknown (then no resume). */
  let version = -1;
  /** Bumped by identify() and close(): answers that arrive for an older context are dropped. */
  let generation = 0;
  let connection: AbortController | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let stallTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let closed = false;
  /** Resolvers waiting for the server's answer (or failure) for the current context. */
  let waiting: Array<() => void> = [];
  const reporter =
    options.events === true
      ? createReporter(
          (body) =>
            send(base + '/client/v1/events', {
              method: 'POST',
              headers: { authorization: 'Bearer ' + options.clientKey, 'content-type': 'application/json' },
              body,
              keepalive: true,
            }),
          () => ({ context, values, version }),
        )
      : null;

  function emit<E extends keyof ClientEvents>(event: E, argument: Parameters<ClientEvents[E]>[0]): void {
    for (const listener of listeners[event]) {
      try {
        (listener as (value: typeof argument) => void)(argument);
      } catch (error) {
        // A listener's bug must not stop the stream; rethrown on its own so it still reaches the console.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  function settle(): void {
    const resolvers = waiting;
    waiting = [];
    for (const resolve of resolvers) resolve();
  }

  /** Merges (or, for a full set, replaces) values; persists them and announces the keys that changed. */
  function apply(incoming: Record<string, FlagResult | null>, newVersion: number, full: boolean): void {
    const next = full ? new Map<string, FlagResult>() : new Map(values);
    for (const key of Object.keys(incoming)) {
      const result = incoming[key];
      if (result !== null && typeof result === 'object') next.set(key, result);
      else next.delete(key);
    }
    const changed: string[] = [];
    for (const key of new Set([...values.keys(), ...next.keys()]))
      if (JSON.stringify(values.get(key)) !== JSON.stringify(next.get(key))) changed.push(key);
    values = next;
    version = newVersion;
    writeCache(storage, cacheKey(options.clientKey, context), {
      flags: Object.fromEntries(values),
      version,
    });
    if (changed.length > 0) emit('change', changed);
    reporter?.valuesChanged(full ? undefined : changed);
  }

  function fail(error: SwitchboardError, retryAfterMs?: number): void {
    if (closed) return;
    emit('error', error);
    settle();
    if (error.code === 'UNAUTHORIZED') return;
    // Exponential backoff with full jitter, so a fleet of browsers does not come back in lock-step.
    const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** failures++);
    retryTimer = setTimeout(connect, retryAfterMs ?? Math.random() * ceiling);
  }

  function armStallTimer(): void {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => connection?.abort(), STALL_MS);
  }

  async function connect(): Promise<void> {
    clearTimeout(retryTimer);
    connection?.abort();
    const ours = new AbortController();
    connection = ours;
    const ourGeneration = generation;
    const headers: Record<string, string> = {
      authorization: 'Bearer ' + options.clientKey,
      'content-type': 'application/json',
    };
    // Resume: the server answers with what changed since this version (nothing, when nothing did).
    if (streaming && version >= 0) headers['last-event-id'] = String(version);
    try {
      const response = await send(base + (streaming ? '/client/v1/stream' : '/client/v1/evaluate'), {
        method: 'POST',
        headers,
        body: JSON.stringify({ context }),
        signal: ours.signal,
        cache: 'no-store',
      });
      if (!response.ok) {
        const status = response.status;
        const retryAfter = Number(response.headers.get('retry-after'));
        return fail(
          {
            code: status === 401 || status === 403 ? 'UNAUTHORIZED' : 'HTTP',
            message: `the server answered ${status}`,
            status,
          },
          retryAfter > 0 ? retryAfter * 1000 : undefined,
        );
      }
      const receive = (type: string, data: string): void => {
        if (ourGeneration !== generation) return;
        const set = JSON.parse(data) as FlagSet;
        apply(set.flags, set.version, type === 'put');
        failures = 0;
        settle();
      };
      if (!streaming) return receive('put', await response.text());
      armStallTimer();
      await readEventStream(response.body as ReadableStream<Uint8Array>, receive, armStallTimer);
      throw new Error('the server ended the stream');
    } catch (error) {
      // Aborted by identify() or close(): the new connection (or none) takes over.
      if (connection !== ours || closed) return;
      fail({ code: 'NETWORK', message: String(error) });
    } finally {
      if (connection === ours) clearTimeout(stallTimer);
    }
  }

  function typed<T>(key: string, defaultValue: T, type: string): T {
    const result = values.get(key);
    return result !== undefined && result.errorCode === undefined && typeof result.value === type
      ? (result.value as T)
      : defaultValue;
  }

  const cached =
    options.bootstrap === undefined ? readCache(storage, cacheKey(options.clientKey, context)) : null;
  const initial = options.bootstrap ?? cached;
  if (initial !== null) {
    try {
      // A bootstrap's version is not trusted for resume: it may be hand-written.
      apply(initial.flags, cached?.version ?? -1, true);
    } catch {
      // A malformed bootstrap is as good as none.
    }
  }

  let readyTimer: ReturnType<typeof setTimeout> | undefined;
  const ready = new Promise<void>((resolve) => {
    if (initial !== null) return resolve();
    waiting.push(resolve);
    readyTimer = setTimeout(resolve, options.readyTimeoutMs ?? 5_000);
  });
  void connect();

  return {
    ready: () => ready,
    isEnabled: (key, defaultValue = false) => typed(key, defaultValue, 'boolean'),
    stringVariation: (key, defaultValue) => typed(key, defaultValue, 'string'),
    numberVariation: (key, defaultValue) => typed(key, defaultValue, 'number'),
    jsonVariation: <T extends JsonValue>(key: string, defaultValue: T): T => {
      const result = values.get(key);
      return result !== undefined && result.errorCode === undefined && result.value !== undefined
        ? (result.value as T)
        : defaultValue;
    },
    evaluate: (key) => ({ ...(values.get(key) ?? FLAG_NOT_FOUND) }),
    allFlags: () => Object.fromEntries([...values].map(([key, result]) => [key, result.value])),
    identify(next: Context): Promise<void> {
      context = next;
      generation++;
      version = -1;
      const cached = readCache(storage, cacheKey(options.clientKey, next));
      if (cached !== null) apply(cached.flags, cached.version, true);
      if (closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        void connect();
      });
    },
    track: (event, value) => reporter?.track(event, value),
    on: (event, listener) => void listeners[event].add(listener),
    off: (event, listener) => void listeners[event].delete(listener),
    close(): void {
      closed = true;
      generation++;
      connection?.abort();
      clearTimeout(retryTimer);
      clearTimeout(stallTimer);
      clearTimeout(readyTimer);
      reporter?.stop();
      settle();
    },
  };
}
