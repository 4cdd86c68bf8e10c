import { mkdtempSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS_DIR } from '../src/paths';
import { migrateDown, migrateUp, readMigrations } from '../src/store/migrations';
import { SqliteMigrationTarget } from '../src/store/sqlite';

let dir: string;
let db: Database.Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-migrations-'));
  db = new Database(join(dir, 'm.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every table, index and column definition, apart from the runner's own bookkeeping table. */
const schemaOf = (connection: Database.Database) =>
  connection
    .prepare(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name <> '__switchboard_migrations' ORDER BY name",
    )
    .all() as Array<{ type: string; name: string; tbl_name: string; sql: string | null }>;

describe('migrations', () => {
  it('up → down → up leaves the same schema, and down leaves none', async () => {
    const target = new SqliteMigrationTarget(db);
    const migrations = readMigrations(SQLITE_MIGRATIONS_DIR);
    expect(migrations.length).toBeGreaterThan(0);

    expect(await migrateUp(target, migrations)).toEqual(migrations.map((migration) => migration.tag));
    const first = schemaOf(db);
    expect(first.map((row) => row.name)).toEqual(
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

    expect(await migrateDown(target, migrations, migrations.length)).toEqual(
      migrations.map((migration) => migration.tag).reverse(),
    );
    expect(schemaOf(db)).toEqual([]);
    expect(await target.applied()).toEqual([]);

    await migrateUp(target, migrations);
    expect(schemaOf(db)).toEqual(first);
    expect(await migrateUp(target, migrations)).toEqual([]);
  });

  it('rolls back one step at a time, newest first', async () => {
    const target = new SqliteMigrationTarget(db);
    const migrations = readMigrations(SQLITE_MIGRATIONS_DIR);
    await migrateUp(target, migrations);
    const newest = migrations[migrations.length - 1]!.tag;
    expect(await migrateDown(target, migrations)).toEqual([newest]);
    expect(await target.applied()).toEqual(migrations.slice(0, -1).map((migration) => migration.tag));
  });

  it('refuses a database migrated by a server that knows migrations this one does not', async () => {
    const target = new SqliteMigrationTarget(db);
    await target.applied();
    db.prepare('INSERT INTO __switchboard_migrations (tag, applied_at) VALUES (?, ?)').run(
      '9999_future',
      'now',
    );
    await expect(migrateUp(target, readMigrations(SQLITE_MIGRATIONS_DIR))).rejects.toThrow(/9999_future/);
  });

  it('refuses a migration without a down file', () => {
    const copy = join(dir, 'migrations');
    mkdirSync(copy);
    cpSync(SQLITE_MIGRATIONS_DIR, copy, { recursive: true });
    const [first] = readMigrations(SQLITE_MIGRATIONS_DIR);
    rmSync(join(copy, `${first!.tag}.down.sql`));
    writeFileSync(join(copy, 'README'), 'down file removed on purpose');
    expect(() => readMigrations(copy)).toThrow(/no down file/);
  });

  it('rolls a failing migration back as a whole', async () => {
    const target = new SqliteMigrationTarget(db);
    const broken = {
      tag: '0000_broken',
      up: ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE a (y INTEGER)'],
      down: [],
    };
    await expect(target.run(broken, 'up')).rejects.toThrow(/already exists/);
    expect(schemaOf(db)).toEqual([]);
    expect(await target.applied()).toEqual([]);
  });
});
