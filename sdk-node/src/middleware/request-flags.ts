/**
 * The per-request evaluator the Fastify plugin and the Express middleware attach as `request.flags`.
 * Framework-free, so both share one behaviour.
 */
import type { Context, EvaluationResult, JsonValue } from '@switchboard/core';
import type { SwitchboardClient } from '../client';

/** Builds the evaluation context from a request: from its authenticated identity, never a random id. */
export type ContextBuilder<Request> = (request: Request) => Context;

/** Options of the Fastify plugin and the Express middleware (`switchboardFlags`). */
export interface FlagsMiddlewareOptions<Request> {
  /** The application's one Switchboard client (create it once at start, not per request). */
  client: SwitchboardClient;
  /**
   * Called at most once per request, on the first flag read (so after your authentication ran, as long
   * as you read flags in handlers). Synchronous: load what it needs in your auth step.
   */
  context: ContextBuilder<Request>;
  /**
   * Told when `context` throws. Flag reads then answer their defaults: a bug in context building must
   * not fail the request. Nothing is reported without it.
   */
  onContextError?: (error: unknown, request: Request) => void;
}

/** One flag's outcome as a browser receives it: no rule ids or kill reasons. */
export interface BrowserFlagResult {
  value: JsonValue;
  variant?: string;
  /** An EvaluationReason. */
  reason: string;
  /** An ErrorCode; present when reason is ERROR. */
  errorCode?: string;
}

/**
 * The browser SDK's `bootstrap` (the shape of `POST /client/v1/evaluate`): render it into the page so the
 * browser starts with the values the server rendered with.
 */
export interface BrowserBootstrap {
  /** Flag key → outcome, for every flag of the ruleset. */
  flags: Record<string, BrowserFlagResult>;
  /** The ruleset version the values were computed at; null before the client has a ruleset. */
  version: number | null;
}

/**
 * `request.flags` (Fastify) or `req.flags` (Express): the client's evaluation methods bound to this request's
 * context. Each flag is evaluated at most once per request, so a request sees one value per flag even when
 * the rules change while it runs. When the `context` function throws (or returns a non-object), every read
 * answers its default (evaluate: reason ERROR, errorCode GENERAL).
 */
export interface RequestFlags {
  /** The request's context (built on first use; `{}` if building it failed). */
  readonly context: Context;
  /** As `client.isEnabled`: `defaultValue` (default false) unless the flag serves a boolean. */
  isEnabled(key: string, defaultValue?: boolean): boolean;
  /** As `client.stringVariation`. */
  stringVariation(key: string, defaultValue: string): string;
  /** As `client.numberVariation`. */
  numberVariation(key: string, defaultValue: number): number;
  /** As `client.jsonVariation`. */
  jsonVariation<T extends JsonValue>(key: string, defaultValue: T): T;
  /** As `client.evaluate`: the full, frozen outcome. */
  evaluate(key: string): EvaluationResult;
  /** Every flag's value for this request's context (null in error); flags already read keep their value. */
  allFlags(): Record<string, JsonValue>;
  /** Every flag's outcome for this request's context, as the browser SDK's `bootstrap` option takes it. */
  browserBootstrap(): BrowserBootstrap;
  /** `client.track(eventName, context, value)` for this request's context (e.g. `track('error')`). */
  track(eventName: string, value?: number): void;
}

const CONTEXT_FAILED: EvaluationResult = Object.freeze({
  value: null,
  reason: 'ERROR',
  errorCode: 'GENERAL',
});

/**
 * Every flag's outcome for `context` in the browser SDK's bootstrap shape, computed locally by the Node
 * SDK — the same outcomes `POST /client/v1/evaluate` answers for that context.
 */
export function browserBootstrap(client: SwitchboardClient, context: Context): BrowserBootstrap {
  return bootstrapOf(client, context, (key) => client.evaluate(key, context));
}

function bootstrapOf(
  client: SwitchboardClient,
  context: Context,
  evaluate: (key: string) => EvaluationResult,
): BrowserBootstrap {
  const flags: Record<string, BrowserFlagResult> = {};
  for (const key of Object.keys(client.allFlags(context))) flags[key] = toBrowserResult(evaluate(key));
  return { flags, version: client.version };
}

function toBrowserResult(result: EvaluationResult): BrowserFlagResult {
  const browser: BrowserFlagResult = { value: result.value as JsonValue, reason: result.reason };
  if (result.variant !== undefined) browser.variant = result.variant;
  if (result.errorCode !== undefined) browser.errorCode = result.errorCode;
  return browser;
}

function typed<T>(result: EvaluationResult, defaultValue: T, type: 'boolean' | 'string' | 'number'): T {
  return result.errorCode === undefined && typeof result.value === type ? (result.value as T) : defaultValue;
}

/**
 * A request's evaluator. The context is built on first use, and each flag is evaluated at most once per
 * request: a request sees one consistent value per flag even when the rules change while it runs.
 */
export function createRequestFlags<Request>(
  request: Request,
  options: FlagsMiddlewareOptions<Request>,
): RequestFlags {
  const { client } = options;
  const outcomes = new Map<string, EvaluationResult>();
  let context: Context | undefined;
  let contextFailed = false;

  function resolveContext(): Context | null {
    if (context === undefined && !contextFailed) {
      try {
        const built = options.context(request);
        if (typeof built !== 'object' || built === null)
          throw new TypeError(`the context function returned ${String(built)}, not an object`);
        context = built;
      } catch (error) {
        contextFailed = true;
        options.onContextError?.(error, request);
      }
    }
    return context ?? null;
  }

  function outcome(key: string): EvaluationResult {
    let result = outcomes.get(key);
    if (result === undefined) {
      const ctx = resolveContext();
      result = ctx === null ? CONTEXT_FAILED : client.evaluate(key, ctx);
      outcomes.set(key, result);
    }
    return result;
  }

  return {
    get context() {
      return resolveContext() ?? {};
    },
    isEnabled: (key, defaultValue = false) => typed(outcome(key), defaultValue, 'boolean'),
    stringVariation: (key, defaultValue) => typed(outcome(key), defaultValue, 'string'),
    numberVariation: (key, defaultValue) => typed(outcome(key), defaultValue, 'number'),
    jsonVariation<T extends JsonValue>(key: string, defaultValue: T): T {
      const result = outcome(key);
      return result.errorCode === undefined ? (result.value as T) : defaultValue;
    },
    evaluate: outcome,
    allFlags() {
      const ctx = resolveContext();
      if (ctx === null) return {};
      const values = client.allFlags(ctx);
      // Flags this request already read keep the value it saw.
      for (const [key, result] of outcomes)
        if (key in values) values[key] = result.errorCode === undefined ? (result.value as JsonValue) : null;
      return values;
    },
    browserBootstrap() {
      const ctx = resolveContext();
      return ctx === null ? { flags: {}, version: client.version } : bootstrapOf(client, ctx, outcome);
    },
    track(eventName, value) {
      const ctx = resolveContext();
      if (ctx !== null) client.track(eventName, ctx, value);
    },
  };
}
