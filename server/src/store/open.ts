import type { ServerConfig } from '../config';
import { ConfigError } from '../config';
import type { Repository } from './repository';
import { openSqliteStore } from './sqlite';

/** Opens the store DATABASE_URL names and brings its schema up to date. */
export async function openStore(
  config: Pick<ServerConfig, 'database' | 'changeLogRetention'>,
): Promise<Repository> {
  if (config.database.kind === 'postgres') {
    throw new ConfigError(
      'DATABASE_URL names PostgreSQL: the PostgreSQL store arrives with the scale-out issue. ' +
        'Use a SQLite file path (the default is ./data/switchboard.db) for now.',
    );
  }
  return openSqliteStore({ path: config.database.path, changeLogRetention: config.changeLogRetention });
}
