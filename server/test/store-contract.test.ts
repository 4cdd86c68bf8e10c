/**
 * The store contract: one suite, run against the SQLite store and the PostgreSQL store (real
 * PostgreSQL, a fresh schema per test). Whatever the admin API, the SDK API and the fan-out rely on
 * is asserted here, for both dialects alike; dialect-specific durability and migrations follow.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/audit/chain';
import type { AuditDraft } from '../src/audit/chain';
import type { DatabaseConfig } from '../src/config';
import { POSTGRES_MIGRATIONS_DIR, SQLITE_MIGRATIONS_DIR } from '../src/paths';
import { migrateDown, migrateUp, readMigrations } from '../src/store/migrations';
import { openStore } from '../src/store/open';
import {
  openPostgresPool,
  openPostgresStore,
  PostgresMigrationTarget,
  withMigrationLock,
} from '../src/store/postgres';
import type { Repository, StoredToken } from '../src/store/repository';
import { openSqliteConnection, SqliteMigrationTarget } from '../src/store/sqlite';
import { InvalidCursorError, UnknownEnvironmentError } from '../src/store/repository';
import type { TestServer } from './helpers';
import { booleanFlag, flagPath, startServer } from './helpers';
import { createTestSchema, postgresAvailable } from './postgres-fixture';
import type { TestSchema } from './postgres-fixture';

/** A database of one dialect for one test: its DATABASE_URL form and a way to look at its rows. */
interface TestDatabase {
  config: DatabaseConfig;
  /** Runs SQL that both dialects understand, behind the store's back. */
  rows<T>(text: string): Promise<T[]>;
  /** Changes rows behind the store's back. */
  execute(text: string): Promise<void>;
  dispose(): Promise<void>;
}

function sqliteDatabase(): TestDatabase & { path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
  const path = join(dir, 'store.db');
  return {
    path,
    config: { kind: 'sqlite', path },
    async rows<T>(text: string) {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare(text).all() as T[];
      } finally {
        db.close();
      }
    },
    async execute(text: string) {
      const db = new Database(path);
      try {
        db.prepare(text).run();
      } finally {
        db.close();
      }
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresDatabase(): Promise<TestDatabase> {
  const schema = await createTestSchema();
  return {
    config: { kind: 'postgres', url: schema.url },
    rows: <T>(text: string) => schema.query(text) as Promise<T[]>,
    execute: async (text: string) => {
      await schema.query(text);
    },
    dispose: () => schema.drop(),
  };
}

const dialects = [
  { dialect: 'sqlite', available: true, create: async () => sqliteDatabase() },
  {
    dialect: 'postgres',
    available: await postgresAvailable('the PostgreSQL store contract'),
    create: postgresDatabase,
  },
] as const;

const draft = (action: string, key: string): AuditDraft => ({
  actor: SYSTEM_ACTOR,
  action,
  target: { kind: 'flag', key },
  environment: null,
  reason: null,
  before: null,
  after: null,
  diff: [],
});

describe.each(dialects)('the $dialect store', ({ dialect, available, create }) => {
  let database: TestDatabase;
  beforeEach(async () => {
    if (available) database = await create();
  });
  afterEach(async () => {
    if (available) await database.dispose();
  });

  describe.skipIf(!available)('the SDK view', () => {
    let server: TestServer;
    beforeEach(async () => {
      server = await startServer({ database: database.config, changeLogRetention: 3 });
    });
    afterEach(async () => {
      await server.close();
    });

    it('builds the ruleset of an environment at its change sequence', async () => {
      expect(server.app.store.dialect).toBe(dialect);
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
          (await server.app.store.listEnvironments()).map((environment) => [
            environment.key,
            environment.seq,
          ]),
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
        await server.request('PUT', `${flagPath('f')}/environments/production/enabled`, {
          body: { enabled },
        });
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
      expect(
        await database.rows(
          "SELECT CAST(count(*) AS INTEGER) AS n FROM changes WHERE environment = 'production'",
        ),
      ).toEqual([{ n: 3 }]);
    });

    it('reads audit entries back exactly as hashed, so an edit behind its back breaks the chain there', async () => {
      await server.request('PUT', flagPath('f'), {
        body: booleanFlag('f', { description: 'ünïcödé "quoted" 🚩' }),
      });
      await server.request('POST', `${flagPath('f')}/environments/production/kill`, {
        body: { reason: 'why' },
      });
      const verified = (await server.request('GET', '/api/v1/audit/verify')).body;
      expect(verified).toMatchObject({ ok: true });
      const kill = (await server.request('GET', '/api/v1/audit?action=flag.kill')).body.entries[0];
      await database.execute(`UPDATE audit SET reason = 'nothing to see' WHERE id = ${Number(kill.id)}`);
      expect((await server.request('GET', '/api/v1/audit/verify')).body).toMatchObject({
        ok: false,
        brokenAt: kill.id,
      });
    });

    it('refuses U+0000 in request text (PostgreSQL text cannot hold it) with 400, changing nothing', async () => {
      await server.request('PUT', flagPath('f'), { body: booleanFlag('f') });
      const before = (await server.request('GET', '/api/v1/audit/verify')).body.entries;
      const attempts = [
        server.request('POST', `${flagPath('f')}/environments/production/kill`, {
          body: { reason: 'a\u0000b' },
        }),
        server.request('POST', '/api/v1/tokens', { body: { name: 'x\u0000', kind: 'viewer' } }),
        server.request('PUT', `${flagPath('g')}?reason=%00`, { body: booleanFlag('g') }),
        server.request('GET', '/api/v1/flags?search=%00'),
        server.request('GET', flagPath('f\u0000')),
      ];
      expect((await Promise.all(attempts)).map((reply) => [reply.status, reply.body.details])).toEqual([
        [400, [{ path: '/body/reason', problem: 'contains U+0000' }]],
        [400, [{ path: '/body/name', problem: 'contains U+0000' }]],
        [400, [{ path: '/querystring/reason', problem: 'contains U+0000' }]],
        [400, [{ path: '/querystring/search', problem: 'contains U+0000' }]],
        [400, [{ path: '/params/key', problem: 'contains U+0000' }]],
      ]);
      expect((await server.request('GET', '/api/v1/audit/verify')).body.entries).toBe(before);
      expect((await server.request('GET', flagPath('f'))).body.environments.production.killed).toBeNull();
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

  describe.skipIf(!available)('the repository', () => {
    let store: Repository;
    beforeEach(async () => {
      store = await openStore({ database: database.config, changeLogRetention: 1000 });
      await store.transaction(async (tx) => {
        for (const key of ['production', 'staging']) await tx.insertEnvironment({ key, name: key });
      });
    });
    afterEach(async () => {
      await store.close();
    });

    it('commits nothing of a transaction whose work throws', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.putFlag({ ...booleanFlag('f'), environments: {}, version: 1 });
          await tx.appendChange({ environment: 'production', kind: 'flag', key: 'f', value: null });
          await tx.appendAudit(draft('flag.create', 'f'));
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(await store.getFlag('f')).toBeUndefined();
      expect((await store.getEnvironment('production'))!.seq).toBe(0);
      expect(await store.readAuditChain(0, 10)).toEqual([]);
    });

    it('sees its own writes inside a transaction and refuses a change to an unknown environment', async () => {
      await store.transaction(async (tx) => {
        await tx.putFlag({ ...booleanFlag('f'), version: 1 });
        expect((await tx.getFlag('f'))?.version).toBe(1);
        expect(
          (await tx.appendChange({ environment: 'production', kind: 'flag', key: 'f', value: null })).seq,
        ).toBe(1);
        expect((await tx.getEnvironment('production'))?.seq).toBe(1);
        await expect(
          tx.appendChange({ environment: 'mars', kind: 'flag', key: 'f', value: null }),
        ).rejects.toBeInstanceOf(UnknownEnvironmentError);
      });
    });

    it('lists environments in creation order', async () => {
      await store.transaction(async (tx) => {
        for (const key of ['alpha', 'Zulu', 'beta']) await tx.insertEnvironment({ key, name: key });
      });
      expect((await store.listEnvironments()).map((environment) => environment.key)).toEqual([
        'production',
        'staging',
        'alpha',
        'Zulu',
        'beta',
      ]);
    });

    it('lists flags in byte order of their keys, filtered by tag and search, page by page', async () => {
      const keys = ['b-flag', 'B-flag', 'a-flag', 'ä-flag', 'Z-flag'];
      await store.transaction(async (tx) => {
        for (const [index, key] of keys.entries()) {
          await tx.putFlag({
            ...booleanFlag(key, { tags: index % 2 === 0 ? ['even'] : ['odd'] }),
            description: index === 3 ? 'Uses the CHECKOUT flow' : `flag ${key}`,
            version: 1,
          });
        }
      });
      const all = await store.listFlags({ limit: 10 });
      expect(all.items.map((flag) => flag.key)).toEqual(['B-flag', 'Z-flag', 'a-flag', 'b-flag', 'ä-flag']);
      expect(all.nextCursor).toBeNull();
      expect((await store.listFlags({ limit: 10, tag: 'odd' })).items.map((flag) => flag.key)).toEqual([
        'B-flag',
        'ä-flag',
      ]);
      expect(
        (await store.listFlags({ limit: 10, search: 'checkout' })).items.map((flag) => flag.key),
      ).toEqual(['ä-flag']);
      expect((await store.listFlags({ limit: 10, search: 'b-FL' })).items.map((flag) => flag.key)).toEqual([
        'B-flag',
        'b-flag',
      ]);

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const result = await store.listFlags({ limit: 2, cursor });
        expect(result.items.length).toBeLessThanOrEqual(2);
        seen.push(...result.items.map((flag) => flag.key));
        cursor = result.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(seen).toEqual(all.items.map((flag) => flag.key));
      await expect(store.listFlags({ limit: 2, cursor: '!!' })).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('lists segments by key with search and paging', async () => {
      await store.transaction(async (tx) => {
        for (const key of ['beta', 'alpha', 'gamma']) {
          await tx.putSegment({
            key,
            description: `the ${key.toUpperCase()} users`,
            included: [],
            version: 1,
          });
        }
      });
      expect((await store.listSegments({ limit: 10 })).items.map((segment) => segment.key)).toEqual([
        'alpha',
        'beta',
        'gamma',
      ]);
      expect((await store.listSegments({ limit: 10, search: 'Gamma' })).items.map((s) => s.key)).toEqual([
        'gamma',
      ]);
      const first = await store.listSegments({ limit: 2 });
      const second = await store.listSegments({ limit: 2, cursor: first.nextCursor! });
      expect(second).toEqual({ items: [expect.objectContaining({ key: 'gamma' })], nextCursor: null });
    });

    it('stores documents exactly, including text that needs escaping', async () => {
      const document = {
        ...booleanFlag('exact'),
        description: 'quotes " and \\ backslashes, emoji 🚩, NUL \u0000 and line\nbreaks',
        version: 7,
      };
      await store.transaction((tx) => tx.putFlag(document));
      expect(await store.getFlag('exact')).toEqual(document);
      expect(JSON.stringify(await store.getFlag('exact'))).toBe(JSON.stringify(document));
    });

    it('replaces a flag keeping its creation time, and stores an absent before, after or value as NULL', async () => {
      await store.transaction((tx) => tx.putFlag({ ...booleanFlag('f'), version: 1 }));
      const [created] = await database.rows<{ created_at: string; updated_at: string }>(
        "SELECT created_at, updated_at FROM flags WHERE key = 'f'",
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
      const replaced = { ...booleanFlag('f', { description: 'second' }), version: 2 };
      await store.transaction(async (tx) => {
        await tx.putFlag(replaced);
        await tx.appendAudit({ ...draft('flag.delete', 'f'), before: replaced });
        await tx.appendChange({ environment: 'production', kind: 'flag', key: 'f', value: null });
      });
      expect(await store.getFlag('f')).toEqual(replaced);
      const [row] = await database.rows<{ version: number; created_at: string; updated_at: string }>(
        "SELECT version, created_at, updated_at FROM flags WHERE key = 'f'",
      );
      expect(row).toMatchObject({ version: 2, created_at: created!.created_at });
      expect(row!.updated_at > created!.updated_at).toBe(true);
      // NULL, not the JSON text 'null': SQL that tests for a missing document must keep working.
      expect(
        await database.rows(
          'SELECT CAST(count(*) AS INTEGER) AS n FROM audit WHERE before IS NOT NULL AND after IS NULL',
        ),
      ).toEqual([{ n: 1 }]);
      expect(
        await database.rows('SELECT CAST(count(*) AS INTEGER) AS n FROM changes WHERE value IS NULL'),
      ).toEqual([{ n: 1 }]);
      expect(await store.changesSince('production', 0)).toEqual([
        { environment: 'production', seq: 1, kind: 'flag', key: 'f', value: null },
      ]);
    });

    it('finds tokens by hash, updates them and lists them oldest first without their hashes', async () => {
      const token = (id: string, createdAt: string): StoredToken => ({
        id,
        name: `token ${id}`,
        kind: 'server',
        environment: 'production',
        hash: `hash-${id}`,
        createdAt,
        revokedAt: null,
      });
      await store.transaction(async (tx) => {
        await tx.insertToken(token('tok_b', '2025-01-02T00:00:00.000Z'));
        await tx.insertToken(token('tok_a', '2025-01-03T00:00:00.000Z'));
        await tx.updateToken('tok_b', { revokedAt: '2025-02-01T00:00:00.000Z' });
      });
      expect(await store.findTokenByHash('hash-tok_a')).toEqual(token('tok_a', '2025-01-03T00:00:00.000Z'));
      expect(await store.findTokenByHash('nope')).toBeUndefined();
      const listed = await store.listTokens();
      expect(listed.map((info) => [info.id, info.revokedAt])).toEqual([
        ['tok_b', '2025-02-01T00:00:00.000Z'],
        ['tok_a', null],
      ]);
      expect(listed.every((info) => !('hash' in info))).toBe(true);
      await expect(
        store.transaction((tx) => tx.insertToken(token('tok_c', '2025-01-04T00:00:00.000Z'))),
      ).resolves.toBeUndefined();
      // The hash is unique: a second token with the same secret cannot exist.
      await expect(
        store.transaction((tx) =>
          tx.insertToken({ ...token('tok_d', '2025-01-05T00:00:00.000Z'), hash: 'hash-tok_a' }),
        ),
      ).rejects.toThrow();
    });

    it('chains audit entries and lists them newest first with filters and a cursor', async () => {
      await store.transaction(async (tx) => {
        await tx.appendAudit(draft('flag.create', 'f1'));
        await tx.appendAudit({ ...draft('flag.kill', 'f1'), actor: { tokenId: 'tok_r', name: 'responder' } });
        await tx.appendAudit(draft('flag.create', 'f2'));
      });
      const chain = await store.readAuditChain(0, 10);
      expect(chain.map((entry) => entry.id)).toEqual([1, 2, 3]);
      expect(chain[1]!.prevHash).toBe(chain[0]!.hash);
      expect(await store.readAuditChain(1, 1)).toEqual([chain[1]]);

      const ids = async (query: Parameters<Repository['listAudit']>[0]) =>
        (await store.listAudit(query)).items.map((entry) => entry.id);
      expect(await ids({ limit: 10 })).toEqual([3, 2, 1]);
      expect(await ids({ limit: 10, flag: 'f1' })).toEqual([2, 1]);
      expect(await ids({ limit: 10, action: 'flag.create' })).toEqual([3, 1]);
      expect(await ids({ limit: 10, actor: 'responder' })).toEqual([2]);
      expect(await ids({ limit: 10, actor: 'tok_r' })).toEqual([2]);
      expect(await ids({ limit: 10, since: chain[0]!.at, until: chain[2]!.at })).toEqual([3, 2, 1]);
      expect(await ids({ limit: 10, since: '2999-01-01T00:00:00.000Z' })).toEqual([]);
      const first = await store.listAudit({ limit: 2 });
      expect(first.nextCursor).toBe('2');
      expect(await ids({ limit: 2, cursor: first.nextCursor! })).toEqual([1]);
      await expect(store.listAudit({ limit: 2, cursor: 'x' })).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('adds metric counts per environment, flag, variant, reason and window', async () => {
      const window = { windowStart: '2025-01-01T00:00:00.000Z', windowEnd: '2025-01-01T00:01:00.000Z' };
      await store.recordMetrics('production', {
        ...window,
        counts: [
          { flag: 'f', variant: 'on', reason: 'SPLIT', count: 5 },
          { flag: 'f', variant: null, reason: 'ERROR', count: 1 },
          { flag: 'f', variant: 'on', reason: 'SPLIT', count: 2 },
        ],
      });
      await store.recordMetrics('production', {
        ...window,
        counts: [{ flag: 'f', variant: 'on', reason: 'SPLIT', count: 7 }],
      });
      expect(
        await database.rows(
          'SELECT flag, variant, reason, window_start, CAST(count AS INTEGER) AS count FROM evaluation_metrics ORDER BY variant',
        ),
      ).toEqual([
        { flag: 'f', variant: '', reason: 'ERROR', window_start: window.windowStart, count: 1 },
        { flag: 'f', variant: 'on', reason: 'SPLIT', window_start: window.windowStart, count: 14 },
      ]);
    });

    it('reports ready while open and migrated, and not once closed', async () => {
      expect(await store.isReady()).toBe(true);
      await store.close();
      expect(await store.isReady()).toBe(false);
    });
  });
});

describe.skipIf(!dialects[1].available)('two PostgreSQL servers on one schema (replicas)', () => {
  let schema: TestSchema;
  let servers: TestServer[];
  beforeEach(async () => {
    schema = await createTestSchema();
    // Started together: the second one must wait for the first one's migrations and bootstrap.
    servers = await Promise.all(
      [0, 1].map(() => startServer({ database: { kind: 'postgres', url: schema.url } })),
    );
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await schema.drop();
  });

  it('bootstraps once: three environments, one configured admin token', async () => {
    const [a, b] = servers as [TestServer, TestServer];
    expect((await a.app.store.listEnvironments()).map((environment) => environment.key)).toEqual([
      'development',
      'staging',
      'production',
    ]);
    expect((await b.app.store.listTokens()).map((token) => token.kind)).toEqual(['admin']);
    expect((await a.request('GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true, entries: 4 });
  });

  it('lets one of two writes based on the same version win; the other gets 409', async () => {
    const [a, b] = servers as [TestServer, TestServer];
    await a.request('PUT', flagPath('contested'), { body: booleanFlag('contested') });
    const replies = await Promise.all(
      [a, b].map((server, index) =>
        server.request('PUT', flagPath('contested'), {
          body: { ...booleanFlag('contested', { description: `writer ${index}` }), version: 1 },
        }),
      ),
    );
    expect(replies.map((reply) => reply.status).sort()).toEqual([200, 409]);
    const loser = replies.find((reply) => reply.status === 409)!;
    expect(loser.body.currentVersion).toBe(2);
    const winner = replies.find((reply) => reply.status === 200)!;
    expect((await b.request('GET', flagPath('contested'))).body).toEqual(winner.body);
  });

  it('loses no update, forks no chain and reuses no seq when both write at once', async () => {
    const [a, b] = servers as [TestServer, TestServer];
    await a.request('PUT', flagPath('shared'), { body: booleanFlag('shared') });
    const values = Array.from({ length: 30 }, (_, index) => `user-${index}`);
    // Unversioned edits of the same flag: each must see the previous one's result.
    const replies = await Promise.all(
      values.map((value, index) =>
        (index % 2 === 0 ? a : b).request('POST', `${flagPath('shared')}/environments/production/targets`, {
          body: { variant: 'on', values: [value] },
        }),
      ),
    );
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    const flag = (await b.request('GET', flagPath('shared'))).body;
    expect(flag.version).toBe(1 + values.length);
    const targeted = flag.environments.production.targets.flatMap(
      (target: { values: string[] }) => target.values,
    );
    expect([...targeted].sort()).toEqual([...values].sort());

    expect((await b.request('GET', '/api/v1/audit/verify')).body.ok).toBe(true);
    const changes = (await a.app.store.changesSince('production', 0))!;
    expect(changes.map((change) => change.seq)).toEqual(changes.map((_, index) => index + 1));
    expect(changes).toHaveLength(1 + values.length);
  });
});

describe('SQLite specifics', () => {
  let database: ReturnType<typeof sqliteDatabase>;
  beforeEach(() => {
    database = sqliteDatabase();
  });
  afterEach(async () => {
    await database.dispose();
  });

  it('keeps the file in WAL mode', async () => {
    const store = await openStore({ database: database.config, changeLogRetention: 10 });
    expect(await database.rows('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    await store.close();
  });

  it('migrates once when two processes on one file both found the migrations pending', async () => {
    const first = openSqliteConnection(database.path);
    const second = openSqliteConnection(database.path);
    try {
      const migrations = readMigrations(SQLITE_MIGRATIONS_DIR);
      const targets = [new SqliteMigrationTarget(first), new SqliteMigrationTarget(second)];
      expect(await Promise.all(targets.map((target) => target.applied()))).toEqual([[], []]);
      for (const target of targets) for (const migration of migrations) await target.run(migration, 'up');
      expect(await targets[1]!.applied()).toEqual(migrations.map((migration) => migration.tag));
    } finally {
      first.close();
      second.close();
    }
  });
});

describe.skipIf(!dialects[1].available)('PostgreSQL migrations', () => {
  let schema: TestSchema;
  beforeEach(async () => {
    schema = await createTestSchema();
  });
  afterEach(async () => {
    await schema.drop();
  });

  /** Tables, columns, indexes and constraints of the schema, apart from the runner's bookkeeping. */
  const shapeOf = async () => ({
    columns: await schema.query(
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema = $1 AND table_name <> '__switchboard_migrations' ORDER BY table_name, column_name`,
      [schema.name],
    ),
    indexes: await schema.query(
      `SELECT indexname, indexdef FROM pg_indexes
       WHERE schemaname = $1 AND tablename <> '__switchboard_migrations' ORDER BY indexname`,
      [schema.name],
    ),
    constraints: await schema.query(
      `SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint
       WHERE connamespace = $1::regnamespace AND conrelid <> to_regclass('__switchboard_migrations') ORDER BY conname`,
      [schema.name],
    ),
  });

  it('up → down → up leaves the same schema in the search_path schema, and down leaves none', async () => {
    const pool = openPostgresPool(schema.url, 2);
    try {
      const target = new PostgresMigrationTarget(pool);
      const migrations = readMigrations(POSTGRES_MIGRATIONS_DIR);
      expect(await migrateUp(target, migrations)).toEqual(migrations.map((migration) => migration.tag));
      const first = await shapeOf();
      expect([...new Set(first.columns.map((column) => column.table_name))]).toEqual(
        expect.arrayContaining([
          'environments',
          'flags',
          'segments',
          'tokens',
          'audit',
          'changes',
          'evaluation_metrics',
        ]),
      );
      // Foreign keys point into this schema (drizzle-kit writes "public". into them): a reference to
      // a table outside the search_path would print schema-qualified.
      const foreignKeys = first.constraints
        .map((constraint) => String(constraint.definition))
        .filter((definition) => definition.startsWith('FOREIGN KEY'));
      expect(foreignKeys).toContain('FOREIGN KEY (environment) REFERENCES environments(key)');
      for (const definition of foreignKeys) expect(definition).toMatch(/REFERENCES [a-z_]+\(/);

      expect(await migrateDown(target, migrations, migrations.length)).toEqual(
        migrations.map((migration) => migration.tag).reverse(),
      );
      expect(await shapeOf()).toEqual({ columns: [], indexes: [], constraints: [] });
      expect(await target.applied()).toEqual([]);

      await migrateUp(target, migrations);
      expect(await shapeOf()).toEqual(first);
      expect(await migrateUp(target, migrations)).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('rolls a failing migration back as a whole', async () => {
    const pool = openPostgresPool(schema.url, 2);
    try {
      const target = new PostgresMigrationTarget(pool);
      const broken = {
        tag: '0000_broken',
        up: ['CREATE TABLE a (x integer)', 'CREATE TABLE a (y integer)'],
        down: [],
      };
      await expect(target.run(broken, 'up')).rejects.toThrow(/already exists/);
      expect(
        await schema.query("SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'a'", [
          schema.name,
        ]),
      ).toEqual([]);
      expect(await target.applied()).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('migrates once when several replicas start together', async () => {
    const stores = await Promise.all(
      Array.from({ length: 4 }, () => openPostgresStore({ url: schema.url, changeLogRetention: 10 })),
    );
    try {
      expect(await schema.query('SELECT tag FROM __switchboard_migrations')).toEqual(
        readMigrations(POSTGRES_MIGRATIONS_DIR).map((migration) => ({ tag: migration.tag })),
      );
      expect(await Promise.all(stores.map((store) => store.isReady()))).toEqual([true, true, true, true]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('refuses a search_path naming a schema that does not exist', async () => {
    const url = schema.url.replace(schema.name, `${schema.name}_missing`);
    await expect(openPostgresStore({ url, changeLogRetention: 10 })).rejects.toThrow(/no existing schema/);
  });

  it('takes the migration lock per schema, so another schema is not held up', async () => {
    const other = await createTestSchema();
    const pool = openPostgresPool(schema.url, 3);
    try {
      const opened = await withMigrationLock(pool, () =>
        openPostgresStore({ url: other.url, changeLogRetention: 10 }),
      );
      expect(await opened.isReady()).toBe(true);
      await opened.close();
    } finally {
      await pool.end();
      await other.drop();
    }
  });
});
