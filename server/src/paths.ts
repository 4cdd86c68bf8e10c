import { fileURLToPath } from 'node:url';

// This file sits one level below the package root both as source (src/paths.ts) and bundled
// (dist/*.js), so these resolve the same in tests, in dist and in an installed package.
export const SQLITE_MIGRATIONS_DIR = fileURLToPath(new URL('../drizzle/sqlite', import.meta.url));
export const POSTGRES_MIGRATIONS_DIR = fileURLToPath(new URL('../drizzle/postgres', import.meta.url));
export const ADMIN_UI_DIST_DIR = fileURLToPath(new URL('../../admin-ui/dist', import.meta.url));
