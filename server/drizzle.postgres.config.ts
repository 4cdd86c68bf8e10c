import { defineConfig } from 'drizzle-kit';

// Generates server/drizzle/postgres/NNNN_*.sql from the PostgreSQL schema (same tables as
// src/store/schema.ts). Each generated migration needs a hand-written NNNN_*.down.sql beside it.
// Run: npx drizzle-kit generate --config drizzle.postgres.config.ts --name <tag>
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema-pg.ts',
  out: './drizzle/postgres',
});
