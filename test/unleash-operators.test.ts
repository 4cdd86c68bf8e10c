/**
 * Every Unleash constraint operator on generated values (not a fixed pool): the real Unleash Node SDK is the
 * oracle, Switchboard answers after import, through unleashCompat. Patterns are built from RE2 syntax
 * fragments (valid, invalid and unsupported ones), addresses from IPv4/IPv6 parts, versions and numbers
 * from their grammars with junk mixed in, so the edge cases of each parser meet.
 *
 * Out of the generated domain, and asserted as known differences in unleash-known-differences.test.ts:
 * context addresses with a prefix length, context versions written " v1.2.3", inputs over 1,000 characters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Context as UnleashSdkContext } from 'unleash-client';
import { translateUnleash } from '../server/src/importers/unleash';
import { bootstrappedClient, compatOver, offlineUnleash } from './unleash-harness';

type Json = Record<string, unknown>;

/** Answers `constraints` (one feature each) for `contexts` with both SDKs; counts what it compared. */
async function compare(
  constraints: Json[],
  contexts: Json[],
): Promise<{ compared: number; refused: number }> {
  const features = constraints.map((constraint, i) => ({
    name: `c${i}`,
    enabled: true,
    strategies: [{ name: 'default', parameters: {}, constraints: [constraint] }],
  }));
  const translation = translateUnleash({ features }, { environment: 'production' });
  const refused = new Set(
    translation.features.filter((f) => f.status !== 'translated').map((f) => f.feature),
  );
  for (const report of translation.features.filter((f) => f.status !== 'translated'))
    // Only patterns beyond the regex engine may be refused here.
    expect(report.reasons.join()).toMatch(/beyond Switchboard's engine/);
  const unleash = await offlineUnleash(features, []);
  const client = bootstrappedClient(translation);
  let compared = 0;
  try {
    const compat = compatOver(client);
    for (const context of contexts as UnleashSdkContext[]) {
      for (const { name } of features) {
        if (refused.has(name)) continue;
        const expected = unleash.isEnabled(name, context);
        expect({
          constraint: constraints[Number(name.slice(1))],
          context,
          enabled: compat.isEnabled(name, context),
        }).toEqual({
          constraint: constraints[Number(name.slice(1))],
          context,
          enabled: expected,
        });
        compared++;
      }
    }
  } finally {
    unleash.destroy();
    await client.close();
  }
  return { compared, refused: refused.size };
}

const inverted = fc.boolean();
const caseInsensitive = fc.boolean();

/** Runs `property` over batches of constraints and contexts; asserts enough answers were compared. */
async function check(
  constraint: fc.Arbitrary<Json>,
  context: fc.Arbitrary<Json>,
  minimum: number,
): Promise<void> {
  let total = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(constraint, { minLength: 1, maxLength: 12 }),
      fc.array(context, { minLength: 1, maxLength: 12 }),
      async (constraints, contexts) => {
        total += (await compare(constraints, contexts)).compared;
      },
    ),
    { numRuns: 150 },
  );
  expect(total).toBeGreaterThan(minimum);
}

const REGEX_FRAGMENTS = [
  'a',
  'b',
  'k',
  'K',
  'é',
  '.',
  '\\d',
  '\\w',
  '\\W',
  '\\s',
  '\\b',
  '\\B',
  '[a-c]',
  '[^a]',
  '[]a]',
  '[[:alpha:]]',
  '[[:^digit:]]',
  '[a-]',
  '(?i)',
  '(?m)',
  '(?s)',
  '(?-i)',
  '(?i:',
  '^',
  '$',
  '\\A',
  '\\z',
  '(',
  '(?:',
  '(?P<n>',
  ')',
  '|',
  '*',
  '+',
  '?',
  '*?',
  '{2}',
  '{1,3}',
  '{,2}',
  '{01}',
  '\\Q.*\\E',
  '\\x41',
  '\\x{6b}',
  '\\101',
  '\\pL',
  '(?=',
  '\\1',
  '\\C',
  '\\n',
  '\\.',
];
const INPUT_CHARACTERS = [
  'a',
  'b',
  'c',
  'A',
  'k',
  'K',
  '\u212a',
  'é',
  'É',
  '1',
  ' ',
  '\n',
  '\r',
  '.',
  '*',
  '-',
  ']',
];

describe('Unleash constraint operators, generated values', () => {
  it('REGEX: RE2 syntax, flags, case-insensitivity; invalid patterns never match', async () => {
    await check(
      fc.record({
        contextName: fc.constant('s'),
        operator: fc.constant('REGEX'),
        value: fc.array(fc.constantFrom(...REGEX_FRAGMENTS), { maxLength: 6 }).map((parts) => parts.join('')),
        inverted,
        caseInsensitive,
      }),
      fc.record({
        properties: fc.record({
          s: fc.array(fc.constantFrom(...INPUT_CHARACTERS), { maxLength: 8 }).map((parts) => parts.join('')),
        }),
      }),
      3_000,
    );
  }, 120_000);

  const octet = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map(String),
    fc.constantFrom('256', '01', '00', 'x', ''),
  );
  const ipv4 = fc.tuple(octet, octet, octet, octet).map((parts) => parts.join('.'));
  const group = fc.oneof(
    fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16)),
    fc.constantFrom('0', 'ffff', '00001', 'g', ''),
  );
  const ipv6 = fc
    .tuple(
      fc.array(group, { minLength: 1, maxLength: 8 }),
      fc.constantFrom('', '::', ':'),
      fc.option(ipv4, { nil: undefined }),
      fc.constantFrom('', '%eth0'),
    )
    .map(([groups, joint, tail, zone]) => {
      const [head, rest] = [groups.slice(0, 3).join(':'), groups.slice(3).join(':')];
      return `${head}${joint}${rest}${tail === undefined ? '' : `:${tail}`}${zone}`;
    });
  const address = fc.oneof(
    ipv4,
    ipv6,
    fc.constantFrom('::', '::1', '::ffff:10.0.0.1', '2001:db8::1', '10.0.0.1'),
  );
  const range = fc.oneof(
    address,
    fc.tuple(address, fc.integer({ min: 0, max: 130 })).map(([a, prefix]) => `${a}/${prefix}`),
    fc.constantFrom('10.0.0.0/8', '2001:db8::/32', '0.0.0.0/0', '::/0', ' 10.0.0.0/8 ', '10.0.0.0/8/1'),
  );

  it('IN_CIDR: IPv4 and IPv6 parsing (zones, embedded IPv4, compression), ranges and families', async () => {
    await check(
      fc.record({
        contextName: fc.constant('remoteAddress'),
        operator: fc.constant('IN_CIDR'),
        values: fc.array(range, { minLength: 1, maxLength: 3 }),
        inverted,
      }),
      fc.record({ remoteAddress: address }),
      3_000,
    );
  }, 120_000);

  const numeric = fc.oneof(
    fc.integer().map(String),
    fc.double({ noNaN: true }).map(String),
    fc.constantFrom(
      '',
      ' ',
      ' 12 ',
      '12.0',
      '0x1f',
      '0b11',
      '0o7',
      '1e3',
      '.5',
      '5.',
      '-0',
      'Infinity',
      '1_000',
      'abc',
      '12abc',
    ),
  );

  it('NUM_*: both sides through Number()', async () => {
    await check(
      fc.record({
        contextName: fc.constant('n'),
        operator: fc.constantFrom('NUM_EQ', 'NUM_GT', 'NUM_GTE', 'NUM_LT', 'NUM_LTE'),
        value: fc.oneof(
          numeric.filter((text) => !/^\s*[-+]?Infinity\s*$/.test(text)),
          fc.integer(),
        ),
        inverted,
      }),
      fc.record({
        properties: fc.record({ n: fc.oneof(numeric, fc.integer(), fc.double({ noNaN: true })) }),
      }),
      3_000,
    );
  }, 120_000);

  const identifier = fc.oneof(
    fc.integer({ min: 0, max: 20 }).map(String),
    fc.constantFrom('alpha', 'beta', 'rc', '01', 'x-y', '', '9007199254740990'),
  );
  const version = fc
    .tuple(
      fc.constantFrom('0', '1', '2', '10', '01', '9007199254740991', '9007199254740992'),
      fc.constantFrom('0', '2', '3'),
      fc.constantFrom('0', '1', '2'),
      fc.array(identifier, { maxLength: 2 }),
      fc.constantFrom('', '+build.1', '+'),
      fc.constantFrom('', 'v', ' ', '='),
    )
    .map(
      ([major, minor, patch, pre, build, prefix]) =>
        `${prefix}${major}.${minor}.${patch}${pre.length > 0 ? `-${pre.join('.')}` : ''}${build}`,
    );
  const versions = fc.oneof(
    version,
    fc.constantFrom('1.2', '1.2.3.4', 'not a version', '', ' 1.2.3 ', '1.2.3\n'),
  );

  it('SEMVER_*: node-semver validity and precedence', async () => {
    await check(
      fc.record({
        contextName: fc.constant('version'),
        operator: fc.constantFrom('SEMVER_EQ', 'SEMVER_GT', 'SEMVER_GTE', 'SEMVER_LT', 'SEMVER_LTE'),
        value: versions,
        inverted,
      }),
      // " v1.2.3" (whitespace, then v) is a known difference.
      fc.record({ properties: fc.record({ version: versions.filter((v) => !/^\s+v/.test(v)) }) }),
      3_000,
    );
  }, 120_000);

  const time = fc.oneof(
    fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString()),
    fc.integer({ min: 0, max: 4_102_444_800_000 }),
    fc.constantFrom(
      '2022-01-29',
      '2022-01-29T13:00:00+02:00',
      'Jan 29 2022',
      '2022/01/29',
      'garbage',
      '',
      '1643461200000',
    ),
  );

  it('DATE_*: currentTime against the value, whatever the context name', async () => {
    await check(
      fc.record({
        contextName: fc.constantFrom('currentTime', 'anything'),
        operator: fc.constantFrom('DATE_AFTER', 'DATE_BEFORE'),
        value: time,
        inverted,
      }),
      fc.record({ currentTime: time }, { requiredKeys: [] }),
      3_000,
    );
  }, 120_000);

  const text = fc
    .array(fc.constantFrom('a', 'B', 'é', 'É', 'ß', 'İ', 'ı', 'x', ' ', '@'), { maxLength: 5 })
    .map((parts) => parts.join(''));

  it('IN, NOT_IN and STR_*: trimmed values, case-insensitivity, missing fields', async () => {
    await check(
      fc.record({
        contextName: fc.constantFrom('s', 'missing'),
        operator: fc.constantFrom('IN', 'NOT_IN', 'STR_STARTS_WITH', 'STR_ENDS_WITH', 'STR_CONTAINS'),
        values: fc.array(
          fc.oneof(
            text,
            text.map((t) => ` ${t} `),
          ),
          { maxLength: 3 },
        ),
        inverted,
        caseInsensitive,
      }),
      fc.record({
        properties: fc.record({ s: fc.oneof(text, fc.integer({ min: -5, max: 5 })) }, { requiredKeys: [] }),
      }),
      3_000,
    );
  }, 120_000);
});
