import type { FlagConfig } from '@switchboard/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InProcessFanout } from '../src/fanout/in-process';
import { RulesetCache, affectedFlags } from '../src/rulesets';
import type { RulesetUpdate } from '../src/rulesets';
import { banner, checkout, environmentVersion, putFlag, seedFlags } from './client-fixture';
import type { TestServer } from './helpers';
import { startServer } from './helpers';

const config = (key: string, extra: Partial<FlagConfig> = {}): FlagConfig => ({
  key,
  variants: { on: true, off: false },
  enabled: true,
  offVariant: 'off',
  fallthrough: { variant: 'on' },
  version: 1,
  ...extra,
});

describe('affectedFlags', () => {
  const configs = new Map<string, FlagConfig>([
    ['base', config('base')],
    ['child', config('child', { prerequisites: [{ flag: 'base', variants: ['on'] }] })],
    ['grandchild', config('grandchild', { prerequisites: [{ flag: 'child', variants: ['on'] }] })],
    [
      'segmented',
      config('segmented', { rules: [{ id: 'r', clauses: [{ segment: 'beta' }], serve: { variant: 'on' } }] }),
    ],
    ['unrelated', config('unrelated')],
  ]);

  it('follows prerequisites transitively', () => {
    expect([...affectedFlags(configs, new Set(['base']), new Set())].sort()).toEqual([
      'base',
      'child',
      'grandchild',
    ]);
    expect([...affectedFlags(configs, new Set(['child']), new Set())].sort()).toEqual([
      'child',
      'grandchild',
    ]);
  });

  it('includes the flags using a changed segment, and a deleted flag itself', () => {
    expect([...affectedFlags(configs, new Set(), new Set(['beta']))]).toEqual(['segmented']);
    expect([...affectedFlags(configs, new Set(['gone']), new Set(['unused']))]).toEqual(['gone']);
  });
});

describe('RulesetCache', () => {
  let server: TestServer;
  let cache: RulesetCache | undefined;
  const fanout = new InProcessFanout();
  const log = { error: vi.fn() };

  async function setUp(
    changeLogRetention = 1000,
  ): Promise<{ cache: RulesetCache; updates: RulesetUpdate[] }> {
    server = await startServer({ changeLogRetention });
    await seedFlags(server);
    cache = new RulesetCache(server.app.store, fanout, log);
    const updates: RulesetUpdate[] = [];
    cache.onUpdate((update) => updates.push(update));
    return { cache, updates };
  }

  async function waitFor(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 250 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(condition()).toBe(true);
  }

  afterEach(async () => {
    cache?.close();
    cache = undefined;
    await server.close();
  });

  it('reads the store once, however many requests arrive together', async () => {
    const { cache } = await setUp();
    const reads = vi.spyOn(server.app.store, 'getRuleset');
    const rulesets = await Promise.all(Array.from({ length: 10 }, () => cache.get('production')));
    expect(reads).toHaveBeenCalledTimes(1);
    expect(new Set(rulesets).size).toBe(1);
    expect(rulesets[0]?.version).toBe(await environmentVersion(server));
  });

  it('applies the changes a notice carries synchronously, in the same turn as the commit', async () => {
    await setUp();
    await server.app.rulesets.get('production');
    await putFlag(server, { ...banner, variants: { ...banner.variants, green: 'lime' } });
    const current = server.app.rulesets.current('production');
    expect(current?.version).toBe(await environmentVersion(server));
    expect(current?.evaluate('banner', {}).value).toBe('lime');
  });

  it('catches up from the change log on a notice without changes (another replica)', async () => {
    const { cache, updates } = await setUp();
    const before = (await cache.get('production')).version;
    await putFlag(server, { ...banner, variants: { ...banner.variants, green: 'lime' } });
    expect(cache.current('production')?.version).toBe(before);
    fanout.publish({ environment: 'production', seq: before + 1, urgent: false });
    await waitFor(() => updates.length === 1);
    expect(updates[0]?.ruleset.version).toBe(before + 1);
    expect([...(updates[0]?.affected ?? [])]).toEqual(['banner']);
    expect(cache.current('production')?.evaluate('banner', {}).value).toBe('lime');
  });

  it('fills a gap from the change log, in order', async () => {
    const { cache, updates } = await setUp();
    const before = (await cache.get('production')).version;
    await putFlag(server, { ...banner, variants: { ...banner.variants, green: 'lime' } });
    const production = checkout.environments.production!;
    await putFlag(server, {
      ...checkout,
      environments: {
        ...checkout.environments,
        production: { ...production, targets: [{ values: ['bob'], variant: 'on' }] },
      },
    });
    const latest = await server.app.store.changesSince('production', before + 1);
    fanout.publish({ environment: 'production', seq: before + 2, urgent: false, changes: latest ?? [] });
    await waitFor(() => updates.length === 1);
    expect(updates[0]?.ruleset.version).toBe(before + 2);
    expect([...(updates[0]?.affected ?? [])].sort()).toEqual(['banner', 'checkout', 'upsell']);
  });

  it('reloads everything when the change log no longer reaches back', async () => {
    const { cache, updates } = await setUp(1);
    const before = (await cache.get('production')).version;
    for (const colour of ['lime', 'teal', 'navy'])
      await putFlag(server, { ...banner, variants: { ...banner.variants, green: colour } });
    fanout.publish({ environment: 'production', seq: before + 3, urgent: true });
    await waitFor(() => updates.length === 1);
    expect(updates[0]).toMatchObject({ affected: null, urgent: true });
    expect(updates[0]?.ruleset.version).toBe(before + 3);
    expect(cache.current('production')?.evaluate('banner', {}).value).toBe('navy');
  });

  it('ignores environments nobody asked for, and survives a failing listener', async () => {
    const { cache, updates } = await setUp();
    const before = (await cache.get('production')).version;
    cache.onUpdate(() => {
      throw new Error('listener bug');
    });
    const staging = await server.app.store.changesSince('staging', 0);
    fanout.publish({ environment: 'staging', seq: 99, urgent: false, changes: staging ?? [] });
    expect(cache.current('staging')).toBeUndefined();
    await putFlag(server, { ...banner, variants: { ...banner.variants, green: 'lime' } });
    fanout.publish({ environment: 'production', seq: before + 1, urgent: false });
    await waitFor(() => updates.length === 1);
    expect(log.error).toHaveBeenCalledWith(
      expect.objectContaining({ environment: 'production' }),
      expect.any(String),
    );
  });
});
