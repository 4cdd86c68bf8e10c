import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoDir } from './child';

/** The built entry points the suites load, with the sources they are built from. */
const BUILT = [
  { entry: 'core/dist/index.js', sources: 'core/src' },
  { entry: 'sdk-node/dist/index.js', sources: 'sdk-node/src' },
  { entry: 'server/dist/main.js', sources: 'server/src' },
  { entry: 'sdk-browser/dist/switchboard.global.js', sources: 'sdk-browser/src' },
] as const;

function newestModification(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestModification(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Benchmarks measure the built packages users get. Returns what is missing (an error) and what is older
 * than its sources (a warning).
 */
export function checkBuilt(): { missing: string[]; stale: string[] } {
  const missing: string[] = [];
  const stale: string[] = [];
  for (const { entry, sources } of BUILT) {
    const built = path.join(repoDir, entry);
    if (!existsSync(built)) missing.push(entry);
    else if (newestModification(path.join(repoDir, sources)) > statSync(built).mtimeMs) stale.push(entry);
  }
  return { missing, stale };
}
