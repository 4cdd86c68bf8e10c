import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildRuleset,
  compileRuleset,
  EVALUATION_REASONS,
  validateFlag,
  validateSegment,
} from '@switchboard/core';
import { ENVIRONMENT, evaluationCase, SEGMENT_KEYS } from './arbitraries';

describe('evaluation never throws', () => {
  it('on arbitrary schema-valid flags and arbitrary contexts, and serves one of the flag’s variants', () => {
    fc.assert(
      fc.property(evaluationCase, ([docs, segments, contexts]) => {
        const flags = new Map(docs.map((doc) => [doc.key, doc]));
        const refs = { segments: new Set(SEGMENT_KEYS), flags };
        for (const doc of docs) expect(validateFlag(doc, refs)).toEqual([]);
        for (const segment of segments) expect(validateSegment(segment)).toEqual([]);

        const ruleset = compileRuleset(buildRuleset(ENVIRONMENT, 1, docs, segments));
        for (const ctx of contexts) {
          for (const doc of docs) {
            const result = ruleset.evaluate(doc.key, ctx);
            expect(EVALUATION_REASONS).toContain(result.reason);
            // Schema-valid flags never produce a GENERAL error; only a missing bucketBy errors.
            if (result.reason === 'ERROR') expect(result.errorCode).toBe('TARGETING_KEY_MISSING');
            expect(result.variant).toBeDefined();
            expect(result.value).toEqual(doc.variants[result.variant as string]);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
