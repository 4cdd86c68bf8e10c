import { describe, expect, it } from 'vitest';
import { deepEqual, diffJson, formatPath, mergeEdits } from '../src/diff';

const flag = () => ({
  key: 'checkout-v2',
  tags: ['payments'],
  environments: {
    production: {
      enabled: false,
      killed: null as null | { reason: string },
      rules: [{ id: 'eu', clauses: [{ attribute: 'country', op: 'in', values: ['DE'] }] }],
    },
    staging: { enabled: true, killed: null as null | { reason: string }, rules: [] as unknown[] },
  },
  version: 3,
});

describe('diffJson', () => {
  it('reports the changed leaves with their paths', () => {
    const after = flag();
    after.environments.production.enabled = true;
    after.environments.production.killed = { reason: 'errors' };
    expect(diffJson(flag(), after)).toEqual([
      { path: ['environments', 'production', 'enabled'], before: false, after: true },
      { path: ['environments', 'production', 'killed'], before: null, after: { reason: 'errors' } },
    ]);
  });

  it('treats a list of plain values as one value', () => {
    const after = flag();
    after.environments.production.rules[0]!.clauses[0]!.values = ['DE', 'FR'];
    expect(diffJson(flag(), after)).toEqual([
      {
        path: ['environments', 'production', 'rules', 0, 'clauses', 0, 'values'],
        before: ['DE'],
        after: ['DE', 'FR'],
      },
    ]);
  });

  it('reports added and removed keys and array items', () => {
    expect(diffJson({ a: 1, list: [{ x: 1 }] }, { b: 2, list: [{ x: 1 }, { x: 2 }] })).toEqual([
      { path: ['a'], before: 1 },
      { path: ['list', 1], after: { x: 2 } },
      { path: ['b'], after: 2 },
    ]);
  });

  it('ignores keys whose value is undefined, as JSON does', () => {
    expect(diffJson({ a: 1, description: undefined }, { a: 1 })).toEqual([]);
    expect(deepEqual({ a: 1, description: undefined }, { a: 1 })).toBe(true);
  });

  it('formats paths as readers write them', () => {
    expect(formatPath(['environments', 'production', 'rules', 0, 'clauses'])).toBe(
      'environments.production.rules[0].clauses',
    );
  });
});

describe('mergeEdits', () => {
  it('re-applies my edits on top of theirs when they touch different settings', () => {
    const base = flag();
    const mine = flag();
    mine.environments.staging.enabled = false;
    const theirs = flag();
    theirs.environments.production.enabled = true;
    theirs.version = 4;
    const { merged, conflicts } = mergeEdits(base, mine, theirs);
    expect(conflicts).toEqual([]);
    expect(merged.environments.staging.enabled).toBe(false);
    expect(merged.environments.production.enabled).toBe(true);
    expect(merged.version).toBe(4);
  });

  it('keeps their value and reports the path when both changed the same setting differently', () => {
    const base = flag();
    const mine = flag();
    mine.environments.production.rules[0]!.clauses[0]!.values = ['FR'];
    const theirs = flag();
    theirs.environments.production.rules[0]!.clauses[0]!.values = ['NL'];
    const { merged, conflicts } = mergeEdits(base, mine, theirs);
    expect(conflicts).toEqual([['environments', 'production', 'rules', 0, 'clauses', 0, 'values']]);
    expect(merged.environments.production.rules[0]!.clauses[0]!.values).toEqual(['NL']);
  });

  it('is no conflict when both made the same change', () => {
    const base = flag();
    const mine = flag();
    mine.tags = ['payments', 'web'];
    const theirs = flag();
    theirs.tags = ['payments', 'web'];
    expect(mergeEdits(base, mine, theirs).conflicts).toEqual([]);
  });

  it('reports an edit inside something they deleted', () => {
    const base = { environments: { production: { enabled: false } } as Record<string, { enabled: boolean }> };
    const mine = { environments: { production: { enabled: true } } };
    const theirs = { environments: {} };
    const { merged, conflicts } = mergeEdits(base, mine, theirs);
    expect(conflicts).toEqual([['environments', 'production', 'enabled']]);
    expect(merged).toEqual({ environments: {} });
  });

  it('removes the array items I removed, from the end, while keeping the ones they added elsewhere', () => {
    const base = { rules: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], tags: ['x'] };
    const mine = { rules: [{ id: 'a' }], tags: ['x'] };
    const theirs = { rules: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], tags: ['x', 'y'] };
    const { merged, conflicts } = mergeEdits(base, mine, theirs);
    expect(conflicts).toEqual([]);
    expect(merged).toEqual({ rules: [{ id: 'a' }], tags: ['x', 'y'] });
  });

  it('does not modify its inputs', () => {
    const base = flag();
    const mine = flag();
    mine.environments.staging.enabled = false;
    const theirs = flag();
    mergeEdits(base, mine, theirs);
    expect(theirs).toEqual(flag());
  });
});
