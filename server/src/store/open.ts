import type { ServerConfig } from '../config';
import { openPostgresStore } from './postgres';
import type { Repository } from './repository';
import { openSqliteStore } from './sqlite';

/** Opens the store DATABASE_URL names and brings its schema up to date. */
export async function openStore(
  config: Pick<ServerConfig, 'database' | 'changeLogRetention'>,
): Promise<Repository> {
  if (config.database.kind === 'postgres') {
    return openPostgresStore({ url: config.database.url, changeLogRetention: config.changeLogRetention });
  }
  return openSqliteStore({ path: config.database.path, changeLogRetention: config.changeLogRetention });
}
