import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/audit/chain';
import { openSqliteStore } from '../src/store/sqlite';
import type { SqliteRepository } from '../src/store/sqlite';
import { UnknownEnvironmentError } from '../src/store/repository';
import type { TestServer } from './helpers';
import { booleanFlag, flagPath, startServer } from './helpers';

describe('the SDK view of the store', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ changeLogRetention: 3 });
  });
  afterEach(async () => {
    await server.close();
  });

  it('builds the ruleset of an environment at its change sequence', async () => {
    await server.request('PUT', '/api/v1/segments/beta', { body: { key: 'beta', included: ['alice'] } });
    await server.request('PUT', flagPath('prod-only'), {
      body: booleanFlag('prod-only', {
        environments: { production: booleanFlag('x').environments.production! },
      }),
    });
    const ruleset = await server.app.store.getRuleset('production');
    const production = (await server.app.store.getEnvironment('production'))!;
    expect(ruleset.version).toBe(production.seq);
    expect(ruleset.version).toBe(2);
    expect(Object.keys(ruleset.flags)).toEqual(['prod-only']);
    expect(ruleset.flags['prod-only']).toMatchObject({ key: 'prod-only', enabled: true, version: 1 });
    expect(ruleset.segments).toEqual({ beta: { key: 'beta', included: ['alice'], version: 1 } });

    const staging = await server.app.store.getRuleset('staging');
    expect(staging.flags).toEqual({});
    expect(staging.version).toBe(1);
    await expect(server.app.store.getRuleset('mars')).rejects.toBeInstanceOf(UnknownEnvironmentError);
  });

  it('logs a change only for environments whose SDK view changed', async () => {
    await server.request('PUT', flagPath('f'), { body: booleanFlag('f') });
    const seqs = async () =>
      Object.fromEntries(
        (await server.app.store.listEnvironments()).map((environment) => [environment.key, environment.seq]),
      );
    expect(await seqs()).toEqual({ development: 0, staging: 1, production: 1 });

    // The description is not part of what SDKs receive.
    await server.request('PUT', flagPath('f'), {
      body: { ...booleanFlag('f', { description: 'new words' }), version: 1 },
    });
    expect(await seqs()).toEqual({ development: 0, staging: 1, production: 1 });

    await server.request('PUT', `${flagPath('f')}/environments/staging/enabled`, {
      body: { enabled: false },
    });
    expect(await seqs()).toEqual({ development: 0, staging: 2, production: 1 });
    const [change] = (await server.app.store.changesSince('staging', 1))!;
    expect(change).toMatchObject({
      environment: 'staging',
      seq: 2,
      kind: 'flag',
      key: 'f',
      value: { enabled: false, version: 3 },
    });

    await server.request('DELETE', flagPath('f'));
    expect(await server.app.store.changesSince('production', 1)).toEqual([
      { environment: 'production', seq: 2, kind: 'flag', key: 'f', value: null },
    ]);
  });

  it('answers changesSince from the retained log, [] when current, null when it cannot', async () => {
    await server.request('PUT', flagPath('f'), {
      body: booleanFlag('f', { environments: { production: booleanFlag('f').environments.production! } }),
    });
    for (const enabled of [false, true, false, true]) {
      await server.request('PUT', `${flagPath('f')}/environments/production/enabled`, { body: { enabled } });
    }
    const { store } = server.app;
    const seq = (await store.getEnvironment('production'))!.seq;
    expect(seq).toBe(5);
    // Retention 3: seqs 3, 4, 5 are kept.
    expect((await store.changesSince('production', 2))!.map((change) => change.seq)).toEqual([3, 4, 5]);
    expect((await store.changesSince('production', 4))!.map((change) => change.seq)).toEqual([5]);
    expect(await store.changesSince('production', 5)).toEqual([]);
    expect(await store.changesSince('production', 1)).toBeNull();
    expect(await store.changesSince('production', 6)).toBeNull();
    const db = new Database(server.databasePath, { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM changes WHERE environment = 'production'").get()).toEqual({
      n: 3,
    });
    db.close();
  });

  it('never forks the audit chain or reuses a sequence under concurrent writes', async () => {
    const writes = Array.from({ length: 40 }, (_, index) =>
      server.request('PUT', flagPath(`concurrent-${index}`), { body: booleanFlag(`concurrent-${index}`) }),
    );
    const kills = Array.from({ length: 10 }, (_, index) =>
      writes[index]!.then(() =>
        server.request('POST', `${flagPath(`concurrent-${index}`)}/environments/production/kill`, {
          body: { reason: 'race' },
        }),
      ),
    );
    const replies = await Promise.all([...writes, ...kills]);
    expect(replies.map((reply) => reply.status).sort()).toEqual(
      [...Array(40).fill(201), ...Array(10).fill(200)].sort(),
    );

    const verdict = (await server.request('GET', '/api/v1/audit/verify')).body;
    expect(verdict.ok).toBe(true);
    const chain = await server.app.store.readAuditChain(0, 1000);
    expect(chain.map((entry) => entry.id)).toEqual(chain.map((_, index) => index + 1));
    expect(chain.filter((entry) => entry.action === 'flag.create')).toHaveLength(40);
    expect((await server.app.store.getEnvironment('production'))!.seq).toBe(50);
    expect((await server.app.store.getEnvironment('staging'))!.seq).toBe(40);
  });
});

describe('SqliteRepository', () => {
  let dir: string;
  let store: SqliteRepository;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
    store = await openSqliteStore({ path: join(dir, 'store.db'), changeLogRetention: 1000 });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits nothing of a transaction whose work throws', async () => {
    await store.transaction(async (tx) => {
      await tx.insertEnvironment({ key: 'production', name: 'Production' });
    });
    await expect(
      store.transaction(async (tx) => {
        await tx.putFlag({ ...booleanFlag('f'), environments: {}, version: 1 });
        await tx.appendChange({ environment: 'production', kind: 'flag', key: 'f', value: null });
        await tx.appendAudit({
          actor: SYSTEM_ACTOR,
          action: 'flag.create',
          target: { kind: 'flag', key: 'f' },
          environment: null,
          reason: null,
          before: null,
          after: null,
          diff: [],
        });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await store.getFlag('f')).toBeUndefined();
    expect((await store.getEnvironment('production'))!.seq).toBe(0);
    expect(await store.readAuditChain(0, 10)).toEqual([]);
  });

  it('adds metric counts per environment, flag, variant, reason and window', async () => {
    await store.transaction(async (tx) => {
      await tx.insertEnvironment({ key: 'production', name: 'production' });
    });
    const window = { windowStart: '2025-01-01T00:00:00.000Z', windowEnd: '2025-01-01T00:01:00.000Z' };
    await store.recordMetrics('production', {
      ...window,
      counts: [
        { flag: 'f', variant: 'on', reason: 'SPLIT', count: 5 },
        { flag: 'f', variant: null, reason: 'ERROR', count: 1 },
      ],
    });
    await store.recordMetrics('production', {
      ...window,
      counts: [{ flag: 'f', variant: 'on', reason: 'SPLIT', count: 7 }],
    });
    const db = new Database(join(dir, 'store.db'), { readonly: true });
    const rows = db
      .prepare('SELECT flag, variant, reason, window_start, count FROM evaluation_metrics ORDER BY variant')
      .all();
    db.close();
    expect(rows).toEqual([
      { flag: 'f', variant: '', reason: 'ERROR', window_start: window.windowStart, count: 1 },
      { flag: 'f', variant: 'on', reason: 'SPLIT', window_start: window.windowStart, count: 12 },
    ]);
  });

  it('reports ready while open and migrated', async () => {
    expect(await store.isReady()).toBe(true);
  });

  it('keeps the file in WAL mode', () => {
    const db = new Database(join(dir, 'store.db'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});
