/**
 * fast-check generators of Unleash payloads (features with strategies, constraints on every operator,
 * segments, variants with overrides and stickiness, dependencies) and of Unleash contexts, for the
 * differential test against the real `unleash-client`.
 *
 * The generated domain is everything the importer carries over exactly. Left out, and covered elsewhere:
 * strategies that are random on every call and custom strategies (the importer refuses them: see
 * unleash-importer.test.ts), and the documented known differences — contexts whose `properties` repeat the
 * top-level ids, IN_CIDR contexts carrying a prefix length, versions written " v1.2.3".
 */
import { hostname } from 'node:os';
import fc from 'fast-check';

/** The host name Unleash's applicationHostname strategy compares (as the SDK computes it). */
export const HOST = (process.env.HOSTNAME || hostname() || 'undefined').toLowerCase();

const IDS = ['', 'u1', 'u2', 'u3', 'alice', 'bob', '123', '42', 'ü', '😀'];
const IPS = [
  '10.0.0.1',
  '10.1.2.3',
  '192.168.0.1',
  '192.168.1.42',
  '127.0.0.1',
  '2001:db8::1',
  '::ffff:10.0.0.1',
  'fe80::1%eth0',
  'not-an-ip',
  '',
];
const PROPERTY_FIELDS = ['country', 'plan', 'age', 'version', 'email', 'tenant', 'customField'];
const STRINGS = [
  '',
  'no',
  'se',
  'NO',
  'pro',
  'Pro',
  ' pro ',
  '12',
  '12.0',
  '7',
  '0x10',
  '1e3',
  '-3',
  'abc',
  '1.2.3',
  '2.0.0-alpha.1',
  ' 2.0.0 ',
  'v2.0.0',
  '2.0.0',
  'a@example.com',
  'A@EXAMPLE.COM',
  'x\nfoo\ny',
  'cat',
  'Cat',
  'a cat b',
];
const TIMES = [
  '2022-01-28T13:00:00.000Z',
  '2022-01-29T13:00:00.000Z',
  '2031-01-01',
  'garbage',
  1643461200000,
];

/** Fields constraints and overrides read: the standard ones, properties, and the static ones. */
const FIELDS = ['userId', 'sessionId', 'remoteAddress', 'environment', 'appName', ...PROPERTY_FIELDS];

const field = fc.constantFrom(...FIELDS);
const someStrings = (pool: readonly string[], max = 3) =>
  fc.array(fc.constantFrom(...pool), { maxLength: max });

const OPERATORS = [
  'IN',
  'NOT_IN',
  'STR_STARTS_WITH',
  'STR_ENDS_WITH',
  'STR_CONTAINS',
  'NUM_EQ',
  'NUM_GT',
  'NUM_GTE',
  'NUM_LT',
  'NUM_LTE',
  'DATE_AFTER',
  'DATE_BEFORE',
  'SEMVER_EQ',
  'SEMVER_GT',
  'SEMVER_GTE',
  'SEMVER_LT',
  'SEMVER_LTE',
  'REGEX',
  'IN_CIDR',
  'NOT_A_REAL_OPERATOR',
] as const;

const REGEXES = [
  '^cat$',
  '(?i)^cat$',
  'a.b',
  '\\d+',
  '(?m)^foo$',
  '^[[:alpha:]]+$',
  '(regex',
  '^(?=a)',
  '\\bcat\\b',
  '@example\\.com$',
  '',
  '.*',
  '^\\s',
];
const CIDRS = [
  '10.0.0.0/8',
  '192.168.1.0/24',
  '2001:db8::/32',
  '127.0.0.1',
  '127.invalid',
  '::/0',
  ' 10.0.0.0/8 ',
];

type Json = Record<string, unknown>;

function constraintValue(operator: (typeof OPERATORS)[number]): fc.Arbitrary<Json> {
  if (operator.startsWith('NUM_'))
    return fc.record({
      value: fc.constantFrom<unknown>('12', '12.0', 7, '0x10', '', 'abc', '1e3', '-3', null, undefined),
    });
  if (operator.startsWith('DATE_'))
    return fc.record({
      value: fc.constantFrom<unknown>(
        '2022-01-29T13:00:00.000Z',
        '2030-01-01T00:00:00Z',
        '2020-05-05',
        'garbage',
        1643461200000,
      ),
    });
  if (operator.startsWith('SEMVER_'))
    return fc.record({
      value: fc.constantFrom<unknown>('1.2.3', 'v2.0.0', '2.0.0-alpha.1', '2.0.0-rc', ' 1.2.3 ', 'bad', 42),
    });
  if (operator === 'REGEX')
    return fc.record({ value: fc.constantFrom(...REGEXES), caseInsensitive: fc.boolean() });
  if (operator === 'IN_CIDR') return fc.record({ values: someStrings(CIDRS) });
  if (operator.startsWith('STR_'))
    return fc.record({
      values: someStrings(['pro', 'PRO', 'e', '@example.com', '', ' pro ', 'ca']),
      caseInsensitive: fc.boolean(),
    });
  return fc.record({ values: someStrings([...STRINGS, ...IDS, ...IPS]) });
}

export const constraint: fc.Arbitrary<Json> = fc
  .record({ contextName: field, operator: fc.constantFrom(...OPERATORS), inverted: fc.boolean() })
  .chain((base) => constraintValue(base.operator).map((value) => ({ ...base, ...value })));

const constraints = fc.array(constraint, { maxLength: 3 });

const variant: fc.Arbitrary<Json> = fc.record(
  {
    name: fc.constantFrom('a', 'b', 'c', 'on', 'off', 'disabled'),
    weight: fc.constantFrom(0, 1, 33, 50, 100, 1000),
    payload: fc.constantFrom(
      { type: 'string', value: 'x' },
      { type: 'json', value: '{"a":1}' },
      { type: 'number', value: '1.5' },
    ),
    stickiness: fc.constantFrom('default', 'userId', 'sessionId', 'customField', 'remoteAddress'),
    overrides: fc.array(fc.record({ contextName: field, values: someStrings([...IDS, ...STRINGS], 2) }), {
      maxLength: 2,
    }),
  },
  { requiredKeys: ['name', 'weight'] },
);
const variants = fc.array(variant, { maxLength: 3 });

const percentage = fc.constantFrom<unknown>(
  '0',
  '1',
  '10',
  '33',
  '50',
  '55',
  '99',
  '100',
  '150',
  'abc',
  33.7,
  '0.5',
  '',
);
const groupId = fc.constantFrom<unknown>('g', 'AB12A', '', undefined, 'Feature.x');

/** A strategy's name and parameters (only strategies whose answer does not depend on chance). */
const strategyCore: fc.Arbitrary<Json> = fc.oneof(
  fc.constant({ name: 'default', parameters: {} }),
  fc.record({
    name: fc.constant('userWithId'),
    parameters: fc.record({
      userIds: fc.constantFrom('u1', 'u1, u2', 'alice,bob , 123', '', ' u1', 'u1,,u2'),
    }),
  }),
  fc.record({
    name: fc.constantFrom('gradualRolloutUserId', 'gradualRolloutSessionId'),
    parameters: fc.record({ percentage, groupId }, { requiredKeys: ['percentage'] }),
  }),
  fc.record({
    name: fc.constant('gradualRolloutRandom'),
    parameters: fc.record({ percentage: fc.constantFrom('0', '100', '150', 'x') }),
  }),
  fc
    .record({
      rollout: percentage,
      groupId,
      stickiness: fc.constantFrom<unknown>(
        'default',
        'userId',
        'sessionId',
        'customField',
        'random',
        undefined,
        '',
      ),
    })
    .map((parameters) => ({
      name: 'flexibleRollout',
      // Random stickiness is random on every call unless the rollout is 0% or 100%.
      parameters: parameters.stickiness === 'random' ? { ...parameters, rollout: '100' } : parameters,
    })),
  fc.record({
    name: fc.constant('remoteAddress'),
    parameters: fc.record({
      IPs: fc.constantFrom(
        '10.0.0.1',
        '10.0.0.0/8, 192.168.0.1',
        '2001:db8::1',
        '192.invalid, 127.0.0.1',
        '',
        '10.0.0.0/8,2001:db8::/32',
      ),
    }),
  }),
  fc.record({
    name: fc.constant('applicationHostname'),
    parameters: fc.record({ hostNames: fc.constantFrom(HOST, `${HOST.toUpperCase()}, other`, 'other', '') }),
  }),
);

const strategy: fc.Arbitrary<Json> = fc
  .record({
    core: strategyCore,
    constraints,
    segments: fc.array(fc.constantFrom(1, 2, 3, 99), { maxLength: 2 }),
    variants,
  })
  .map(({ core, ...rest }) => ({ ...core, ...rest }));

export const segments: fc.Arbitrary<Json[]> = fc
  .tuple(constraints, constraints, constraints)
  .map((lists) => lists.map((list, i) => ({ id: i + 1, name: `segment-${i + 1}`, constraints: list })));

const featureBody = fc.record({
  enabled: fc.integer({ min: 0, max: 99 }).map((n) => n < 85),
  strategies: fc.option(fc.array(strategy, { maxLength: 3 }), { nil: undefined, freq: 12 }),
  variants,
  dependencies: fc.option(
    fc.array(
      fc.record(
        {
          parent: fc.nat(),
          enabled: fc.boolean(),
          variants: fc.array(fc.constantFrom('a', 'b', 'disabled', 'zzz'), { maxLength: 2 }),
        },
        { requiredKeys: ['parent'] },
      ),
      { minLength: 1, maxLength: 2 },
    ),
    { nil: undefined, freq: 3 },
  ),
});

/** 1–4 features f0, f1, …; a dependency names an earlier feature (or one that does not exist). */
export const features: fc.Arbitrary<Json[]> = fc
  .array(featureBody, { minLength: 1, maxLength: 4 })
  .map((bodies) =>
    bodies.map(({ dependencies, ...body }, i) => ({
      name: `f${i}`,
      ...body,
      ...(dependencies === undefined
        ? {}
        : {
            dependencies: dependencies.map(({ parent, ...rest }) => ({
              feature: i === 0 || parent % 5 === 4 ? 'ghost' : `f${parent % i}`,
              ...rest,
            })),
          }),
    })),
  );

const propertyValue = fc.constantFrom<unknown>(...STRINGS, 12, 7.5, -3, 0, null, undefined);

/** Unleash contexts, typed as Unleash types them: the standard ids are strings. */
export const context: fc.Arbitrary<Json> = fc.record(
  {
    userId: fc.constantFrom(...IDS),
    sessionId: fc.constantFrom(...IDS),
    remoteAddress: fc.constantFrom(...IPS),
    environment: fc.constantFrom('default', 'dev', 'prod'),
    appName: fc.constantFrom('web', 'abc'),
    currentTime: fc.constantFrom<unknown>(...TIMES, new Date('2022-01-30T00:00:00Z')),
    properties: fc.dictionary(fc.constantFrom(...PROPERTY_FIELDS), propertyValue, { maxKeys: 4 }),
  },
  { requiredKeys: [] },
);
