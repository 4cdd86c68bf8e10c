import { defineConfig } from 'drizzle-kit';

// Generates server/drizzle/sqlite/NNNN_*.sql from the schema. Each generated migration needs a
// hand-written NNNN_*.down.sql beside it (the runner refuses to apply one without).
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/store/schema.ts',
  out: './drizzle/sqlite',
});
