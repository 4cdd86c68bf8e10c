/**
 * OpenFeature provider for `@openfeature/web-sdk` (a separate entry point, so it costs the core client
 * nothing):
 *
 *   import { OpenFeature } from '@openfeature/web-sdk';
 *   import { SwitchboardWebProvider } from '@switchboard/sdk-browser/openfeature';
 *   await OpenFeature.setContext({ targetingKey: 'user-1', country: 'DE' });
 *   await OpenFeature.setProviderAndWait(new SwitchboardWebProvider({ url, clientKey }));
 *
 * OpenFeature's `targetingKey` becomes Switchboard's `userId` unless the context carries its own `userId`.
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

/** OpenFeature's context as Switchboard's: `targetingKey` stands in for `userId`. */
export function toSwitchboardContext(context: EvaluationContext): Context {
  const { targetingKey, ...attributes } = context;
  if (targetingKey !== undefined && attributes.userId === undefined) attributes.userId = targetingKey;
  return attributes;
}

export class SwitchboardWebProvider implements Provider {
  readonly metadata = { name: 'switchboard' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new OpenFeatureEventEmitter();
  private client: SwitchboardClient | undefined;

  constructor(private readonly options: SwitchboardWebProviderOptions) {}

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

  async onContextChange(_oldContext: EvaluationContext, newContext: EvaluationContext): Promise<void> {
    await this.client?.identify(toSwitchboardContext(newContext));
  }

  async onClose(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }

  resolveBooleanEvaluation(key: string, defaultValue: boolean): ResolutionDetails<boolean> {
    return this.resolve(key, defaultValue, 'boolean');
  }

  resolveStringEvaluation(key: string, defaultValue: string): ResolutionDetails<string> {
    return this.resolve(key, defaultValue, 'string');
  }

  resolveNumberEvaluation(key: string, defaultValue: number): ResolutionDetails<number> {
    return this.resolve(key, defaultValue, 'number');
  }

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
