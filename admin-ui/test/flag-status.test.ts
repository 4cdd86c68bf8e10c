import type { FlagDocument, FlagEnvironment } from '@switchboard/core';
import { describe, expect, it } from 'vitest';
import { environmentStatus } from '../src/flag-status';
import { newFlagDocument } from '../src/new-flag';

const flag: FlagDocument = {
  key: 'checkout-v2',
  variants: { on: true, off: false },
  environments: {},
  version: 1,
};

const env = (change: Partial<FlagEnvironment>): FlagEnvironment => ({
  enabled: true,
  offVariant: 'off',
  fallthrough: { variant: 'on' },
  killed: null,
  ...change,
});

describe('environmentStatus', () => {
  it('shows a kill above everything else', () => {
    const killed = env({ enabled: false, killed: { at: '2030-01-01T00:00:00Z', by: 'ops', reason: 'x' } });
    expect(environmentStatus(flag, killed)).toEqual({ state: 'killed', label: 'Killed' });
  });

  it('shows off and on', () => {
    expect(environmentStatus(flag, env({ enabled: false })).state).toBe('off');
    expect(environmentStatus(flag, env({}))).toEqual({ state: 'on', label: 'On' });
  });

  it('names the variant served when it is not the true one', () => {
    expect(environmentStatus(flag, env({ fallthrough: { variant: 'off' } })).label).toBe('On · off');
  });

  it('shows the ramp percentage of the true variant', () => {
    const ramp = env({
      fallthrough: {
        rollout: {
          weights: [
            { variant: 'on', weight: 25_000 },
            { variant: 'off', weight: 75_000 },
          ],
        },
      },
    });
    expect(environmentStatus(flag, ramp)).toEqual({ state: 'ramping', label: 'Ramping 25% on' });
  });

  it('calls a rollout over more than two variants a split', () => {
    const split = env({
      fallthrough: {
        rollout: {
          weights: [
            { variant: 'on', weight: 50_000 },
            { variant: 'off', weight: 30_000 },
            { variant: 'shadow', weight: 20_000 },
          ],
        },
      },
    });
    expect(environmentStatus({ ...flag, variants: { ...flag.variants, shadow: 'x' } }, split)).toEqual({
      state: 'ramping',
      label: 'Split 3 ways',
    });
  });

  it('counts a rollout at 100% as on', () => {
    const full = env({ fallthrough: { rollout: { weights: [{ variant: 'on', weight: 100_000 }] } } });
    expect(environmentStatus(flag, full).state).toBe('on');
  });
});

describe('newFlagDocument', () => {
  it('starts off everywhere, serving the on variant once turned on', () => {
    const created = newFlagDocument(
      { key: 'k', description: '', tags: [], variants: { on: true, off: false } },
      ['staging', 'production'],
    );
    expect(created.version).toBe(0);
    expect(created.description).toBeUndefined();
    expect(Object.keys(created.environments)).toEqual(['staging', 'production']);
    expect(created.environments.production).toEqual({
      enabled: false,
      offVariant: 'off',
      fallthrough: { variant: 'on' },
      targets: [],
      rules: [],
      killed: null,
    });
  });

  it('uses the last variant as the off variant of a multi-variant flag', () => {
    const created = newFlagDocument(
      { key: 'k', description: 'd', tags: ['t'], variants: { control: 'a', treatment: 'b' } },
      ['production'],
    );
    expect(created.environments.production!.offVariant).toBe('treatment');
    expect(created.environments.production!.fallthrough).toEqual({ variant: 'control' });
  });
});
