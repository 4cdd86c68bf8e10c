/**
 * The token cache behind authentication: a verified token is served from memory, yet a revocation
 * takes effect at once, including against a lookup that was already reading the row from before it.
 */
import { describe, expect, it } from 'vitest';
import { TokenCache } from '../src/auth/token-cache';
import type { StoredToken } from '../src/store/repository';

const token = (id: string, revokedAt: string | null = null): StoredToken => ({
  id,
  name: id,
  kind: 'server',
  environment: 'production',
  createdAt: '2026-01-01T00:00:00.000Z',
  revokedAt,
  hash: `hash-${id}`,
});

/** A token table whose lookups are counted and can be held until released. */
function tokenTable(rows: Map<string, StoredToken>) {
  const held: Array<() => void> = [];
  const table = {
    lookups: 0,
    hold: false,
    find: async (hash: string) => {
      table.lookups++;
      const row = rows.get(hash); // read now, answered maybe later (like a queued store read)
      if (table.hold) await new Promise<void>((resolve) => held.push(resolve));
      return row;
    },
    release: () => held.splice(0).forEach((resolve) => resolve()),
  };
  return table;
}

describe('TokenCache', () => {
  it('answers a verified token from memory until it expires', async () => {
    let now = 0;
    const table = tokenTable(new Map([['hash-a', token('a')]]));
    const cache = new TokenCache(table.find, { ttlMs: 1_000, maxEntries: 10 }, () => now);
    expect(await cache.find('hash-a')).toMatchObject({ id: 'a' });
    now = 999;
    expect(await cache.find('hash-a')).toMatchObject({ id: 'a' });
    expect(table.lookups).toBe(1);
    now = 1_000;
    await cache.find('hash-a');
    expect(table.lookups).toBe(2);
  });

  it('never keeps unknown or revoked tokens', async () => {
    const table = tokenTable(new Map([['hash-r', token('r', '2026-01-02T00:00:00.000Z')]]));
    const cache = new TokenCache(table.find, { ttlMs: 60_000, maxEntries: 10 });
    for (let i = 0; i < 2; i++) {
      expect(await cache.find('hash-unknown')).toBeUndefined();
      expect(await cache.find('hash-r')).toMatchObject({ revokedAt: '2026-01-02T00:00:00.000Z' });
    }
    expect(table.lookups).toBe(4);
  });

  it('forgets a token as soon as it is revoked', async () => {
    const rows = new Map([['hash-a', token('a')]]);
    const table = tokenTable(rows);
    const cache = new TokenCache(table.find, { ttlMs: 60_000, maxEntries: 10 });
    await cache.find('hash-a');
    rows.set('hash-a', token('a', '2026-01-02T00:00:00.000Z'));
    cache.revoked('a');
    expect(await cache.find('hash-a')).toMatchObject({ revokedAt: '2026-01-02T00:00:00.000Z' });
  });

  it('does not keep what a lookup read before a revocation that committed while it ran', async () => {
    const rows = new Map([['hash-a', token('a')]]);
    const table = tokenTable(rows);
    const cache = new TokenCache(table.find, { ttlMs: 60_000, maxEntries: 10 });
    table.hold = true;
    const racing = cache.find('hash-a');
    rows.set('hash-a', token('a', '2026-01-02T00:00:00.000Z'));
    cache.revoked('a');
    table.release();
    expect(await racing).toMatchObject({ revokedAt: null }); // concurrent with the revocation
    table.hold = false;
    expect(await cache.find('hash-a')).toMatchObject({ revokedAt: '2026-01-02T00:00:00.000Z' });
  });

  it('holds at most maxEntries tokens, dropping the oldest', async () => {
    const table = tokenTable(new Map(['a', 'b', 'c'].map((id) => [`hash-${id}`, token(id)])));
    const cache = new TokenCache(table.find, { ttlMs: 60_000, maxEntries: 2 });
    for (const id of ['a', 'b', 'c', 'c', 'b']) await cache.find(`hash-${id}`);
    expect(table.lookups).toBe(3);
    await cache.find('hash-a');
    expect(table.lookups).toBe(4);
  });
});
