/**
 * OpenFeature provider for `@openfeature/web-sdk` (a separate entry point,
 * `@switchboard/sdk-browser/openfeature`, so it costs the core client nothing; `@openfeature/web-sdk` is an
 * optional peer dependency needed only here).
 *
 * @example
 * ```ts
 * import { OpenFeature } from '@openfeature/web-sdk';
 * import { SwitchboardWebProvider } from '@switchboard/sdk-browser/openfeature';
 *
 * await OpenFeature.setContext({ targetingKey: 'user-1', country: 'DE' });
 * await OpenFeature.setProviderAndWait(new SwitchboardWebProvider({ url, clientKey }));
 * OpenFeature.getClient().getBooleanValue('checkout-v2', false);
 * ```
 *
 * OpenFeature's `targetingKey` becomes Switchboard's `userId` unless the context carries its own `userId`.
 *
 * @packageDocumentation
 */
import {
  ClientProviderEvents,
  ErrorCode,
  OpenFeatureEventEmitter,
  ProviderFatalError,
  StandardResolutionReasons,
} from '@openfeature/web-sdk';
import type { EvaluationContext, JsonValue, Provider, ResolutionDetails } from '@openfeature/web-sdk';
import { createClient } from './client';
import type { ClientOptions, Context, SwitchboardClient } from './types';

/**
 * The browser client's options without `context`: the provider takes the context from OpenFeature
 * (`OpenFeature.setContext`).
 */
export type SwitchboardWebProviderOptions = Omit<ClientOptions, 'context'>;

const REASONS: Record<string, string> = {
  TARGET_MATCH: StandardResolutionReasons.TARGETING_MATCH,
  RULE_MATCH: StandardResolutionReasons.TARGETING_MATCH,
  SPLIT: StandardResolutionReasons.SPLIT,
  FALLTHROUGH: StandardResolutionReasons.DEFAULT,
  DEFAULT: StandardResolutionReasons.DEFAULT,
  DISABLED: StandardResolutionReasons.DISABLED,
  // No standard equivalent: OpenFeature allows provider-specific reasons (KILLED, PREREQUISITE_FAILED).
};

const KNOWN_ERROR_CODES = new Set<string>(Object.values(ErrorCode));

type ValueType = 'boolean' | 'string' | 'number' | 'object';

/**
 * OpenFeature's context as Switchboard's: `targetingKey` becomes `userId` unless the context has its own
 * `userId`; every other attribute is passed through unchanged.
 */
export function toSwitchboardContext(context: EvaluationContext): Context {
  const { targetingKey, ...attributes } = context;
  if (targetingKey !== undefined && attributes.userId === undefined) attributes.userId = targetingKey;
  return attributes;
}

/**
 * An OpenFeature web provider backed by a {@link createClient | browser client}. Evaluations are
 * synchronous and never throw; a context change re-evaluates with one request; changed flags are announced
 * as `PROVIDER_CONFIGURATION_CHANGED` with their keys. Reasons map to OpenFeature's (`TARGET_MATCH` and
 * `RULE_MATCH` → `TARGETING_MATCH`, `FALLTHROUGH` → `DEFAULT`, `SPLIT`, `DISABLED`); `KILLED` and
 * `PREREQUISITE_FAILED` pass through as provider-specific reasons.
 */
export class SwitchboardWebProvider implements Provider {
  /** The provider name OpenFeature reports: `switchboard`. */
  readonly metadata = { name: 'switchboard' } as const;
  /** A client-side (static context) provider: one context at a time, set through OpenFeature. */
  readonly runsOn = 'client' as const;
  /** Where OpenFeature listens for `PROVIDER_CONFIGURATION_CHANGED` (with `flagsChanged`: the keys). */
  readonly events = new OpenFeatureEventEmitter();
  private client: SwitchboardClient | undefined;

  /** Connects nothing yet: OpenFeature's `initialize` call starts the client. */
  constructor(private readonly options: SwitchboardWebProviderOptions) {}

  /**
   * Called by OpenFeature: starts a browser client for `context` (closing any earlier one) and waits for its
   * `ready()`. Fails with `ProviderFatalError` when the server refuses the client key before then (with a
   * bootstrap or cached values, ready() resolves first and a refusal only ends the retries); a network
   * failure or timeout does not fail it (flags answer cached values or defaults until the server answers).
   */
  async initialize(context: EvaluationContext = {}): Promise<void> {
    this.client?.close();
    const client = createClient({ ...this.options, context: toSwitchboardContext(context) });
    this.client = client;
    let refused = false;
    client.on('change', (keys) =>
      this.events.emit(ClientProviderEvents.ConfigurationChanged, { flagsChanged: keys }),
    );
    client.on('error', (error) => {
      if (error.code === 'UNAUTHORIZED') refused = true;
    });
    await client.ready();
    if (refused) throw new ProviderFatalError('the server refused the client key');
  }

  /** Called by OpenFeature on `setContext`: resolves when the new context's values arrived (or failed). */
  async onContextChange(_oldContext: EvaluationContext, newContext: EvaluationContext): Promise<void> {
    await this.client?.identify(toSwitchboardContext(newContext));
  }

  /** Closes the browser client; evaluations then answer `PROVIDER_NOT_READY` until the next initialize. */
  async onClose(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }

  /**
   * The flag's value when it has the requested type. Otherwise `defaultValue` with reason `ERROR` and an
   * error code: `PROVIDER_NOT_READY` before initialize, the server's code (`FLAG_NOT_FOUND`, …; `GENERAL`
   * when OpenFeature has no such code) for an error outcome, or `TYPE_MISMATCH`.
   */
  resolveBooleanEvaluation(key: string, defaultValue: boolean): ResolutionDetails<boolean> {
    return this.resolve(key, defaultValue, 'boolean');
  }

  /** As {@link resolveBooleanEvaluation}, for a string. */
  resolveStringEvaluation(key: string, defaultValue: string): ResolutionDetails<string> {
    return this.resolve(key, defaultValue, 'string');
  }

  /** As {@link resolveBooleanEvaluation}, for a number. */
  resolveNumberEvaluation(key: string, defaultValue: number): ResolutionDetails<number> {
    return this.resolve(key, defaultValue, 'number');
  }

  /**
   * As {@link resolveBooleanEvaluation}, for an object or array; a `null` value is a `TYPE_MISMATCH`. The
   * shape is not checked.
   */
  resolveObjectEvaluation<T extends JsonValue>(key: string, defaultValue: T): ResolutionDetails<T> {
    return this.resolve(key, defaultValue, 'object');
  }

  private resolve<T>(key: string, defaultValue: T, type: ValueType): ResolutionDetails<T> {
    if (this.client === undefined)
      return {
        value: defaultValue,
        reason: StandardResolutionReasons.ERROR,
        errorCode: ErrorCode.PROVIDER_NOT_READY,
      };
    const result = this.client.evaluate(key);
    if (result.errorCode !== undefined) {
      const errorCode = KNOWN_ERROR_CODES.has(result.errorCode)
        ? (result.errorCode as ErrorCode)
        : ErrorCode.GENERAL;
      return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode };
    }
    const actual = result.value === null ? 'null' : typeof result.value;
    if (actual !== type)
      return {
        value: defaultValue,
        reason: StandardResolutionReasons.ERROR,
        errorCode: ErrorCode.TYPE_MISMATCH,
        errorMessage: `flag ${JSON.stringify(key)} is a ${actual}, not a ${type}`,
      };
    const details: ResolutionDetails<T> = {
      value: result.value as T,
      reason: REASONS[result.reason] ?? result.reason,
    };
    if (result.variant !== undefined) details.variant = result.variant;
    return details;
  }
}
