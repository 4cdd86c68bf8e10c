/**
 * Loader for the shared evaluation test vectors (test/vectors/*.json). The node SDK, the browser SDK, the
 * server and core all run every case; see README.md in this folder for the format.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type {
  Context,
  EnvironmentRuleset,
  ErrorCode,
  EvaluationReason,
  VariantValue,
} from '@switchboard/core';

/** The evaluation result a case expects: every field of the result (absent fields must be absent). */
export interface VectorExpectation {
  value: VariantValue;
  variant?: string;
  reason: EvaluationReason;
  ruleId?: string;
  errorCode?: ErrorCode;
  killReason?: string;
}

export interface VectorCase {
  name: string;
  /** Key of the flag to evaluate (it may be absent from the ruleset). */
  flag: string;
  context: Context;
  expect: VectorExpectation;
}

export interface VectorFile {
  /** File name, e.g. "operators.json". */
  file: string;
  description: string;
  ruleset: EnvironmentRuleset;
  cases: VectorCase[];
}

const directory = fileURLToPath(new URL('.', import.meta.url));

/** Every vector file in this folder, in file-name order. */
export function loadVectors(): VectorFile[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = JSON.parse(readFileSync(directory + file, 'utf8')) as Omit<VectorFile, 'file'>;
      return { file, ...parsed };
    });
}
