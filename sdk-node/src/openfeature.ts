/**
 * OpenFeature provider for `@openfeature/server-sdk`:
 *
 *   import { OpenFeature } from '@openfeature/server-sdk';
 *   import { SwitchboardProvider } from '@switchboard/sdk-node/openfeature';
 *   await OpenFeature.setProviderAndWait(new SwitchboardProvider({ url, sdkKey }));
 */
import {
  ErrorCode,
  OpenFeatureEventEmitter,
  ProviderEvents,
  ProviderFatalError,
  StandardResolutionReasons,
} from '@openfeature/server-sdk';
import type {
  EvaluationContext,
  FlagMetadata,
  JsonValue,
  Provider,
  ResolutionDetails,
} from '@openfeature/server-sdk';
import type {
  Context,
  ErrorCode as SwitchboardErrorCode,
  EvaluationReason,
  EvaluationResult,
} from '@switchboard/core';
import { SwitchboardClient } from './client';
import type { SwitchboardError, ValueType } from './client';
import type { ClientOptions } from './options';

const REASONS: Record<EvaluationReason, string> = {
  TARGET_MATCH: StandardResolutionReasons.TARGETING_MATCH,
  RULE_MATCH: StandardResolutionReasons.TARGETING_MATCH,
  SPLIT: StandardResolutionReasons.SPLIT,
  FALLTHROUGH: StandardResolutionReasons.DEFAULT,
  DEFAULT: StandardResolutionReasons.DEFAULT,
  DISABLED: StandardResolutionReasons.DISABLED,
  ERROR: StandardResolutionReasons.ERROR,
  // No standard equivalent: OpenFeature allows provider-specific reasons.
  KILLED: 'KILLED',
  PREREQUISITE_FAILED: 'PREREQUISITE_FAILED',
};

const ERROR_CODES: Record<SwitchboardErrorCode, ErrorCode> = {
  FLAG_NOT_FOUND: ErrorCode.FLAG_NOT_FOUND,
  TYPE_MISMATCH: ErrorCode.TYPE_MISMATCH,
  PARSE_ERROR: ErrorCode.PARSE_ERROR,
  TARGETING_KEY_MISSING: ErrorCode.TARGETING_KEY_MISSING,
  PROVIDER_NOT_READY: ErrorCode.PROVIDER_NOT_READY,
  GENERAL: ErrorCode.GENERAL,
};

/**
 * Resolves flags with a SwitchboardClient (local evaluation; every resolution is synchronous work
 * wrapped in a resolved promise). The OpenFeature `targetingKey` stands in for `userId` when the
 * context has no `userId`.
 *
 * Reasons map to OpenFeature's: TARGET_MATCH and RULE_MATCH → TARGETING_MATCH, FALLTHROUGH → DEFAULT;
 * KILLED and PREREQUISITE_FAILED are passed through as provider-specific reasons. `ruleId` and `killReason`
 * are in `flagMetadata`. A value of the wrong type (for object evaluation: not an object or array) answers
 * the default with TYPE_MISMATCH. Events: `stale` → Stale, `recovered` → Ready, `change` →
 * ConfigurationChanged, a refused SDK key → Error.
 *
 * @example
 * ```ts
 * await OpenFeature.setProviderAndWait(new SwitchboardProvider({ url, sdkKey }));
 * const flags = OpenFeature.getClient();
 * const enabled = await flags.getBooleanValue('checkout-v2', false, { targetingKey: user.id });
 * ```
 */
export class SwitchboardProvider implements Provider {
  readonly metadata = { name: 'switchboard' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  /** The client resolving the flags (given, or created from the options). */
  readonly client: SwitchboardClient;
  private readonly ownsClient: boolean;
  private initializeFailed = false;

  /** Pass a client to share it, or options to have the provider create (and close) its own. */
  constructor(clientOrOptions: SwitchboardClient | ClientOptions) {
    // Duck-typed, not instanceof: the CommonJS build of this entry carries its own copy of the class.
    const given = isClient(clientOrOptions) ? clientOrOptions : null;
    this.ownsClient = given === null;
    this.client = given ?? new SwitchboardClient(clientOrOptions as ClientOptions);
    this.client.on('ready', () => {
      // After a successful initialize OpenFeature announces readiness itself.
      if (this.initializeFailed) this.events.emit(ProviderEvents.Ready);
    });
    this.client.on('recovered', () => this.events.emit(ProviderEvents.Ready));
    this.client.on('stale', () =>
      this.events.emit(ProviderEvents.Stale, { message: 'no contact with the server' }),
    );
    this.client.on('change', (keys) =>
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: keys }),
    );
    this.client.on('error', (error) => {
      // Not PROVIDER_FATAL: OpenFeature would then stop asking us, while the client keeps serving the
      // flags it has (a key refused before any flags arrived fails initialize as fatal instead).
      if (error.code === 'UNAUTHORIZED') this.events.emit(ProviderEvents.Error, { message: error.message });
    });
  }

  /**
   * Waits for the client's first ruleset. Fails with ProviderFatalError when the SDK key is refused, else
   * with the client's error (READY_TIMEOUT: the client keeps trying, and the provider emits Ready when a
   * ruleset arrives).
   */
  async initialize(): Promise<void> {
    try {
      await this.client.ready();
    } catch (error) {
      this.initializeFailed = true;
      if ((error as SwitchboardError).code === 'UNAUTHORIZED')
        throw new ProviderFatalError((error as Error).message);
      throw error;
    }
  }

  /** Closes the client if the provider created it; a client passed in is left open. */
  async onClose(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  resolveBooleanEvaluation(key: string, defaultValue: boolean, context: EvaluationContext) {
    return Promise.resolve(this.resolve(key, defaultValue, context, 'boolean'));
  }

  resolveStringEvaluation(key: string, defaultValue: string, context: EvaluationContext) {
    return Promise.resolve(this.resolve(key, defaultValue, context, 'string'));
  }

  resolveNumberEvaluation(key: string, defaultValue: number, context: EvaluationContext) {
    return Promise.resolve(this.resolve(key, defaultValue, context, 'number'));
  }

  resolveObjectEvaluation<T extends JsonValue>(key: string, defaultValue: T, context: EvaluationContext) {
    return Promise.resolve(this.resolve(key, defaultValue, context, 'object'));
  }

  private resolve<T extends JsonValue>(
    key: string,
    defaultValue: T,
    context: EvaluationContext,
    type: ValueType | 'object',
  ): ResolutionDetails<T> {
    const result = this.client.evaluateTyped(
      key,
      toContext(context),
      defaultValue,
      type === 'object' ? 'json' : type,
    );
    if (
      type === 'object' &&
      result.errorCode === undefined &&
      (typeof result.value !== 'object' || result.value === null)
    ) {
      return {
        value: defaultValue,
        reason: StandardResolutionReasons.ERROR,
        errorCode: ErrorCode.TYPE_MISMATCH,
      };
    }
    return toResolution(result);
  }
}

function isClient(value: SwitchboardClient | ClientOptions): value is SwitchboardClient {
  return typeof (value as SwitchboardClient).evaluateTyped === 'function';
}

function toContext(context: EvaluationContext): Context {
  const { targetingKey } = context;
  if (targetingKey === undefined || context.userId !== undefined) return context;
  return { ...context, userId: targetingKey };
}

function toResolution<T>(result: EvaluationResult<T>): ResolutionDetails<T> {
  const details: ResolutionDetails<T> = { value: result.value, reason: REASONS[result.reason] };
  if (result.variant !== undefined) details.variant = result.variant;
  if (result.errorCode !== undefined) details.errorCode = ERROR_CODES[result.errorCode];
  if (result.ruleId !== undefined || result.killReason !== undefined) {
    const metadata: FlagMetadata = {};
    if (result.ruleId !== undefined) metadata.ruleId = result.ruleId;
    if (result.killReason !== undefined) metadata.killReason = result.killReason;
    details.flagMetadata = metadata;
  }
  return details;
}
