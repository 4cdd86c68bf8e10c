/**
 * The real PostgreSQL the tests use (127.0.0.1:5432, trust auth, database `test`; override with
 * SWITCHBOARD_TEST_POSTGRES_URL). Each caller gets its own schema, dropped afterwards, so test runs
 * and test files never see each other's rows. When PostgreSQL is unreachable the suites that need it
 * are skipped with a warning, except with CI=true, where that is a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL =
  process.env.SWITCHBOARD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * True when PostgreSQL answers. Unreachable: warns and answers false, or throws when CI=true
 * (a CI run must not pass by skipping).
 */
export async function postgresAvailable(suite: string): Promise<boolean> {
  const problem = await probe();
  if (problem === null) return true;
  const message = `PostgreSQL at ${POSTGRES_URL} is unreachable (${problem})`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI=true, so ${suite} may not be skipped`);
  console.warn(`\n  SKIPPING ${suite}: ${message}\n`);
  return false;
}

export interface TestSchema {
  /** Its name, `sb_test_<random>`. */
  name: string;
  /** POSTGRES_URL with search_path set to the schema. */
  url: string;
  /** Runs SQL in the schema (for looking behind the store's back). */
  query<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createTestSchema(): Promise<TestSchema> {
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name}`);
  await admin.query(`SET search_path TO ${name}`);
  const separator = POSTGRES_URL.includes('?') ? '&' : '?';
  return {
    name,
    url: `${POSTGRES_URL}${separator}options=${encodeURIComponent(`-c search_path=${name}`)}`,
    async query<T extends pg.QueryResultRow>(text: string, values?: unknown[]) {
      return (await admin.query<T>(text, values)).rows;
    },
    async drop() {
      try {
        await admin.query(`DROP SCHEMA ${name} CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
