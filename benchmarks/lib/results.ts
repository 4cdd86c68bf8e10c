import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchmarksDir } from './child';

/** Writes a suite's results to benchmarks/results/<suite>-<timestamp>.json and returns the path. */
export function writeResults(
  suite: string,
  results: unknown,
  dir = path.join(benchmarksDir, 'results'),
): string {
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '');
  const file = path.join(dir, `${suite}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
