/**
 * Migration runner with both directions. drizzle-kit generates `NNNN_tag.sql` and lists it in
 * `meta/_journal.json`; each needs a hand-written `NNNN_tag.down.sql`. Statements are separated by
 * drizzle's `--> statement-breakpoint` marker. The store dialect supplies a MigrationTarget.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Migration {
  tag: string;
  up: string[];
  down: string[];
}

/** A database the runner can migrate. `run` executes statements and the bookkeeping atomically. */
export interface MigrationTarget {
  /** Tags of the applied migrations, oldest first. */
  applied(): Promise<string[]>;
  run(migration: Migration, direction: 'up' | 'down'): Promise<void>;
}

interface Journal {
  entries: Array<{ idx: number; tag: string }>;
}

const splitStatements = (sql: string) =>
  sql
    .split('--> statement-breakpoint')
    .map((statement) => statement.trim())
    .filter((statement) => statement.replace(/^--.*$/gm, '').trim() !== '');

export function readMigrations(directory: string): Migration[] {
  const journal = JSON.parse(readFileSync(join(directory, 'meta', '_journal.json'), 'utf8')) as Journal;
  return [...journal.entries]
    .sort((a, b) => a.idx - b.idx)
    .map(({ tag }) => {
      const downFile = join(directory, `${tag}.down.sql`);
      if (!existsSync(downFile)) throw new Error(`migration ${tag} has no down file (${downFile})`);
      return {
        tag,
        up: splitStatements(readFileSync(join(directory, `${tag}.sql`), 'utf8')),
        down: splitStatements(readFileSync(downFile, 'utf8')),
      };
    });
}

async function appliedPrefix(target: MigrationTarget, migrations: Migration[]): Promise<number> {
  const applied = await target.applied();
  applied.forEach((tag, index) => {
    if (migrations[index]?.tag !== tag) {
      throw new Error(
        `the database has migration ${tag} that this server does not know at position ${index}; ` +
          'it was written by a newer or different server version',
      );
    }
  });
  return applied.length;
}

/** Applies every pending migration in order; answers the tags applied now. */
export async function migrateUp(target: MigrationTarget, migrations: Migration[]): Promise<string[]> {
  const done = await appliedPrefix(target, migrations);
  const pending = migrations.slice(done);
  for (const migration of pending) await target.run(migration, 'up');
  return pending.map((migration) => migration.tag);
}

/** Rolls back the latest `steps` applied migrations, newest first; answers the tags rolled back. */
export async function migrateDown(
  target: MigrationTarget,
  migrations: Migration[],
  steps = 1,
): Promise<string[]> {
  const done = await appliedPrefix(target, migrations);
  const rollback = migrations.slice(Math.max(0, done - steps), done).reverse();
  for (const migration of rollback) await target.run(migration, 'down');
  return rollback.map((migration) => migration.tag);
}

/** True when every known migration is applied (and no unknown one). */
export async function isCurrent(target: MigrationTarget, migrations: Migration[]): Promise<boolean> {
  return (await appliedPrefix(target, migrations)) === migrations.length;
}
