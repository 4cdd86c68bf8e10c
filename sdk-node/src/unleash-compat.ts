/**
 * `unleashCompat(client)`: the Unleash Node SDK's `isEnabled` and `getVariant`, with Unleash's arguments and
 * answers, over a Switchboard client evaluating flags imported from Unleash (`switchboard import unleash`).
 * Code migrating from Unleash keeps its calls; each answers what Unleash answered.
 *
 * Unleash contexts become Switchboard contexts the way the Unleash SDK reads them: a field is
 * `context[name] ?? context.properties[name]`, as a string (so `properties` are flattened and top-level fields
 * win); the client's static `appName` and `environment` (default "default") fill in, as Unleash's do;
 * `currentTime` (default: now) becomes epoch milliseconds, what imported DATE_* constraints compare; and
 * `hostname` is this machine's, for imported applicationHostname strategies.
 */
import { hostname as osHostname } from 'node:os';
import type { Context, EvaluationResult, JsonValue } from '@switchboard/core';

/** An Unleash context (unleash-client's `Context`). */
export interface UnleashContext {
  userId?: string;
  sessionId?: string;
  remoteAddress?: string;
  environment?: string;
  appName?: string;
  /** The time date constraints compare; default now. */
  currentTime?: Date | string | number;
  /** Custom fields; a top-level field of the same name wins. */
  properties?: Record<string, string | number | boolean | null | undefined>;
  [field: string]: unknown;
}

/** A variant payload as Unleash gives it: the value as a string, with its type. */
export interface UnleashPayload {
  /** 'string', 'number' or 'json' for values Switchboard serves (imported payloads keep theirs). */
  type: string;
  value: string;
}

/** What Unleash's `getVariant` answers. `featureEnabled` is Unleash's deprecated alias of `feature_enabled`. */
export interface UnleashVariant {
  name: string;
  enabled: boolean;
  payload?: UnleashPayload;
  feature_enabled: boolean;
  featureEnabled: boolean;
}

/** A fallback variant, as Unleash's `getVariant(name, context, fallbackVariant)` takes it. */
export interface UnleashFallbackVariant {
  name: string;
  enabled: boolean;
  payload?: UnleashPayload;
}

/** Unleash's `isEnabled` fallback: the answer itself, or a function computing it. */
export type UnleashFallback = boolean | ((name: string, context: UnleashContext) => boolean);

/** Options of `unleashCompat`: Unleash's static context fields. */
export interface UnleashCompatOptions {
  /** Unleash's `appName` option: the context's appName unless the call gives one. */
  appName?: string;
  /** Unleash's `environment` option (Unleash's default: "default"). */
  environment?: string;
  /** The host name applicationHostname strategies compare; default Unleash's: $HOSTNAME, else the OS's. */
  hostname?: string;
}

/** The Unleash calls `unleashCompat` provides. */
export interface UnleashCompatClient {
  /**
   * Unleash's `isEnabled`: `fallback` (default false) answers for unknown flags, before the client has a
   * ruleset, and on errors; otherwise true unless the flag serves `false`.
   */
  isEnabled(name: string, context?: UnleashContext, fallback?: UnleashFallback): boolean;
  /**
   * Unleash's `getVariant`: `{ name, enabled, payload?, feature_enabled }`. `fallbackVariant` (default
   * `{ name: 'disabled', enabled: false }`) answers when the flag is unknown, in error or serves `false`
   * (`feature_enabled` false), and when it serves `true` (`feature_enabled` true).
   */
  getVariant(
    name: string,
    context?: UnleashContext,
    fallbackVariant?: UnleashFallbackVariant,
  ): UnleashVariant;
}

/** What unleashCompat needs of a client: evaluation. A SwitchboardClient has it. */
export interface Evaluator {
  evaluate(key: string, context: Context): EvaluationResult;
}

const DISABLED: UnleashFallbackVariant = { name: 'disabled', enabled: false };

/** Unleash's own context field names; `properties` entries with these names do not override them. */
const TIME_FIELD = 'currentTime';
const HOSTNAME_FIELD = 'hostname';

function defaultHostname(): string {
  return (process.env.HOSTNAME || osHostname() || 'undefined').toLowerCase();
}

/**
 * The Switchboard context for an Unleash context (the static fields already merged in): every field of
 * `properties` and of the context itself as a string, the context's own winning, null and undefined left
 * out; `currentTime` as epoch milliseconds (NaN for an invalid date, which no date clause matches).
 */
export function toSwitchboardContext(context: UnleashContext, hostname: string): Context {
  const result: Record<string, unknown> = {};
  const set = (name: string, value: unknown): void => {
    // defineProperty: a field named "__proto__" is just a field.
    if (value !== undefined && value !== null)
      Object.defineProperty(result, name, { value: String(value), enumerable: true, writable: true });
  };
  const properties = context.properties;
  if (typeof properties === 'object' && properties !== null)
    for (const [name, value] of Object.entries(properties)) set(name, value);
  for (const [name, value] of Object.entries(context)) if (name !== 'properties') set(name, value);
  const time = context.currentTime ? new Date(context.currentTime) : new Date();
  result[TIME_FIELD] = time.getTime();
  if (result[HOSTNAME_FIELD] === undefined) result[HOSTNAME_FIELD] = hostname;
  return result;
}

function payloadOf(value: JsonValue): UnleashPayload {
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'number') return { type: 'number', value: String(value) };
  return { type: 'json', value: JSON.stringify(value) };
}

/**
 * An Unleash-shaped client over a Switchboard one. See the module comment for the context mapping.
 *
 * @example
 * ```ts
 * const unleash = unleashCompat(createClient({ url, sdkKey }), { appName: 'checkout' });
 * if (unleash.isEnabled('new-checkout', { userId: user.id })) renderNewCheckout();
 * ```
 */
export function unleashCompat(client: Evaluator, options: UnleashCompatOptions = {}): UnleashCompatClient {
  const staticContext: UnleashContext = { environment: options.environment ?? 'default' };
  if (options.appName !== undefined) staticContext.appName = options.appName;
  let hostname = options.hostname;
  const evaluate = (name: string, context: UnleashContext | undefined) => {
    hostname ??= defaultHostname();
    // As Unleash: the call's fields (even undefined ones) override the static ones.
    const merged: UnleashContext = { ...staticContext, ...context };
    return { merged, result: client.evaluate(name, toSwitchboardContext(merged, hostname)) };
  };

  return {
    isEnabled(name, context, fallback) {
      const { merged, result } = evaluate(name, context);
      if (result.errorCode !== undefined) {
        if (typeof fallback === 'function') return fallback(name, merged);
        return typeof fallback === 'boolean' ? fallback : false;
      }
      return result.value !== false;
    },

    getVariant(name, context, fallbackVariant) {
      const { result } = evaluate(name, context);
      const fallback = fallbackVariant ?? DISABLED;
      const value = result.value;
      if (result.errorCode !== undefined || value === false)
        return { ...fallback, feature_enabled: false, featureEnabled: false };
      if (value === true) return { ...fallback, feature_enabled: true, featureEnabled: true };
      // An imported Unleash variant is { name, payload? }; any other value is served as a payload.
      const imported =
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        typeof value.name === 'string';
      const variant: UnleashVariant = {
        name: imported ? (value.name as string) : (result.variant ?? name),
        enabled: true,
        feature_enabled: true,
        featureEnabled: true,
      };
      if (imported) {
        if (value.payload !== undefined) variant.payload = value.payload as unknown as UnleashPayload;
      } else {
        variant.payload = payloadOf(value);
      }
      return variant;
    },
  };
}

/** What unleashShadow needs of an Unleash client: unleash-client's `Unleash` has it. */
export interface UnleashLike {
  isEnabled(name: string, context?: UnleashContext, fallback?: UnleashFallback): boolean;
  getVariant(
    name: string,
    context?: UnleashContext,
    fallbackVariant?: UnleashFallbackVariant,
  ): { name: string; enabled: boolean; payload?: UnleashPayload; feature_enabled?: boolean };
}

/** An answer Switchboard gave differently from Unleash, reported by unleashShadow. */
export interface ShadowMismatch {
  /** The call that disagreed. */
  call: 'isEnabled' | 'getVariant';
  /** The flag (toggle) name. */
  name: string;
  /** The context the call was given. */
  context: UnleashContext | undefined;
  /** What Unleash answered (and the caller got). */
  unleash: unknown;
  /** What Switchboard answered. */
  switchboard: unknown;
}

function sameVariant(a: ReturnType<UnleashLike['getVariant']>, b: UnleashVariant): boolean {
  const { name, enabled, payload, feature_enabled } = a;
  return (
    JSON.stringify({ name, enabled, payload, feature_enabled }) ===
    JSON.stringify({
      name: b.name,
      enabled: b.enabled,
      payload: b.payload,
      feature_enabled: b.feature_enabled,
    })
  );
}

/**
 * Running both side by side: answers what Unleash answers, asks Switchboard the same question, and reports
 * each answer that differs to `onMismatch` (which must not throw). Swap it for `unleashCompat` to cut over.
 */
export function unleashShadow(
  unleash: UnleashLike,
  switchboard: UnleashCompatClient,
  onMismatch: (mismatch: ShadowMismatch) => void,
): UnleashCompatClient {
  return {
    isEnabled(name, context, fallback) {
      const expected = unleash.isEnabled(name, context, fallback);
      const actual = switchboard.isEnabled(name, context, fallback);
      if (actual !== expected)
        onMismatch({ call: 'isEnabled', name, context, unleash: expected, switchboard: actual });
      return expected;
    },
    getVariant(name, context, fallbackVariant) {
      const expected = unleash.getVariant(name, context, fallbackVariant);
      const actual = switchboard.getVariant(name, context, fallbackVariant);
      if (!sameVariant(expected, actual))
        onMismatch({ call: 'getVariant', name, context, unleash: expected, switchboard: actual });
      const featureEnabled = expected.feature_enabled === true;
      return { ...expected, feature_enabled: featureEnabled, featureEnabled };
    },
  };
}
