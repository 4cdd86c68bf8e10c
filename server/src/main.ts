#!/usr/bin/env node
/**
 * `switchboard-server` (node server/dist/main.js): starts the server configured by environment
 * variables. `switchboard-server migrate up|down [steps]` applies or rolls back migrations (SQLite
 * or PostgreSQL). `switchboard-server --relay …` starts a relay (relay/config.ts).
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app';
import { ConfigError, loadConfig } from './config';
import { POSTGRES_MIGRATIONS_DIR, SQLITE_MIGRATIONS_DIR } from './paths';
import { buildRelayApp } from './relay/app';
import { isRelayMode, loadRelayConfig, RELAY_USAGE } from './relay/config';
import type { Migration, MigrationTarget } from './store/migrations';
import { migrateDown, migrateUp, readMigrations } from './store/migrations';
import { openPostgresPool, PostgresMigrationTarget, withMigrationLock } from './store/postgres';
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
  const { database } = loadConfig();
  if (direction !== 'up' && direction !== 'down') throw new ConfigError(USAGE);
  if (steps !== undefined && !/^[1-9]\d*$/.test(steps))
    throw new ConfigError('steps must be a positive integer');
  const run = async (target: MigrationTarget, migrations: Migration[]) => {
    const tags =
      direction === 'up'
        ? await migrateUp(target, migrations)
        : await migrateDown(target, migrations, steps === undefined ? 1 : Number(steps));
    process.stdout.write(tags.length === 0 ? 'nothing to do\n' : `${direction}: ${tags.join(', ')}\n`);
  };
  if (database.kind === 'postgres') {
    const pool = openPostgresPool(database.url, 2);
    try {
      const target = new PostgresMigrationTarget(pool);
      await withMigrationLock(pool, () => run(target, readMigrations(POSTGRES_MIGRATIONS_DIR)));
    } finally {
      await pool.end();
    }
    return;
  }
  const connection = openSqliteConnection(database.path);
  try {
    await run(new SqliteMigrationTarget(connection), readMigrations(SQLITE_MIGRATIONS_DIR));
  } finally {
    connection.close();
  }
}

async function serve(flagsFile?: string): Promise<void> {
  const config = { ...loadConfig(), ...(flagsFile === undefined ? {} : { flagsFile }) };
  const app = await buildApp(config, { onAdminTokenGenerated: printAdminToken });
  await listenUntilSignalled(app, config);
}

async function relay(args: string[]): Promise<void> {
  const config = loadRelayConfig(args);
  await listenUntilSignalled(await buildRelayApp(config), config);
}

const SHUTDOWN_GRACE_MS = 10_000;

/** Listens; SIGTERM/SIGINT close gracefully (a second signal exits at once). */
async function listenUntilSignalled(
  app: FastifyInstance,
  config: { port: number; host: string },
): Promise<void> {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      app.log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal }, 'shutting down: no new connections, finishing requests, closing streams');
    // app.close() stops accepting, waits for in-flight requests and runs onClose hooks (streams, store).
    // A peer that keeps a connection open past the grace period must not hold the process up.
    setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
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
  '       switchboard-server --flags-file FILE   start read-only, serving the flags of a YAML file\n' +
  '       switchboard-server migrate up|down [steps]\n' +
  `       ${RELAY_USAGE.replaceAll('\n', '\n       ')}`;

const argv = process.argv.slice(2);
const [command, ...args] = argv;
const run =
  command !== 'migrate' && isRelayMode(argv)
    ? relay(argv)
    : command === undefined
      ? serve()
      : command === '--flags-file' && args.length === 1
        ? serve(args[0])
        : command === 'migrate'
          ? migrate(args[0], args[1])
          : Promise.reject(new ConfigError(USAGE));
run.catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`switchboard-server: ${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
