/**
 * Generators of hostile HTTP requests for the route fuzzer (fuzz-routes.test.ts): mutated valid
 * bodies, malformed JSON, odd headers, query strings and path segments.
 */
import fc from 'fast-check';
import { nestedJson } from '../../core/test/hostile-inputs';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Strings an attacker or a buggy client sends: huge, unicode, NUL, traversal, numbers in disguise. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '../../etc/passwd',
    '..',
    '.',
    '/',
    '\\',
    '%00',
    '\u0000',
    '\uFFFF',
    '\uD800',
    '😀'.repeat(50),
    'NaN',
    'Infinity',
    '-0',
    '1e308',
    '9007199254740993',
    'true',
    'null',
    '{}',
    '[]',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    'production',
    'existing',
  ),
  fc.integer({ min: 190, max: 5000 }).map((length) => 'k'.repeat(length)),
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 53, 0.5, 100001, 2 ** 31),
);

const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype'), weight: 1 },
  { arbitrary: hostileString, weight: 3 },
);

/** Any JSON value, with hostile keys, strings and numbers. */
export const hostileJson: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    hostileNumber,
    hostileString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
  ),
})).value;

type Mutation = (value: JsonValue) => JsonValue;

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One change somewhere inside a JSON value: at the root or at a randomly chosen nested position. */
function mutationArbitrary(): fc.Arbitrary<Mutation> {
  const atNode: fc.Arbitrary<(node: JsonValue) => JsonValue> = fc.oneof(
    // Replace with anything (a wrong type, most of the time).
    hostileJson.map((replacement) => () => replacement),
    // Drop a field, or duplicate one under a hostile name.
    fc.nat().map((index) => (node: JsonValue) => {
      if (!isObject(node)) return node;
      const keys = Object.keys(node);
      if (keys.length === 0) return node;
      const copy = { ...node };
      delete copy[keys[index % keys.length]!];
      return copy;
    }),
    fc.tuple(hostileKey, hostileJson).map(([key, value]) => (node: JsonValue) => {
      if (!isObject(node)) return node;
      // defineProperty: `__proto__` becomes an own key, as JSON.parse makes it.
      const copy = { ...node };
      Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
      return copy;
    }),
    // Arrays: empty, a duplicated element, very many elements.
    fc.constantFrom('empty', 'duplicate', 'many').map((how) => (node: JsonValue) => {
      if (!Array.isArray(node)) return node;
      if (how === 'empty') return [];
      if (how === 'duplicate') return node.length === 0 ? node : [...node, node[0]!];
      return Array.from({ length: 10_050 }, (_, index) => node[index % Math.max(node.length, 1)] ?? index);
    }),
    // Strings: huge, or the value as another type.
    fc.constantFrom('huge', 'number', 'array').map((how) => (node: JsonValue) => {
      if (typeof node !== 'string') return node;
      if (how === 'huge') return node + 'x'.repeat(100_000);
      if (how === 'number') return Number(node);
      return [node];
    }),
  );
  return fc.tuple(fc.array(fc.nat(), { maxLength: 6 }), atNode).map(([route, change]) => {
    const apply = (node: JsonValue, depth: number): JsonValue => {
      const children = isObject(node) ? Object.keys(node) : Array.isArray(node) ? node.map((_, i) => i) : [];
      if (depth === route.length || children.length === 0) return change(node);
      const child = children[route[depth]! % children.length]!;
      if (Array.isArray(node)) {
        const copy = [...node];
        copy[child as number] = apply(node[child as number]!, depth + 1);
        return copy;
      }
      const copy = { ...(node as { [key: string]: JsonValue }) };
      copy[child] = apply(copy[child]!, depth + 1);
      return copy;
    };
    return (value: JsonValue) => apply(value, 0);
  });
}

/** The valid example with 0–3 mutations (0 keeps some requests valid, so success paths run too). */
export function mutatedBody(example: JsonValue): fc.Arbitrary<JsonValue> {
  return fc
    .array(mutationArbitrary(), { maxLength: 3 })
    .map((mutations) => mutations.reduce((value, mutate) => mutate(value), example));
}

/** A request body as sent on the wire. */
export function rawBody(example: JsonValue | undefined): fc.Arbitrary<string | undefined> {
  const valid = example === undefined ? hostileJson : mutatedBody(example);
  return fc.oneof(
    { arbitrary: valid.map((value) => JSON.stringify(value)), weight: 12 },
    { arbitrary: hostileJson.map((value) => JSON.stringify(value)), weight: 2 },
    { arbitrary: fc.constant(undefined), weight: 1 },
    {
      arbitrary: fc.constantFrom(
        '',
        '{',
        '{"a":1,}',
        'null',
        '"string"',
        '1e999',
        'NaN',
        '{"__proto__":{"polluted":true}}',
        '{"constructor":{"prototype":{"polluted":true}}}',
        '{"a":1,"a":2}',
        '\uFEFF{}',
        '{"context":{"__proto__":{"polluted":true},"userId":"u"}}',
      ),
      weight: 2,
    },
    {
      arbitrary: fc
        .tuple(
          fc.constantFrom(1_000, 10_000, 200_000),
          fc.constantFrom<'array' | 'object'>('array', 'object'),
        )
        .map(([depth, kind]) => nestedJson(depth, kind)),
      weight: 1,
    },
    // Just over the 1 MiB body limit.
    { arbitrary: fc.constant(JSON.stringify({ description: 'x'.repeat(1_100_000) })), weight: 1 },
  );
}

const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 10 },
  {
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/json;;',
      'application/merge-patch+json',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'garbage',
      '',
    ),
    weight: 3,
  },
);

/** Header values node:http accepts: printable latin-1. */
const headerText = fc.oneof(
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
    maxLength: 40,
  }),
  fc.constantFrom('*', '"abc"', 'W/"abc"', '"', 'W/', '-1', '99999999999999999999', '1e308', 'NaN', '0'),
  // Long, but all of them together stay under Node's 16 KiB header limit.
  fc.integer({ min: 500, max: 1_500 }).map((length) => 'y'.repeat(length)),
);

export interface Credentials {
  /** Token secrets by role; the fuzzer mostly uses `admin`. */
  [role: string]: string;
}

/** Mostly the `primary` role's token (admin for the admin API, SDK keys for SDK routes). */
export function authorization(credentials: Credentials, primary: string): fc.Arbitrary<string | undefined> {
  const roles = Object.keys(credentials);
  return fc.oneof(
    { arbitrary: fc.constant(`Bearer ${credentials[primary]}`), weight: 10 },
    { arbitrary: fc.constantFrom(...roles).map((role) => `Bearer ${credentials[role]}`), weight: 4 },
    {
      arbitrary: fc.oneof(
        fc.constant(undefined),
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          'Basic YWRtaW46YWRtaW4=',
          'bearer',
          `bearer ${credentials.admin}`,
        ),
        fc.constant(`Bearer  ${credentials.admin}`),
        fc.constant(`Bearer ${credentials.admin}x`),
        headerText.map((text) => `Bearer ${text}`),
        headerText,
      ),
      weight: 3,
    },
  );
}

export function headers(
  credentials: Credentials,
  primary: string,
  withBody: boolean,
): fc.Arbitrary<Record<string, string>> {
  return fc
    .record(
      {
        authorization: authorization(credentials, primary),
        'content-type': withBody ? contentType : fc.option(contentType),
        'if-match': headerText,
        'if-none-match': headerText,
        'last-event-id': headerText,
        'x-request-id': headerText,
        origin: fc.constantFrom('http://127.0.0.1:1', 'null', 'https://evil.example'),
        'access-control-request-method': fc.constantFrom('POST', 'GET', 'DELETE', 'X'),
        accept: fc.constantFrom('application/json', 'text/event-stream', '*/*', 'text/html'),
      },
      { requiredKeys: ['authorization'] },
    )
    .map((record) => {
      const defined = Object.entries(record).filter((entry): entry is [string, string] => {
        return typeof entry[1] === 'string';
      });
      return Object.fromEntries(defined);
    });
}

/** Percent-encodes; a lone surrogate becomes the (malformed) UTF-8 escape of its code unit. */
export function encodeComponent(text: string): string {
  return text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[^]/g, (unit) => {
    try {
      return encodeURIComponent(unit);
    } catch {
      return '%ED%A0%80';
    }
  });
}

/** A path parameter: a real key most of the time, else traversal, NUL, huge or malformed escapes. */
export function pathParameter(real: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...real).map(encodeComponent), weight: 6 },
    { arbitrary: hostileString.map(encodeComponent), weight: 3 },
    {
      arbitrary: fc.constantFrom(
        '..',
        '.',
        '%2e%2e',
        '..%2F..%2F',
        '%00',
        'a%00b',
        '%',
        '%zz',
        '%E0%A4%A',
        '%C0%AE',
      ),
      weight: 2,
    },
    { arbitrary: fc.constant('p'.repeat(3_000)), weight: 1 },
  );
}

const QUERY_NAMES = [
  'limit',
  'cursor',
  'tag',
  'search',
  'flag',
  'actor',
  'action',
  'since',
  'until',
  'environment',
  'env',
  'context',
  '__proto__',
  'constructor',
];

export const queryString: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_NAMES), hostileString),
      fc.oneof(
        hostileString,
        fc.constantFrom('-1', '0', '1', '1e308', '501', 'NaN', '2020-01-01T00:00:00Z', 'not-a-date', 'abc=='),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => {
    if (pairs.length === 0) return '';
    const text = pairs.map(([name, value]) => `${encodeComponent(name)}=${encodeComponent(value)}`);
    return `?${text.join('&')}`;
  });
