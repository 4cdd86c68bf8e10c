import type { FlagConfig, FlagDocument, SegmentDocument } from '@switchboard/core';
import { projectFlag } from '@switchboard/core';
import { jsonEqual } from '../audit/canonical';
import type { Actor, AuditEntry, AuditTargetKind } from '../audit/chain';
import { jsonDiff } from '../audit/diff';
import type { ChangeNotice, ChangeRecord } from '../fanout/fanout';
import type { StoreTransaction } from '../store/repository';

export interface AuditFacts {
  action: string;
  target: { kind: AuditTargetKind; key: string };
  environment?: string | null;
  reason?: string | null;
  before: unknown;
  after: unknown;
}

/** Two projections are the same change for SDKs when they differ at most in the flag version. */
function sameProjection(a: FlagConfig | undefined, b: FlagConfig | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return jsonEqual({ ...a, version: 0 }, { ...b, version: 0 });
}

/**
 * One mutation in progress: its transaction, its actor, and the change notices to publish once it
 * commits (one per environment, carrying that environment's change records).
 */
export class Write {
  readonly notices = new Map<string, ChangeNotice>();
  /** Audit entries appended by this write, told to onAudited listeners after the commit. */
  readonly audited: AuditEntry[] = [];

  constructor(
    readonly tx: StoreTransaction,
    readonly actor: Actor,
  ) {}

  async audit(facts: AuditFacts): Promise<AuditEntry> {
    const before = facts.before ?? null;
    const after = facts.after ?? null;
    // A created or deleted document is in full in before/after; the diff only marks the event.
    const diff =
      before === null || after === null
        ? [{ op: before === null ? 'add' : 'remove', path: '' } as const]
        : jsonDiff(before, after);
    const entry = await this.tx.appendAudit({
      actor: this.actor,
      action: facts.action,
      target: facts.target,
      environment: facts.environment ?? null,
      reason: facts.reason ?? null,
      before,
      after,
      diff,
    });
    this.audited.push(entry);
    return entry;
  }

  private async recordChange(change: Omit<ChangeRecord, 'seq'>, urgent: boolean): Promise<void> {
    const record = await this.tx.appendChange(change);
    const notice = this.notices.get(record.environment) ?? {
      environment: record.environment,
      seq: record.seq,
      urgent: false,
      changes: [],
    };
    notice.seq = record.seq;
    notice.urgent ||= urgent;
    notice.changes?.push(record);
    this.notices.set(record.environment, notice);
  }

  /** Appends a change for every environment whose SDK view of the flag changed. */
  async flagChanged(
    key: string,
    before: FlagDocument | undefined,
    after: FlagDocument | undefined,
    urgent = false,
  ) {
    for (const { key: environment } of await this.tx.listEnvironments()) {
      const previous = before && projectFlag(before, environment);
      const next = after && projectFlag(after, environment);
      if (!sameProjection(previous, next)) {
        await this.recordChange({ environment, kind: 'flag', key, value: next ?? null }, urgent);
      }
    }
  }

  /** Segments belong to every environment's ruleset. */
  async segmentChanged(key: string, after: SegmentDocument | undefined) {
    for (const { key: environment } of await this.tx.listEnvironments()) {
      await this.recordChange({ environment, kind: 'segment', key, value: after ?? null }, false);
    }
  }
}
