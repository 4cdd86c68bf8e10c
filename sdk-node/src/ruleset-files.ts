import { readFileSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { EnvironmentRuleset } from '@switchboard/core';
import { isEnvironmentRuleset } from './wire-guards';

/**
 * Reads a ruleset file (a bootstrap export or the SDK's own cache). Synchronous on purpose: it runs
 * once in createClient, so that the very next line of the host can already evaluate flags.
 */
export function readRulesetFile(path: string): EnvironmentRuleset {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isEnvironmentRuleset(parsed)) {
    throw new Error(`${path} is not an environment ruleset ({ environment, version, flags, segments })`);
  }
  return parsed;
}

/**
 * Writes the last known ruleset so a restarted process can serve it with the server down.
 * Atomic (write a temporary file, then rename over the target): a crash mid-write leaves the old
 * file intact, never a truncated one. Writes are serialised and coalesced to the latest ruleset.
 */
export class RulesetCacheFile {
  private latest: EnvironmentRuleset | null = null;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly path: string,
    private readonly onError: (error: Error) => void,
  ) {}

  save(ruleset: EnvironmentRuleset): void {
    this.latest = ruleset;
    this.writing ??= this.drain();
  }

  /** Resolves once everything saved so far is on disk (or failed). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    // Let a burst of patches settle into one write.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.latest) {
      const ruleset = this.latest;
      this.latest = null;
      const temporary = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await writeFile(temporary, JSON.stringify(ruleset));
        await rename(temporary, this.path);
      } catch (error) {
        await unlink(temporary).catch(() => {});
        this.onError(error as Error);
      }
    }
    this.writing = null;
  }
}
