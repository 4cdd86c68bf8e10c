import type { FlagDocument } from '@switchboard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers';
import { assertCliBuilt, cliFor, json, startServer } from './helpers';

let server: TestServer;
let cli: ReturnType<typeof cliFor>;

beforeAll(async () => {
  assertCliBuilt();
  server = await startServer();
  cli = cliFor(server);
});

afterAll(async () => {
  await server?.close();
});

async function stored(key: string): Promise<FlagDocument> {
  const reply = await server.request<FlagDocument>('GET', `/api/v1/flags/${encodeURIComponent(key)}`);
  expect(reply.status).toBe(200);
  return reply.body;
}

describe('flags create', () => {
  it('creates a boolean on/off flag that is off in every environment', async () => {
    const result = await cli([
      'flags',
      'create',
      'checkout-v2',
      '--description',
      'New checkout',
      '--tag',
      'payments',
      'web',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /Created checkout-v2 \(version 1\), off in development, staging, production/,
    );
    const flag = await stored('checkout-v2');
    expect(flag.variants).toEqual({ on: true, off: false });
    expect(flag.tags).toEqual(['payments', 'web']);
    expect(flag.description).toBe('New checkout');
    expect(Object.keys(flag.environments).sort()).toEqual(['development', 'production', 'staging']);
    for (const environment of Object.values(flag.environments)) {
      expect(environment).toMatchObject({
        enabled: false,
        offVariant: 'off',
        fallthrough: { variant: 'off' },
      });
    }
  });

  it('creates a typed multi-variant flag with --json output', async () => {
    const created = json<FlagDocument>(
      await cli([
        'flags',
        'create',
        'banner-color',
        '--type',
        'string',
        '--variant',
        'red=#f00',
        '--variant',
        'blue=#00f',
        '--json',
      ]),
    );
    expect(created).toMatchObject({
      key: 'banner-color',
      version: 1,
      variants: { red: '#f00', blue: '#00f' },
    });
    expect(created.environments.production).toMatchObject({ offVariant: 'red', enabled: false });
  });

  it('rejects a non-boolean flag without variants before contacting the server', async () => {
    const result = await cli(['flags', 'create', 'limits', '--type', 'number', '--variant', 'low=1']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'switchboard: a number flag needs at least two --variant name=value options',
    );
    expect((await server.request('GET', '/api/v1/flags/limits')).status).toBe(404);
  });
});

describe('flags set, rollout and get', () => {
  it('turns a flag on and off in one environment only', async () => {
    const on = await cli(['flags', 'set', 'checkout-v2', '--env', 'staging', '--on']);
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/checkout-v2 is now on in staging \(version \d+\)/);
    let flag = await stored('checkout-v2');
    expect(flag.environments.staging?.enabled).toBe(true);
    expect(flag.environments.production?.enabled).toBe(false);

    const off = json<FlagDocument>(
      await cli(['flags', 'set', 'checkout-v2', '--env', 'staging', '--off', '--json']),
    );
    flag = await stored('checkout-v2');
    expect(off.version).toBe(flag.version);
    expect(flag.environments.staging?.enabled).toBe(false);
  });

  it('rolls out by percentage with 0.001 precision: the on variant first, the off variant the rest', async () => {
    const result = await cli(['rollout', 'checkout-v2', '--env', 'production', '--percent', '12.345']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('now serves on 12.345% / off 87.655%');
    expect((await stored('checkout-v2')).environments.production?.fallthrough).toEqual({
      rollout: {
        weights: [
          { variant: 'on', weight: 12_345 },
          { variant: 'off', weight: 87_655 },
        ],
      },
    });
  });

  it('sets explicit weights and a bucketing attribute', async () => {
    const flag = json<FlagDocument>(
      await cli([
        'rollout',
        'banner-color',
        '--env',
        'staging',
        '--weights',
        'blue=30,red=70',
        '--bucket-by',
        'accountId',
        '--json',
      ]),
    );
    expect(flag.environments.staging?.fallthrough).toEqual({
      rollout: {
        bucketBy: 'accountId',
        weights: [
          { variant: 'blue', weight: 30_000 },
          { variant: 'red', weight: 70_000 },
        ],
      },
    });
  });

  it('refuses weights that do not add up, and --percent on a flag with more than two variants', async () => {
    const sum = await cli(['rollout', 'checkout-v2', '--env', 'production', '--weights', 'on=20,off=70']);
    expect(sum.code).toBe(1);
    expect(sum.stderr).toContain('weights add up to 90%, not 100%');
    await cli([
      'flags',
      'create',
      'tri',
      '--type',
      'string',
      '--variant',
      'a=1',
      '--variant',
      'b=2',
      '--variant',
      'c=3',
    ]);
    const percent = await cli(['rollout', 'tri', '--env', 'production', '--percent', '10']);
    expect(percent.code).toBe(1);
    expect(percent.stderr).toContain('--percent needs a flag with two variants');
  });

  it('shows one flag for people, or its document as JSON', async () => {
    const human = await cli(['flags', 'get', 'checkout-v2']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('checkout-v2  (version');
    expect(human.stdout).toContain('variants: on=true, off=false');
    expect(human.stdout).toMatch(/production: off\n/);
    expect(human.stdout).toContain('fallthrough: on 12.345% / off 87.655%');

    const onlyProduction = json<FlagDocument>(
      await cli(['flags', 'get', 'checkout-v2', '--env', 'production', '--json']),
    );
    expect(Object.keys(onlyProduction.environments)).toEqual(['production']);
    expect(onlyProduction.version).toBe((await stored('checkout-v2')).version);
  });
});

describe('flags list', () => {
  it('lists every flag with its state per environment, and filters by tag', async () => {
    const table = await cli(['flags', 'list']);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^KEY\s+VERSION\s+TAGS\s+DEVELOPMENT\s+STAGING\s+PRODUCTION$/);
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(['banner-color', 'checkout-v2', 'tri']);
    expect(table.stdout).not.toContain('\u001b[');

    const tagged = json<FlagDocument[]>(await cli(['flags', 'list', '--tag', 'payments', '--json']));
    expect(tagged.map((flag) => flag.key)).toEqual(['checkout-v2']);
  });

  it('--stale lists flags that serve one variant everywhere and have not changed for the given days', async () => {
    // checkout-v2 now serves a rollout in production, banner-color one in staging; tri is off everywhere.
    await cli(['flags', 'set', 'checkout-v2', '--env', 'production', '--on']);
    await cli(['flags', 'set', 'banner-color', '--env', 'staging', '--on']);
    const table = await cli(['flags', 'list']);
    expect(table.stdout).toMatch(
      /\ncheckout-v2\s+\d+\s+payments,web\s+off\s+off\s+on → on 12\.345% \/ off 87\.655%\n/,
    );
    const changedToday = json<FlagDocument[]>(await cli(['flags', 'list', '--stale', '--json']));
    expect(changedToday).toEqual([]);
    const stale = json<FlagDocument[]>(
      await cli(['flags', 'list', '--stale', '--stale-days', '0', '--json']),
    );
    expect(stale.map((flag) => flag.key)).toEqual(['tri']);
  });
});

describe('flags delete', () => {
  it('deletes a flag', async () => {
    const result = await cli(['flags', 'delete', 'tri']);
    expect(result.code).toBe(0);
    expect((await server.request('GET', '/api/v1/flags/tri')).status).toBe(404);
  });
});
