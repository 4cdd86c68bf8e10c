import type { FlagDocument, SegmentDocument } from '@switchboard/core';
import { describe, expect, it } from 'vitest';
import { FlagsFileError, parseFlagsFile, renderFlagsFile } from '../src/flags-file';
import { validateFlagsFile } from '../src/validate-file';

const checkout: FlagDocument = {
  version: 3,
  variants: { on: true, off: false },
  key: 'checkout-v2',
  tags: ['payments'],
  environments: {
    production: {
      killed: { at: '2025-06-01T03:00:00.000Z', by: 'oncall', reason: 'INC-1' },
      fallthrough: {
        rollout: {
          weights: [
            { variant: 'on', weight: 25_000 },
            { variant: 'off', weight: 75_000 },
          ],
        },
      },
      offVariant: 'off',
      enabled: true,
    },
    development: { enabled: true, offVariant: 'off', fallthrough: { variant: 'on' }, killed: null },
  },
};
const betaTesters: SegmentDocument = { key: 'beta-testers', included: ['alice'], version: 2 };

/** The same JSON value with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, item]) => [key, reverseKeys(item)]),
  );
}

function failure(text: string): FlagsFileError {
  try {
    parseFlagsFile('flags.yaml', text);
  } catch (error) {
    if (error instanceof FlagsFileError) return error;
    throw error;
  }
  throw new Error('expected the file to be rejected');
}

describe('renderFlagsFile', () => {
  it('sorts keys at every level, keeps list order and leaves out kill state', () => {
    const text = renderFlagsFile([checkout], [betaTesters]);
    const body = text.replace(/^(#.*)?\n/gm, '');
    expect(body).toBe(
      [
        'flags:',
        '  checkout-v2:',
        '    environments:',
        '      development:',
        '        enabled: true',
        '        fallthrough:',
        '          variant: on',
        '        offVariant: off',
        '      production:',
        '        enabled: true',
        '        fallthrough:',
        '          rollout:',
        '            weights:',
        '              - variant: on',
        '                weight: 25000',
        '              - variant: off',
        '                weight: 75000',
        '        offVariant: off',
        '    tags:',
        '      - payments',
        '    variants:',
        '      off: false',
        '      on: true',
        '    version: 3',
        'segments:',
        '  beta-testers:',
        '    included:',
        '      - alice',
        '    version: 2',
        '',
      ].join('\n'),
    );
    expect(text).not.toContain('INC-1');
  });

  it('is byte-identical for the same configuration whatever order it arrives in', () => {
    const reordered = reverseKeys(checkout) as FlagDocument;
    expect(Object.keys(reordered)).toEqual(Object.keys(checkout).reverse());
    const other: FlagDocument = { ...checkout, key: 'another' };
    expect(renderFlagsFile([other, reordered], [betaTesters])).toBe(
      renderFlagsFile([checkout, other], [betaTesters]),
    );
  });

  it('keeps only the chosen environment and says so in the file', () => {
    const parsed = parseFlagsFile('f.yaml', renderFlagsFile([checkout], [], 'development'));
    expect(parsed.value.environment).toBe('development');
    expect(Object.keys(parsed.value.flags[0]?.environments ?? {})).toEqual(['development']);
  });

  it('parses back to the same documents, minus kill state', () => {
    const parsed = parseFlagsFile('f.yaml', renderFlagsFile([checkout], [betaTesters]));
    const { killed: _p, ...production } = checkout.environments.production!;
    const { killed: _d, ...development } = checkout.environments.development!;
    expect(parsed.value.flags).toEqual([{ ...checkout, environments: { production, development } }]);
    expect(parsed.value.segments).toEqual([betaTesters]);
  });
});

describe('parseFlagsFile errors name the line and the field', () => {
  it('a field of the wrong type', () => {
    const error = failure('flags:\n  checkout-v2:\n    variants: { on: true }\n    version: three\n');
    expect(error.message).toBe(
      'flags.yaml:4:5: flags.checkout-v2.version: expected a positive integer (the exported version)',
    );
  });

  it('broken YAML syntax, with the field it happened in', () => {
    const error = failure('flags:\n  checkout-v2:\n    tags: [payments,\n  other: {}\n');
    expect(error.line).toBe(4);
    expect(error.field).toBe('flags.checkout-v2.tags');
    expect(error.message).toMatch(/^flags\.yaml:4:\d+: flags\.checkout-v2\.tags: invalid YAML: /);
  });

  it('a key given twice', () => {
    const error = failure('flags:\n  a:\n    variants: {}\n  a:\n    variants: {}\n');
    expect(error.line).toBe(4);
    expect(error.message).toContain('Map keys must be unique');
  });

  it('an unknown top-level field', () => {
    expect(failure('flags: {}\nflgs: {}\n').message).toBe(
      'flags.yaml:2:1: flgs: unknown field (expected one of environment, flags, segments)',
    );
  });

  it('an item that is not a mapping, and a key field that disagrees with its mapping key', () => {
    expect(failure('segments:\n  beta: [alice]\n').message).toBe(
      'flags.yaml:2:3: segments.beta: expected a mapping (the document)',
    );
    expect(failure('flags:\n  a:\n    key: b\n').message).toBe(
      'flags.yaml:3:5: flags.a.key: does not match the mapping key "a"',
    );
  });

  it('an environment other than the one an environment-scoped file manages', () => {
    const text = 'environment: production\nflags:\n  a:\n    environments:\n      staging: {}\n';
    expect(failure(text).message).toBe(
      'flags.yaml:5:7: flags.a.environments.staging: this file manages only environment "production"',
    );
  });

  it('an empty file', () => {
    expect(failure('# nothing\n').message).toContain('the file is empty');
  });
});

describe('errorAt', () => {
  it('points at the deepest part of a path that exists, naming the whole path', () => {
    const parsed = parseFlagsFile('f.yaml', renderFlagsFile([checkout], []));
    const error = parsed.errorAt(
      [
        'flags',
        'checkout-v2',
        'environments',
        'production',
        'fallthrough',
        'rollout',
        'weights',
        1,
        'variant',
      ],
      'unknown variant',
    );
    const lines = renderFlagsFile([checkout], []).split('\n');
    expect(lines[error.line - 1]).toContain('- variant: off');
    expect(error.field).toBe(
      'flags.checkout-v2.environments.production.fallthrough.rollout.weights[1].variant',
    );
    const missing = parsed.errorAt(['flags', 'checkout-v2', 'prerequisites'], 'required');
    expect(lines[missing.line - 1]).toContain('checkout-v2:');
  });
});

describe('validateFlagsFile', () => {
  const valid = [
    'flags:',
    '  checkout-v2:',
    '    environments:',
    '      production:',
    '        enabled: true',
    '        fallthrough:',
    '          variant: on',
    '        offVariant: off',
    '        rules:',
    '          - id: beta',
    '            clauses:',
    '              - segment: beta-testers',
    '            serve:',
    '              variant: on',
    '    variants:',
    '      off: false',
    '      on: true',
    'segments:',
    '  beta-testers:',
    '    included: [alice]',
    '',
  ].join('\n');

  const problemOf = (text: string) => {
    try {
      validateFlagsFile(parseFlagsFile('flags.yaml', text));
    } catch (error) {
      if (error instanceof FlagsFileError) return error.message;
      throw error;
    }
    return null;
  };

  it('accepts a valid file whose flags use its own segments', () => {
    expect(problemOf(valid)).toBeNull();
  });

  it('names the line and field of a semantic problem (a variant that does not exist)', () => {
    expect(
      problemOf(valid.replace('variant: on\n        offVariant', 'variant: maybe\n        offVariant')),
    ).toBe(
      'flags.yaml:7:11: flags.checkout-v2.environments.production.fallthrough.variant: unknown variant "maybe"',
    );
  });

  it('names a segment the file does not define', () => {
    expect(problemOf(valid.replace('segments:\n  beta-testers:\n    included: [alice]\n', ''))).toBe(
      'flags.yaml:12:17: flags.checkout-v2.environments.production.rules[0].clauses[0].segment: unknown segment "beta-testers"',
    );
  });

  it('names a field of the wrong type and counts further problems', () => {
    const message = problemOf(
      valid.replace('enabled: true', 'enabled: yes please').replace('offVariant: off', 'offVariant: 7'),
    );
    expect(message).toMatch(
      /^flags\.yaml:5:9: flags\.checkout-v2\.environments\.production\.enabled: .*boolean.* \(and 1 more problem\)$/,
    );
  });
});
