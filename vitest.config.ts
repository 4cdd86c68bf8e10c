import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against sources; built dist is only needed by tests that spawn the server binary.
    alias: [
      { find: /^@switchboard\/core$/, replacement: src('./core/src/index.ts') },
      { find: /^@switchboard\/sdk-node\/openfeature$/, replacement: src('./sdk-node/src/openfeature.ts') },
      { find: /^@switchboard\/sdk-node$/, replacement: src('./sdk-node/src/index.ts') },
      { find: /^@switchboard\/sdk-browser$/, replacement: src('./sdk-browser/src/index.ts') },
      { find: /^@switchboard\/react$/, replacement: src('./react/src/index.ts') },
      { find: /^@switchboard\/server$/, replacement: src('./server/src/index.ts') },
    ],
  },
  test: {
    include: ['{core,server,sdk-node,sdk-browser,react,cli,admin-ui,test,benchmarks}/**/*.test.{ts,tsx}'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    // Browser end-to-end tests share two cores with the server and chromium under CI; a test that fails twice
    // in a row still fails the run.
    retry: process.env.CI === 'true' ? 1 : 0,
    hookTimeout: 60_000,
  },
});
