import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // npm consumers: ESM + CommonJS with types; the OpenFeature provider is its own entry point.
    entry: ['src/index.ts', 'src/openfeature.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    // Both builds write into dist/ at the same time: this one must not delete the other's file.
    clean: ['!switchboard.global.js'],
    target: 'es2020',
    external: ['@openfeature/web-sdk'],
  },
  {
    // A `<script>` tag: `window.Switchboard.createClient(…)`.
    entry: { switchboard: 'src/index.ts' },
    format: ['iife'],
    globalName: 'Switchboard',
    minify: true,
    target: 'es2020',
    outExtension: () => ({ js: '.global.js' }),
  },
]);
