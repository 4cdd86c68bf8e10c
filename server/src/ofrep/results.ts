/**
 * Switchboard evaluation results as OFREP evaluation responses (evaluationSuccess / evaluationFailure of
 * open-feature/protocol's service/openapi.yaml).
 */
import type { ErrorCode, EvaluationReason, EvaluationResult } from '@switchboard/core';

export type OfrepErrorCode =
  'FLAG_NOT_FOUND' | 'PARSE_ERROR' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'GENERAL';

export interface OfrepSuccess {
  key: string;
  value: unknown;
  reason: string;
  variant?: string;
}

export interface OfrepFailure {
  key: string;
  errorCode: OfrepErrorCode;
  errorDetails: string;
}

/** OpenFeature reasons; KILLED and PREREQUISITE_FAILED have no standard equivalent and stay as they are. */
const REASONS: Record<EvaluationReason, string> = {
  TARGET_MATCH: 'TARGETING_MATCH',
  RULE_MATCH: 'TARGETING_MATCH',
  SPLIT: 'SPLIT',
  FALLTHROUGH: 'DEFAULT',
  DEFAULT: 'DEFAULT',
  DISABLED: 'DISABLED',
  KILLED: 'KILLED',
  PREREQUISITE_FAILED: 'PREREQUISITE_FAILED',
  ERROR: 'ERROR',
};

function failureOf(key: string, code: ErrorCode, environment: string): OfrepFailure {
  switch (code) {
    case 'FLAG_NOT_FOUND':
      return {
        key,
        errorCode: 'FLAG_NOT_FOUND',
        errorDetails: `flag ${JSON.stringify(key)} does not exist in environment ${JSON.stringify(environment)}`,
      };
    case 'TARGETING_KEY_MISSING':
      return {
        key,
        errorCode: 'TARGETING_KEY_MISSING',
        errorDetails:
          'the flag rolls out by percentage and the context lacks the attribute it buckets by ' +
          '(targetingKey, which is userId, unless the rollout names another)',
      };
    case 'PARSE_ERROR':
      return { key, errorCode: 'PARSE_ERROR', errorDetails: 'the flag configuration could not be parsed' };
    default:
      return { key, errorCode: 'GENERAL', errorDetails: 'the flag configuration cannot be evaluated' };
  }
}

export function ofrepResult(
  key: string,
  result: EvaluationResult,
  environment: string,
): OfrepSuccess | OfrepFailure {
  if (result.errorCode !== undefined) return failureOf(key, result.errorCode, environment);
  const success: OfrepSuccess = { key, value: result.value, reason: REASONS[result.reason] };
  if (result.variant !== undefined) success.variant = result.variant;
  return success;
}
