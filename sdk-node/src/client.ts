import { randomUUID } from 'node:crypto';
import { compileRuleset } from '@switchboard/core';
import type {
  CompiledRuleset,
  Context,
  DeleteEvent,
  EnvironmentRuleset,
  EvaluationResult,
  FlagConfig,
  JsonValue,
  PatchEvent,
  SegmentDocument,
} from '@switchboard/core';
import { affectedByReplacement, FlagDependencies, servesRollout } from './changed-flags';
import { EvaluationCounter, metricsBodies } from './evaluation-metrics';
import { Emitter } from './events';
import { request } from './http';
import type { HttpError } from './http';
import { resolveOptions } from './options';
import type { ClientOptions, ResolvedOptions } from './options';
import { RulesetCacheFile, readRulesetFile } from './ruleset-files';
import { Synchronizer } from './synchronizer';

import type { ConnectionState } from './synchronizer';
import { EventRecorder, ITEMS_PER_REPORT, reportBodies } from './track-events';
import { isEnvironmentRuleset } from './wire-guards';

export type { ConnectionState } from './synchronizer';

/** The client's lifecycle state; see ClientStatus.state. */
export type ClientState = 'initializing' | 'ready' | 'stale' | 'error' | 'closed';
/** Where the ruleset being served came from: the `bootstrap` option, the `cacheFile`, or the server. */
export type RulesetSource = 'bootstrap' | 'cache' | 'server';

/** A snapshot of the client's health (`client.status`); a new frozen object on every read. */
export interface ClientStatus {
  /** initializing (no ruleset yet) → ready; stale while cut off; error once the key is refused; closed. */
  readonly state: ClientState;
  /** How the client currently reaches the server (stream, polling, or neither). */
  readonly connection: ConnectionState;
  /** The ruleset's environment; null before any ruleset. */
  readonly environment: string | null;
  /** Version (the environment's change sequence) of the ruleset being served. */
  readonly version: number | null;
  /** Where the ruleset being served came from; null before any. */
  readonly source: RulesetSource | null;
  /** When a ruleset or change last arrived from the server. */
  readonly lastUpdateAt: Date | null;
  /** Since when neither the stream nor polling reaches the server; null while connected. */
  readonly disconnectedSince: Date | null;
}

/** The events of `client.on(event, listener)` and their listener arguments. */
export interface ClientEvents {
  /** The first ruleset is available (from bootstrap, cache file or server). Emitted once. */
  ready: [];
  /** Flags that may now evaluate differently (changed, or depending on a changed flag or segment). */
  change: [keys: string[]];
  /**
   * `UNAUTHORIZED`: the server refused the SDK key (the client stops retrying). `INVALID_RULESET`: the
   * `bootstrap` option was unusable or a ruleset could not be compiled (an unusable cache file is only
   * logged). The client keeps serving whatever ruleset it has.
   */
  error: [error: SwitchboardError];
  /** Cut off from the server for longer than `staleAfterMs`; the last ruleset is still served. */
  stale: [];
  /** In touch with the server again after 'stale'. */
  recovered: [];
}

/**
 * - `READY_TIMEOUT`: `ready()` saw no ruleset within `readyTimeoutMs` (the client keeps trying).
 * - `UNAUTHORIZED`: the server refused the SDK key (401/403); the client stops syncing.
 * - `CLOSED`: the client was closed before it was ready.
 * - `INVALID_RULESET`: a bootstrap ruleset or file was unusable, or a ruleset could not be compiled.
 */
export type SwitchboardErrorCode = 'READY_TIMEOUT' | 'UNAUTHORIZED' | 'CLOSED' | 'INVALID_RULESET';

/** The error `ready()` rejects with and the `error` event carries. Evaluation never throws it. */
export class SwitchboardError extends Error {
  constructor(
    /** What went wrong; see SwitchboardErrorCode. */
    readonly code: SwitchboardErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SwitchboardError';
  }
}

/** The value type `evaluateTyped` checks for; 'json' accepts any value. */
export type ValueType = 'boolean' | 'string' | 'number' | 'json';

const NOT_READY: EvaluationResult = Object.freeze({
  value: null,
  reason: 'ERROR',
  errorCode: 'PROVIDER_NOT_READY',
});

const USER_AGENT = 'switchboard-sdk-node';
const SDK_VERSION = '0.1.0';
/** Users whose served variants of guarded flags are remembered for `track` (least recent forgotten). */
const MAX_REMEMBERED_USERS = 50_000;
const MAX_EVENT_NAME_LENGTH = 200;
const CLOSE_FLUSH_TIMEOUT_MS = 2_000;
/** Metrics request bodies stay well below the server's request size limit (1 MiB by default). */
const MAX_METRICS_BODY_BYTES = 256 * 1024;
/** Refuse a ruleset response larger than this rather than buffering without bound. */
const MAX_RULESET_BYTES = 256 * 1024 * 1024;

interface ReadyWaiter {
  resolve(): void;
  reject(error: SwitchboardError): void;
  timer: NodeJS.Timeout;
}

/**
 * A Switchboard client: evaluates flags locally and synchronously against the environment's
 * ruleset, which it keeps in sync with the server in the background.
 *
 * Evaluation never throws and never waits: before any ruleset it answers the default value
 * (reason ERROR, PROVIDER_NOT_READY); cut off from the server it keeps answering from the last ruleset.
 * Create one per process with `createClient` and share it.
 */
export class SwitchboardClient {
  private readonly options: ResolvedOptions;
  private readonly emitter: Emitter<ClientEvents>;
  private readonly synchronizer: Synchronizer;
  private readonly counter: EvaluationCounter | null;
  private readonly cacheFile: RulesetCacheFile | null;
  private readonly readyDeadline: number;
  private readonly readyWaiters = new Set<ReadyWaiter>();

  private rules: CompiledRuleset | null = null;
  /** The plain ruleset being served: the client's own copy, which each patch changes in place. */
  private ruleset: EnvironmentRuleset | null = null;
  /** Which flags depend on which in `ruleset`, for the keys of `change` events. */
  private dependencies: FlagDependencies | null = null;
  private source: RulesetSource | null = null;
  /** The ruleset came from the server in this process, so a stream may resume from its version. */
  private syncedWithServer = false;
  private connection: ConnectionState = 'connecting';
  private lastUpdateAt: number | null = null;
  private disconnectedSince: number | null;
  private stale = false;
  private staleTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly recorder: EventRecorder | null;
  private readonly instanceId = randomUUID();
  private eventsTimer: NodeJS.Timeout | null = null;
  private reporting: Promise<void> | null = null;
  /** When the last report was sent (Date.now()). */
  private lastReportAt = 0;
  /** A flag serving a rollout changed: report at the next tick, to learn whether it is guarded now. */
  private reportSoon = false;
  private fatalError: SwitchboardError | null = null;
  private closed = false;

  constructor(options: ClientOptions) {
    this.options = resolveOptions(options);
    const { logger } = this.options;
    this.emitter = new Emitter<ClientEvents>(logger);
    this.readyDeadline = Date.now() + this.options.readyTimeoutMs;
    this.disconnectedSince = Date.now();
    this.counter = this.options.metrics ? new EvaluationCounter() : null;
    this.recorder = this.options.events
      ? new EventRecorder(this.options.maxQueuedEvents, MAX_REMEMBERED_USERS)
      : null;
    this.cacheFile = this.options.cacheFile
      ? new RulesetCacheFile(this.options.cacheFile, (error) =>
          logger.warn(`switchboard: could not write the cache file: ${error.message}`),
        )
      : null;

    this.loadLocalRuleset();

    this.synchronizer = new Synchronizer(
      {
        url: this.options.url,
        sdkKey: this.options.sdkKey,
        userAgent: USER_AGENT,
        instanceId: this.instanceId,
        streaming: this.options.streaming,
        pollIntervalMs: this.options.pollIntervalMs,
        reconnectBaseMs: this.options.reconnectBaseMs,
        reconnectMaxMs: this.options.reconnectMaxMs,
        streamFailuresBeforePolling: this.options.streamFailuresBeforePolling,
        streamIdleTimeoutMs: this.options.streamIdleTimeoutMs,
        requestTimeoutMs: this.options.requestTimeoutMs,
        maxRulesetBytes: MAX_RULESET_BYTES,
        logger,
      },
      {
        put: (ruleset) => this.applyRuleset(ruleset, 'server'),
        patch: (event) => this.applyChange(event, event.value),
        remove: (event) => this.applyChange(event, null),
        resumeId: () => (this.syncedWithServer && this.ruleset ? String(this.ruleset.version) : null),
        connectionChanged: (state) => this.onConnectionChanged(state),
        unauthorized: (error) => this.onUnauthorized(error),
      },
    );
    this.synchronizer.start();
    this.armStaleTimer();
    if (this.counter) {
      this.flushTimer = setInterval(() => void this.flushMetrics(), this.options.flushIntervalMs);
      this.flushTimer.unref();
    }
    if (this.recorder) {
      const recorder = this.recorder;
      this.eventsTimer = setInterval(() => this.reportIfDue(recorder), this.options.eventsFlushIntervalMs);
      this.eventsTimer.unref();
    }
  }

  // ---- Evaluation (hot path: keep these small, synchronous and allocation-free) ----

  /**
   * The flag's boolean value; `defaultValue` (default false) when the flag is unknown, its value is not a
   * boolean, no ruleset has arrived yet, or on any other error.
   */
  isEnabled(key: string, context: Context, defaultValue = false): boolean {
    const result = this.resolve(key, context);
    const value = result.value;
    return typeof value === 'boolean' && result.errorCode === undefined ? value : defaultValue;
  }

  /** The flag's string value; `defaultValue` when it is unknown, not a string, not ready, or on any error. */
  stringVariation(key: string, context: Context, defaultValue: string): string {
    const result = this.resolve(key, context);
    const value = result.value;
    return typeof value === 'string' && result.errorCode === undefined ? value : defaultValue;
  }

  /** The flag's number value; `defaultValue` when it is unknown, not a number, not ready, or on any error. */
  numberVariation(key: string, context: Context, defaultValue: number): number {
    const result = this.resolve(key, context);
    const value = result.value;
    return typeof value === 'number' && result.errorCode === undefined ? value : defaultValue;
  }

  /**
   * Any JSON value the flag serves, unchecked against `T`; `defaultValue` when the flag is unknown, before
   * the first ruleset, or on any error. The value is frozen and shared between calls.
   */
  jsonVariation<T extends JsonValue = JsonValue>(key: string, context: Context, defaultValue: T): T {
    const result = this.resolve(key, context);
    return result.errorCode === undefined ? (result.value as T) : defaultValue;
  }

  /**
   * The full outcome: value, variant, reason, ruleId, errorCode. The returned object is shared and
   * frozen (core reuses one object per outcome); copy it before changing it. Unknown flag: value null,
   * errorCode FLAG_NOT_FOUND; before the first ruleset: value null, errorCode PROVIDER_NOT_READY.
   */
  evaluate(key: string, context: Context): EvaluationResult {
    return this.resolve(key, context);
  }

  /**
   * The outcome with the value checked against `type`: on a mismatch, or any error, the value is
   * `defaultValue` (reason ERROR, errorCode TYPE_MISMATCH or the error's code).
   */
  evaluateTyped<T extends JsonValue>(
    key: string,
    context: Context,
    defaultValue: T,
    type: ValueType,
  ): EvaluationResult<T> {
    const result = this.resolve(key, context);
    if (result.errorCode !== undefined)
      return { value: defaultValue, reason: 'ERROR', errorCode: result.errorCode };
    if (type !== 'json' && typeof result.value !== type) {
      return { value: defaultValue, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' };
    }
    return result as EvaluationResult<T>;
  }

  /**
   * Every flag's value for the context (null for a flag in error); empty before any ruleset. A new object
   * each call, inheriting nothing: a flag named "__proto__" or "toString" is an own key like any other.
   * Not counted in evaluation metrics: a bulk read says nothing about which flags code uses.
   */
  allFlags(context: Context): Record<string, JsonValue> {
    const rules = this.rules;
    if (rules === null) return Object.create(null) as Record<string, JsonValue>;
    // Filled in place (evaluateEach visits in keys() order): growing an array by push costs more.
    const values = new Array<JsonValue>(rules.size);
    let index = 0;
    rules.evaluateEach(context, (_key, result) => {
      values[index++] = result.errorCode === undefined ? result.value : null;
    });
    return rules.record(values);
  }

  private resolve(key: string, context: Context): EvaluationResult {
    const rules = this.rules;
    if (rules === null) return NOT_READY;
    const result = rules.evaluate(key, context);
    if (this.counter !== null) this.counter.count(key, result);
    const recorder = this.recorder;
    if (recorder !== null && recorder.isGuarded(key)) {
      const user = userOf(context);
      if (user !== undefined) {
        recorder.recordServed(key, user, result);
        this.flushEventsIfFull(recorder);
      }
    }
    return result;
  }

  // ---- Tracked events ----

  /**
   * Reports an outcome for the context's user (`error`, `checkout_completed`, a latency in
   * `value`), attributed to the variants of guarded flags this client served that user, so the
   * server's guards can compare treatment with control. Queued and sent in the background; never
   * throws and never waits. Events of users not served a guarded flag are not sent.
   *
   * Does nothing when the `events` option is false, after `close()`, or when `context.userId` is not a
   * non-empty string or finite number. An event name outside 1–200 characters, or a `value` that is not a
   * finite number, is logged as a warning and dropped.
   */
  track(eventName: string, context: Context, value?: number): void {
    const recorder = this.recorder;
    if (recorder === null || this.closed) return;
    if (typeof eventName !== 'string' || eventName.length === 0 || eventName.length > MAX_EVENT_NAME_LENGTH) {
      this.options.logger.warn(
        `switchboard: track() needs an event name of 1–${MAX_EVENT_NAME_LENGTH} characters`,
      );
      return;
    }
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      this.options.logger.warn(`switchboard: track("${eventName}") value must be a finite number`);
      return;
    }
    const user = userOf(context);
    if (user === undefined) return;
    if (recorder.track(eventName, user, value)) this.flushEventsIfFull(recorder);
  }

  // ---- Lifecycle and status ----

  /**
   * Resolves once a ruleset is available (at once if the bootstrap or cache file provided one). Rejects with
   * a SwitchboardError: `READY_TIMEOUT` once `readyTimeoutMs` have passed since createClient (the client
   * keeps trying; evaluation answers defaults meanwhile), `UNAUTHORIZED` when the SDK key is refused, or
   * `CLOSED` when the client is closed first.
   */
  ready(): Promise<void> {
    if (this.rules !== null) return Promise.resolve();
    if (this.fatalError) return Promise.reject(this.fatalError);
    if (this.closed) return Promise.reject(new SwitchboardError('CLOSED', 'the client is closed'));
    return new Promise((resolve, reject) => {
      const waiter: ReadyWaiter = {
        resolve,
        reject,
        timer: setTimeout(
          () => {
            this.readyWaiters.delete(waiter);
            reject(
              new SwitchboardError(
                'READY_TIMEOUT',
                `no ruleset within ${this.options.readyTimeoutMs} ms; still trying in the background`,
              ),
            );
          },
          Math.max(0, this.readyDeadline - Date.now()),
        ),
      };
      this.readyWaiters.add(waiter);
    });
  }

  /** The client's health now: state, connection, ruleset version and source. */
  get status(): ClientStatus {
    return Object.freeze({
      state: this.state(),
      connection: this.connection,
      environment: this.ruleset?.environment ?? null,
      version: this.ruleset?.version ?? null,
      source: this.source,
      lastUpdateAt: this.lastUpdateAt === null ? null : new Date(this.lastUpdateAt),
      disconnectedSince: this.disconnectedSince === null ? null : new Date(this.disconnectedSince),
    });
  }

  /** Version of the ruleset being served (the environment's change sequence); null before any. */
  get version(): number | null {
    return this.ruleset?.version ?? null;
  }

  /**
   * Adds a listener; returns the client, for chaining. A listener that throws is logged, not rethrown.
   * `ready` is emitted asynchronously, so a listener added right after createClient hears it.
   */
  on<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  /**
   * Stops syncing, sends the last evaluation counts and finishes the cache file write. Evaluation
   * keeps answering from the last ruleset afterwards. A pending `ready()` rejects with `CLOSED`. The last
   * sends time out after 2 s (or `requestTimeoutMs` if shorter). Calling it again does nothing.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.synchronizer.stop();
    if (this.staleTimer) clearTimeout(this.staleTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.eventsTimer) clearInterval(this.eventsTimer);
    this.settleReadyWaiters(new SwitchboardError('CLOSED', 'the client was closed before it was ready'));
    await Promise.all([this.flushing, this.reporting]); // flushes in progress; then what came since
    // Shutting down should not wait long on an unreachable server for a few counts.
    const timeoutMs = Math.min(this.options.requestTimeoutMs, CLOSE_FLUSH_TIMEOUT_MS);
    await Promise.all([this.flushMetrics(timeoutMs), this.flushEvents(timeoutMs), this.cacheFile?.flush()]);
  }

  private state(): ClientState {
    if (this.closed) return 'closed';
    if (this.fatalError) return 'error';
    if (this.rules === null) return 'initializing';
    return this.stale ? 'stale' : 'ready';
  }

  // ---- Ruleset updates ----

  private loadLocalRuleset(): void {
    const { bootstrap, cacheFile } = this.options;
    let chosen: { ruleset: EnvironmentRuleset; source: RulesetSource } | null = null;
    if (bootstrap !== undefined) {
      const ruleset = this.readLocal('bootstrap', bootstrap);
      if (ruleset) chosen = { ruleset, source: 'bootstrap' };
    }
    if (cacheFile !== undefined) {
      // A missing cache file is normal (first start); an unreadable one is worth a warning only.
      const cached = this.readLocal('cache', cacheFile, true);
      if (cached && (!chosen || cached.version > chosen.ruleset.version))
        chosen = { ruleset: cached, source: 'cache' };
    }
    if (chosen) this.applyRuleset(chosen.ruleset, chosen.source);
  }

  private readLocal(
    source: 'bootstrap' | 'cache',
    input: EnvironmentRuleset | string,
    optional = false,
  ): EnvironmentRuleset | null {
    try {
      if (typeof input === 'string') return readRulesetFile(input);
      if (isEnvironmentRuleset(input)) return input;
      throw new Error(
        'the bootstrap object is not an environment ruleset ({ environment, version, flags, segments })',
      );
    } catch (error) {
      if (optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      const failure = new SwitchboardError(
        'INVALID_RULESET',
        `unusable ${source}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
      this.options.logger.warn(`switchboard: ${failure.message}`);
      if (source === 'bootstrap') process.nextTick(() => this.emitter.emit('error', failure));
      return null;
    }
  }

  private applyRuleset(ruleset: EnvironmentRuleset, source: RulesetSource): void {
    let compiled: CompiledRuleset;
    try {
      compiled = compileRuleset(ruleset);
    } catch (error) {
      const failure = new SwitchboardError('INVALID_RULESET', `could not compile the ${source} ruleset`, {
        cause: error,
      });
      this.options.logger.error(`switchboard: ${failure.message}`, error);
      this.emitter.emit('error', failure);
      return;
    }
    const previous = this.ruleset;
    // Copied once here, so that patches can change the tables in place (a bootstrap object is the caller's);
    // without a prototype, a flag named __proto__ is an entry like any other.
    const own: EnvironmentRuleset = {
      ...ruleset,
      flags: Object.assign(Object.create(null) as EnvironmentRuleset['flags'], ruleset.flags),
      segments: Object.assign(Object.create(null) as EnvironmentRuleset['segments'], ruleset.segments),
    };
    this.rules = compiled;
    this.ruleset = own;
    this.dependencies = new FlagDependencies(own.flags);
    this.source = source;
    if (source === 'server') this.receivedFromServer(own);
    if (previous === null) {
      this.becomeReady();
      return;
    }
    // A fresh ruleset from the server (a reconnect) may carry plans started meanwhile: learn the guarded flags.
    if (source === 'server') this.reportSoon = true;
    const changed = affectedByReplacement(previous, own, this.dependencies);
    if (changed.length > 0) this.emitter.emit('change', changed);
  }

  private applyChange(event: PatchEvent | DeleteEvent, value: PatchEvent['value'] | null): void {
    const { rules, ruleset, dependencies } = this;
    // A stream only sends changes after a put or on resume from our own version, so there is a base.
    if (rules === null || ruleset === null || dependencies === null || !this.syncedWithServer) return;
    if (event.version <= ruleset.version) return;
    const { key } = event;
    this.rules = rules.withChange({ kind: event.kind, key, value }, event.version);
    // In place, costing the same whatever the ruleset's size: nothing outside the client holds these
    // tables, and the cache file writes the ruleset as it is when it gets to it, i.e. the latest.
    ruleset.version = event.version;
    let changed: string[];
    if (event.kind === 'flag') {
      const flag = (value ?? undefined) as FlagConfig | undefined;
      dependencies.setFlag(key, ruleset.flags[key], flag);
      if (servesRollout(flag)) this.reportSoon = true;
      setEntry(ruleset.flags, key, flag);
      changed = dependencies.affectedBy([key], []);
    } else {
      setEntry(ruleset.segments, key, (value ?? undefined) as SegmentDocument | undefined);
      changed = dependencies.affectedBy([], [key]);
    }
    this.receivedFromServer(ruleset);
    if (changed.length > 0) this.emitter.emit('change', changed);
  }

  private receivedFromServer(ruleset: EnvironmentRuleset): void {
    this.syncedWithServer = true;
    this.source = 'server';
    this.lastUpdateAt = Date.now();
    this.cacheFile?.save(ruleset);
  }

  private becomeReady(): void {
    this.settleReadyWaiters(null);
    // The first report tells which flags are guarded, so exposures are recorded from the start.
    void this.flushEvents();
    // Deferred so that listeners attached right after createClient (bootstrap case) hear it.
    process.nextTick(() => this.emitter.emit('ready'));
  }

  private settleReadyWaiters(error: SwitchboardError | null): void {
    for (const waiter of this.readyWaiters) {
      clearTimeout(waiter.timer);
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
    this.readyWaiters.clear();
  }

  // ---- Connection health ----

  private onConnectionChanged(state: ConnectionState): void {
    this.connection = state;
    if (state === 'streaming' || state === 'polling') {
      this.disconnectedSince = null;
      if (this.staleTimer) clearTimeout(this.staleTimer);
      this.staleTimer = null;
      if (this.stale) {
        this.stale = false;
        this.emitter.emit('recovered');
      }
    } else if (state === 'disconnected' && this.disconnectedSince === null) {
      this.disconnectedSince = Date.now();
      this.armStaleTimer();
    }
  }

  private armStaleTimer(): void {
    if (this.staleTimer || this.closed) return;
    this.staleTimer = setTimeout(() => {
      this.staleTimer = null;
      if (this.disconnectedSince === null || this.stale || this.closed) return;
      if (this.rules === null) return; // nothing served yet: ready() reports this, not staleness
      this.stale = true;
      this.options.logger.warn('switchboard: no contact with the server; serving the last known flags');
      this.emitter.emit('stale');
    }, this.options.staleAfterMs);
  }

  private onUnauthorized(cause: HttpError): void {
    this.fatalError = new SwitchboardError('UNAUTHORIZED', cause.message, { cause });
    if (this.staleTimer) clearTimeout(this.staleTimer);
    this.settleReadyWaiters(this.fatalError);
    this.emitter.emit('error', this.fatalError);
  }

  // ---- Evaluation metrics ----

  /** Sends the counts of the window that just ended; a batch the server does not take is dropped. */
  private flushMetrics(timeoutMs = this.options.requestTimeoutMs): Promise<void> {
    if (this.counter === null || this.flushing || this.fatalError) return this.flushing ?? Promise.resolve();
    const uncounted = this.counter.dropped;
    const batch = this.counter.takeBatch();
    if (uncounted > 0) {
      this.options.logger.warn(
        `switchboard: ${uncounted} evaluations not counted (too many distinct outcomes)`,
      );
    }
    if (batch === null) return Promise.resolve();
    this.flushing = this.postMetrics(metricsBodies(batch, MAX_METRICS_BODY_BYTES), timeoutMs)
      .catch((error: Error) => {
        this.options.logger.debug(`switchboard: evaluation counts dropped (${error.message})`);
      })
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }

  private async postMetrics(bodies: string[], timeoutMs: number): Promise<void> {
    for (const body of bodies) await this.postJson('sdk/v1/metrics', body, timeoutMs);
  }

  /** POSTs one JSON body with the SDK key; answers the response body, throws on a non-2xx status. */
  private async postJson(path: string, body: string, timeoutMs: number): Promise<Buffer> {
    const res = await request(new URL(path, this.options.url), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.options.sdkKey}`,
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
      },
      body,
      timeoutMs,
      maxBodyBytes: 64 * 1024,
    });
    if (res.status >= 300) throw new Error(`HTTP ${res.status}`);
    return res.body;
  }

  /**
   * A tick of the events timer. An idle client (nothing queued, no guarded flag) reports only every
   * heartbeatIntervalMs: thousands of instances reporting every few seconds would be a load on the server
   * for nothing, since each one's stream already tells the server which ruleset it holds.
   */
  private reportIfDue(recorder: EventRecorder): void {
    if (
      recorder.queued > 0 ||
      recorder.guarding ||
      this.reportSoon ||
      Date.now() - this.lastReportAt >= this.options.heartbeatIntervalMs
    )
      void this.flushEvents();
  }

  private flushEventsIfFull(recorder: EventRecorder): void {
    if (recorder.queued >= ITEMS_PER_REPORT && this.reporting === null) void this.flushEvents();
  }

  /**
   * Sends the instance report with what was queued (a heartbeat when nothing was) and learns the
   * guarded flags from the answer. A report the server does not take is dropped.
   */
  private flushEvents(timeoutMs = this.options.requestTimeoutMs): Promise<void> {
    const recorder = this.recorder;
    if (recorder === null || this.reporting || this.fatalError) return this.reporting ?? Promise.resolve();
    const batch = recorder.take();
    this.lastReportAt = Date.now();
    this.reportSoon = false;
    if (batch.dropped > 0) {
      this.options.logger.warn(
        `switchboard: ${batch.dropped} exposures or tracked events dropped (queue full)`,
      );
    }
    const sdk = {
      instanceId: this.instanceId,
      name: USER_AGENT,
      version: SDK_VERSION,
      rulesetVersion: this.ruleset?.version ?? null,
    };
    this.reporting = this.postReports(recorder, reportBodies(sdk, batch), timeoutMs)
      .catch((error: Error) => {
        this.options.logger.debug(`switchboard: events report dropped (${error.message})`);
      })
      .finally(() => {
        this.reporting = null;
      });
    return this.reporting;
  }

  private async postReports(recorder: EventRecorder, bodies: string[], timeoutMs: number): Promise<void> {
    for (const body of bodies) {
      const answer = parseReportAnswer(await this.postJson('sdk/v1/events', body, timeoutMs));
      if (answer !== null) recorder.setGuarded(answer);
    }
  }
}

/** Sets or (value undefined) deletes one entry of a ruleset table. */
function setEntry<T>(table: Record<string, T>, key: string, value: T | undefined): void {
  if (value === undefined) delete table[key];
  else table[key] = value;
}

/** The context's user for exposures and events: its `userId` (a string or number). */
function userOf(context: Context): string | undefined {
  // Callers may pass anything (JavaScript callers, `null`): evaluation must not throw on it.
  if (typeof context !== 'object' || context === null) return undefined;
  const user = context.userId;
  if (typeof user === 'string') return user.length > 0 ? user : undefined;
  return typeof user === 'number' && Number.isFinite(user) ? String(user) : undefined;
}

/** `guarded` (flag key → run id) from the server's answer to a report; null when unusable. */
function parseReportAnswer(body: Buffer): Record<string, string> | null {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { guarded?: unknown };
    const guarded = parsed.guarded;
    if (typeof guarded !== 'object' || guarded === null || Array.isArray(guarded)) return null;
    const entries = Object.entries(guarded).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    );
    return Object.fromEntries(entries);
  } catch {
    return null;
  }
}

/**
 * Creates a client and starts syncing in the background. Throws a TypeError for options that cannot work
 * (a missing or non-http(s) `url`, an empty `sdkKey`, a non-positive duration, …).
 *
 * @example
 * ```ts
 * const client = createClient({ url: 'https://flags.example.com', sdkKey: process.env.SDK_KEY! });
 * await client.ready().catch(() => {}); // evaluation answers defaults until a ruleset arrives
 * if (client.isEnabled('checkout-v2', { userId: user.id })) renderNewCheckout();
 * // on shutdown:
 * await client.close();
 * ```
 */
export function createClient(options: ClientOptions): SwitchboardClient {
  return new SwitchboardClient(options);
}
