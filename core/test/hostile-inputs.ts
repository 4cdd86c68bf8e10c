/**
 * Hostile flags and contexts, shared by core's hostile-evaluation test and the integration tests that
 * send the same through the server (test/hostile-evaluation.test.ts): catastrophic regexes, 10,000-value
 * lists, prototype-pollution names, megabyte strings, 10,000-level objects and ids of every type.
 */
import type { FlagDocument, SegmentDocument } from '@switchboard/core';
import { LIMITS } from '@switchboard/core';

export const MEGABYTE = 1024 * 1024;
export const DEEP_LEVELS = 10_000;

/** Patterns that take exponential time in a backtracking engine on a long non-matching input. */
export const CATASTROPHIC_PATTERNS = ['(a+)+$', '^(a|aa)+$', '(a|a)*b', '^(a+)*x$', '(.*a){20}'];

/** `{ a: { a: … } }` `levels` deep, built without recursion. */
export function deepObject(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 1; level < levels; level++) value = { a: value };
  return value;
}

/** `[[[…]]]` `levels` deep. */
export function deepArray(levels: number): unknown[] {
  let value: unknown[] = [];
  for (let level = 1; level < levels; level++) value = [value];
  return value;
}

/**
 * The JSON text of `deepObject(levels)` or `deepArray(levels)`: JSON.stringify recurses and overflows
 * the stack long before 10,000 levels, a parser must not.
 */
export function nestedJson(levels: number, kind: 'object' | 'array'): string {
  return kind === 'array'
    ? '['.repeat(levels - 1) + '[]' + ']'.repeat(levels - 1)
    : '{"a":'.repeat(levels - 1) + '{"leaf":true}' + '}'.repeat(levels - 1);
}

/** The name of the context of 10,000-level values (encoded with nestedJson over HTTP). */
export const DEEP_CONTEXT = '10,000-level object values';

/** The 10,000 values (the most a clause may hold) of the big `in` list; "member-9999" is the last one. */
export const MANY_VALUES = Array.from({ length: LIMITS.values }, (_, index) => `member-${index}`);

/** Prototype-pollution names where the schema allows a free name: attributes, variants, segment lists. */
export const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype'];

/** A segment of 10,000 ids and a rule on a prototype-named attribute. */
export function hostileSegment(): Omit<SegmentDocument, 'version'> {
  return {
    key: 'hostile-segment',
    included: MANY_VALUES,
    excluded: PROTOTYPE_NAMES,
    rules: [{ clauses: [{ attribute: 'constructor', op: 'eq', values: ['segment-member'] }] }],
  };
}

/**
 * A valid flag that runs every hostile clause before falling through to a 50/50 rollout. Its variants
 * include `constructor` and `prototype` (own keys; `__proto__` as a variant is made with JSON.parse).
 */
export function hostileFlag(key = 'hostile'): Omit<FlagDocument, 'version'> {
  const rule = (id: string, clauses: unknown[]) => ({ id, clauses, serve: { variant: 'on' } });
  const environment = {
    enabled: true,
    offVariant: 'off',
    targets: [{ attribute: '__proto__', values: ['target-me'], variant: 'constructor' }],
    rules: [
      ...CATASTROPHIC_PATTERNS.map((pattern, index) =>
        rule(`regex-${index}`, [
          { attribute: 'email', op: 'matches', values: [pattern], caseInsensitive: index % 2 === 0 },
        ]),
      ),
      rule('many-values', [{ attribute: 'userId', op: 'in', values: MANY_VALUES }]),
      rule('many-values-folded', [
        { attribute: 'country', op: 'in', values: MANY_VALUES, caseInsensitive: true },
      ]),
      ...PROTOTYPE_NAMES.map((name) =>
        rule(`attribute-${name}`, [{ attribute: name, op: 'eq', values: ['x'] }]),
      ),
      rule('exists-proto', [{ attribute: '__proto__', op: 'exists', values: [] }]),
      rule('substring', [
        { attribute: 'email', op: 'contains', values: ['@zz.example'], caseInsensitive: true },
      ]),
      rule('number', [{ attribute: 'age', op: 'gte', values: [18], coerce: true }]),
      rule('semver', [{ attribute: 'appVersion', op: 'semverGte', values: ['2.0.0'], coerce: true }]),
      rule('date', [{ attribute: 'signedUp', op: 'before', values: ['2020-01-01T00:00:00Z'] }]),
      rule('segment', [{ segment: 'hostile-segment' }]),
    ],
    fallthrough: {
      rollout: {
        bucketBy: 'userId',
        weights: [
          { variant: 'on', weight: 50_000 },
          { variant: 'off', weight: 50_000 },
        ],
      },
    },
  };
  return {
    key,
    description: 'every hostile clause',
    tags: [],
    variants: { on: true, off: false, constructor: 'constructor-variant', prototype: 'prototype-variant' },
    environments: { production: environment as never },
  };
}

/** The context whose own `__proto__` attribute is the flag's target: served the `constructor` variant. */
export const PROTO_TARGET = 'own __proto__ attribute as a target';

/** Contexts that try to be slow, deep, huge, or to pollute prototypes; the name says which. */
export function hostileContexts(): Array<[name: string, context: Record<string, unknown>]> {
  const huge = 'a'.repeat(MEGABYTE);
  const pollution = JSON.parse(
    '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},' +
      '"prototype":{"polluted":"yes"},"userId":"u-1"}',
  ) as Record<string, unknown>;
  return [
    [
      '1 MB attribute values',
      { userId: huge, email: `${huge}!`, country: huge.toUpperCase(), appVersion: huge },
    ],
    ['1 MB attribute name', { [huge]: 'x', userId: 'u-1' }],
    ['catastrophic regex inputs', { userId: 'u-1', email: `${'a'.repeat(50_000)}!` }],
    [
      DEEP_CONTEXT,
      { userId: deepObject(DEEP_LEVELS), email: deepObject(DEEP_LEVELS), age: deepArray(DEEP_LEVELS) },
    ],
    ['prototype-pollution keys', pollution],
    [
      PROTO_TARGET,
      JSON.parse('{"__proto__":"target-me","constructor":"x","prototype":"x"}') as Record<string, unknown>,
    ],
    ['numeric id', { userId: 42 }],
    ['object id', { userId: { id: 'u-1' } }],
    ['array id', { userId: ['u-1'] }],
    ['null id', { userId: null }],
    ['boolean id', { userId: true }],
    ['NaN and infinite ids', { userId: Number.NaN, age: Number.POSITIVE_INFINITY }],
    ['1e308 and -0', { userId: 1e308, age: -0 }],
    ['last of 10,000 values', { userId: 'member-9999', country: 'MEMBER-9999' }],
    ['no attributes', {}],
  ];
}

/** Contexts only possible in-process (not over JSON). */
export function inProcessContexts(): Array<[name: string, context: unknown]> {
  const throwing = new Proxy(
    {},
    {
      get() {
        throw new Error('a getter that throws');
      },
      has() {
        throw new Error('a trap that throws');
      },
      ownKeys() {
        throw new Error('a trap that throws');
      },
      getOwnPropertyDescriptor() {
        throw new Error('a trap that throws');
      },
    },
  );
  return [
    ['symbol id', { userId: Symbol('u-1') }],
    ['bigint id', { userId: 10n ** 30n }],
    ['function id', { userId: () => 'u-1' }],
    ['Date id', { userId: new Date(0), signedUp: new Date(0) }],
    ['undefined id', { userId: undefined }],
    ['null-prototype context', Object.assign(Object.create(null) as object, { userId: 'u-1' })],
    ['context that is null', null],
    ['context that is a string', 'u-1'],
    ['context that is an array', ['u-1']],
    ['context whose traps throw', throwing],
  ];
}
