/**
 * What a browser receives for a flag: `{ value, variant, reason, errorCode? }`. Never a rule id, a kill
 * reason or anything else about why, beyond the reason's name.
 *
 * Core returns one frozen result object per distinct outcome of a compiled flag, so each object's JSON is
 * built once and answers become string concatenation.
 */
import type { CompiledRuleset, Context, EvaluationResult } from '@switchboard/core';

const jsonOfResult = new WeakMap<EvaluationResult, string>();

export function clientResultJson(result: EvaluationResult): string {
  let json = jsonOfResult.get(result);
  if (json === undefined) {
    json = JSON.stringify({
      value: result.value,
      variant: result.variant,
      reason: result.reason,
      errorCode: result.errorCode,
    });
    if (Object.isFrozen(result)) jsonOfResult.set(result, json);
  }
  return json;
}

/** `{"flags":{…},"version":n}` from per-key result JSON; null stands for a deleted flag. */
export function flagSetJson(results: Iterable<[string, string | null]>, version: number): string {
  let flags = '';
  for (const [key, json] of results)
    flags += (flags === '' ? '' : ',') + JSON.stringify(key) + ':' + (json ?? 'null');
  return `{"flags":{${flags}},"version":${version}}`;
}

/** Every flag's result JSON for `context`. */
export function evaluateAllJson(ruleset: CompiledRuleset, context: Context): Map<string, string> {
  const json = new Map<string, string>();
  ruleset.evaluateEach(context, (key, result) => json.set(key, clientResultJson(result)));
  return json;
}
