/**
 * The browser SDK's size as users ship it, measured on its build (gzip level 9 with node:zlib, as
 * sdk-browser/README.md states it): the minified `<script>` build as published, and the ESM entry as
 * an application's bundler would ship it (bundled with its chunk and minified by esbuild).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { repoDir } from '../lib/child';

export interface BundleSize {
  build: string;
  minifiedBytes: number;
  gzipBytes: number;
}

const DIST = path.join(repoDir, 'sdk-browser', 'dist');

function sizeOf(name: string, code: Uint8Array): BundleSize {
  return { build: name, minifiedBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

export async function browserBundleSizes(): Promise<BundleSize[]> {
  const script = path.join(DIST, 'switchboard.global.js');
  const esmEntry = path.join(DIST, 'index.js');
  for (const file of [script, esmEntry]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  }
  const bundled = await build({
    entryPoints: [esmEntry],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const [output] = bundled.outputFiles;
  if (!output) throw new Error('esbuild produced no output for sdk-browser/dist/index.js');
  return [
    sizeOf('sdk-browser <script> (dist/switchboard.global.js)', readFileSync(script)),
    sizeOf('sdk-browser ESM (dist/index.js, bundled + minified)', output.contents),
  ];
}
