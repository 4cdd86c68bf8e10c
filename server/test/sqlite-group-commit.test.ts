/**
 * SQLite group commit: writes issued together share one transaction and one COMMIT, yet each one
 * still succeeds or fails alone, and an acknowledged write is committed (another connection sees it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/store/sqlite';
import type { SqliteRepository } from '../src/store/sqlite';

describe('SQLite group commit', () => {
  let dir: string;
  let path: string;
  let store: SqliteRepository;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-group-'));
    path = join(dir, 'store.db');
    store = await openSqliteStore({ path, changeLogRetention: 100 });
    await store.transaction((tx) => tx.insertEnvironment({ key: 'production', name: 'Production' }));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const appendChange = (key: string) =>
    store.transaction((tx) => tx.appendChange({ environment: 'production', kind: 'flag', key, value: null }));

  it('keeps the writes of a group apart: the failing one leaves no trace, the others commit in order', async () => {
    const results = await Promise.allSettled([
      appendChange('a'),
      store.transaction(async (tx) => {
        await tx.appendChange({ environment: 'production', kind: 'flag', key: 'doomed', value: null });
        throw new Error('changed my mind');
      }),
      appendChange('b'),
      store.transaction((tx) =>
        tx.appendChange({ environment: 'mars', kind: 'flag', key: 'x', value: null }),
      ),
      appendChange('c'),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((await store.changesSince('production', 0))?.map((change) => [change.seq, change.key])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
  });

  it('answers a write only once it is committed: another connection on the file sees it', async () => {
    const other = new Database(path, { readonly: true });
    try {
      const seqs = await Promise.all(
        ['a', 'b', 'c'].map(async (key) => {
          const change = await appendChange(key);
          // Read as soon as this write is answered, on a connection of its own.
          const row = other.prepare('SELECT seq FROM changes WHERE key = ?').get(key) as { seq: number };
          return [change.seq, row.seq];
        }),
      );
      expect(seqs).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
      ]);
    } finally {
      other.close();
    }
  });

  it('waits for a write lock another process holds without holding up reads, then writes', async () => {
    const intruder = new Database(path);
    try {
      intruder.exec('BEGIN IMMEDIATE');
      let settled = false;
      const write = appendChange('after-lock').finally(() => {
        settled = true;
      });
      // Reads go on while the write waits (a wait inside SQLite's busy timeout would block them all).
      for (let i = 0; i < 20; i++) {
        expect((await store.getEnvironment('production'))?.key).toBe('production');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(settled).toBe(false);
      intruder.exec('COMMIT');
      await write;
      expect((await store.changesSince('production', 0))?.map((change) => change.key)).toEqual([
        'after-lock',
      ]);
    } finally {
      if (intruder.inTransaction) intruder.exec('ROLLBACK');
      intruder.close();
    }
  });
});
