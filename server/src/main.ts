#!/usr/bin/env node
/**
 * `switchboard-server` (node server/dist/main.js): starts the server configured by environment
 * variables. `switchboard-server migrate up|down [steps]` applies or rolls back SQLite migrations.
 */
import { buildApp } from './app';
import { ConfigError, loadConfig } from './config';
import { SQLITE_MIGRATIONS_DIR } from './paths';
import { migrateDown, migrateUp, readMigrations } from './store/migrations';
import { openSqliteConnection, SqliteMigrationTarget } from './store/sqlite';

function printAdminToken(token: string): void {
  process.stdout.write(
    [
      '',
      '  Switchboard generated the first admin token. It is shown only this once;',
      '  only its hash is stored. Keep it somewhere safe:',
      '',
      `    ${token}`,
      '',
      '  (Set SWITCHBOARD_ADMIN_TOKEN to choose the admin token yourself.)',
      '',
      '',
    ].join('\n'),
  );
}

async function migrate(direction: string | undefined, steps: string | undefined): Promise<void> {
  const config = loadConfig();
  if (config.database.kind !== 'sqlite') throw new ConfigError('migrate supports SQLite DATABASE_URLs only');
  if (direction !== 'up' && direction !== 'down') throw new ConfigError(USAGE);
  if (steps !== undefined && !/^[1-9]\d*$/.test(steps))
    throw new ConfigError('steps must be a positive integer');
  const connection = openSqliteConnection(config.database.path);
  try {
    const target = new SqliteMigrationTarget(connection);
    const migrations = readMigrations(SQLITE_MIGRATIONS_DIR);
    const tags =
      direction === 'up'
        ? await migrateUp(target, migrations)
        : await migrateDown(target, migrations, steps === undefined ? 1 : Number(steps));
    process.stdout.write(tags.length === 0 ? 'nothing to do\n' : `${direction}: ${tags.join(', ')}\n`);
  } finally {
    connection.close();
  }
}

async function serve(): Promise<void> {
  const config = loadConfig();
  const app = await buildApp(config, { onAdminTokenGenerated: printAdminToken });

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      app.log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal }, 'shutting down: no new connections, finishing requests, closing streams');
    // app.close() stops accepting, waits for in-flight requests and runs onClose hooks (streams, store).
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  await app.listen({ port: config.port, host: config.host });
}

const USAGE =
  'usage: switchboard-server            start the server (configured by environment variables)\n' +
  '       switchboard-server migrate up|down [steps]';

const [command, ...args] = process.argv.slice(2);
const run =
  command === undefined
    ? serve()
    : command === 'migrate'
      ? migrate(args[0], args[1])
      : Promise.reject(new ConfigError(USAGE));
run.catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`switchboard-server: ${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
