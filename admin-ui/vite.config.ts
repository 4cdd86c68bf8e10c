import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// `npm run dev -w admin-ui` proxies the API to a running server (default the server's default port).
const apiTarget = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:7070';

export default defineConfig({
  // Relative asset URLs: the server serves dist/ at `/`, and the build works under any mount path.
  base: './',
  // core's sources, not its single-file dist, so the bundle takes only the modules the UI uses.
  resolve: {
    alias: { '@switchboard/core': fileURLToPath(new URL('../core/src/index.ts', import.meta.url)) },
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { proxy: { '/api': apiTarget } },
});
