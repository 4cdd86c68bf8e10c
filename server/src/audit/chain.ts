import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical';
import type { AuditActor, AuditEntry, ChainVerdict } from '@switchboard/core';

export type { AuditEntry, AuditTargetKind, ChainVerdict } from '@switchboard/core';
export type Actor = AuditActor;

/** Actor of changes the server makes itself (first start, configured admin token). */
export const SYSTEM_ACTOR: Actor = { tokenId: 'system', name: 'system' };

/** What a mutation says about itself; the store adds id, time and the chain link. */
export type AuditDraft = Omit<AuditEntry, 'id' | 'at' | 'prevHash' | 'hash'>;

export const GENESIS_HASH = '0'.repeat(64);

export function hashEntry(entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(entry.prevHash).update(canonicalJson(entry)).digest('hex');
}

/**
 * Links a draft to the chain after `previous` (the last stored entry, if any). Stores call this
 * inside the write transaction that holds the chain's write lock, so two writers never fork it.
 */
export function chainEntry(
  draft: AuditDraft,
  previous: { id: number; hash: string } | undefined,
): AuditEntry {
  const content = {
    ...draft,
    id: (previous?.id ?? 0) + 1,
    at: new Date().toISOString(),
    prevHash: previous?.hash ?? GENESIS_HASH,
  };
  return { ...content, hash: hashEntry(content) };
}

/**
 * Checks entries in chain order, batch by batch: each must link to the previous hash and hash to
 * its stored value. `entries` counts the entries checked (up to the break).
 */
export async function verifyChain(
  readBatch: (afterId: number) => Promise<AuditEntry[]>,
): Promise<ChainVerdict> {
  let previousHash = GENESIS_HASH;
  let previousId = 0;
  let checked = 0;
  for (let batch = await readBatch(0); batch.length > 0; batch = await readBatch(previousId)) {
    for (const entry of batch) {
      const { hash, ...content } = entry;
      if (entry.prevHash !== previousHash) {
        return {
          ok: false,
          brokenAt: entry.id,
          entries: checked,
          problem: 'prevHash does not match the previous entry',
        };
      }
      if (hashEntry(content) !== hash) {
        return {
          ok: false,
          brokenAt: entry.id,
          entries: checked,
          problem: 'entry content does not match its hash',
        };
      }
      previousHash = hash;
      previousId = entry.id;
      checked++;
    }
  }
  return { ok: true, entries: checked, head: previousHash };
}
