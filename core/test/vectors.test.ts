import { describe, expect, it } from 'vitest';
import { compileRuleset } from '@switchboard/core';
import { loadVectors } from '../../test/vectors/vectors';

const files = loadVectors();

describe('shared test vectors', () => {
  it('has at least 60 cases', () => {
    expect(files.reduce((count, file) => count + file.cases.length, 0)).toBeGreaterThanOrEqual(60);
  });

  for (const file of files) {
    describe(file.file, () => {
      const ruleset = compileRuleset(file.ruleset);
      it.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, vector) => {
        // Exact fields: a result must not carry extra ones (e.g. a ruleId on a fallthrough).
        expect({ ...ruleset.evaluate(vector.flag, vector.context) }).toStrictEqual(vector.expect);
      });
    });
  }
});
