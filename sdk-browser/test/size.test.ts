/** The size budget of the core client: under 4 KB min+gzip, measured on the published `<script>` build. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';

const BUDGET_BYTES = 4 * 1024;
const IIFE_BUILD = fileURLToPath(new URL('../dist/switchboard.global.js', import.meta.url));

it('the minified <script> build gzips to under 4 KB and bundles no dependency', () => {
  if (!existsSync(IIFE_BUILD))
    execFileSync('npm', ['run', 'build'], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
  const script = readFileSync(IIFE_BUILD);
  expect(gzipSync(script, { level: 9 }).length).toBeLessThan(BUDGET_BYTES);
  expect(script.toString('utf8')).not.toMatch(/@switchboard\/core|typebox|murmur/i);
});
