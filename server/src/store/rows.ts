/** Row mapping and cursor paging shared by the SQLite and PostgreSQL stores (same columns in both). */
import type { AuditEntry, AuditTargetKind } from '../audit/chain';
import type { DiffOperation } from '../audit/diff';
import type { Page, StoredToken, TokenInfo, TokenKind } from './repository';
import { InvalidCursorError } from './repository';

export const encodeKeyCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');

export function decodeKeyCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (key === '' || encodeKeyCursor(key) !== cursor)
    throw new InvalidCursorError(`invalid cursor "${cursor}"`);
  return key;
}

export function decodeIdCursor(cursor: string): number {
  if (!/^[1-9]\d{0,15}$/.test(cursor)) throw new InvalidCursorError(`invalid cursor "${cursor}"`);
  return Number(cursor);
}

/** `rows` holds up to limit + 1 items: the extra one only says that another page follows. */
export function page<T>(rows: T[], limit: number, cursorOf: (last: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

/** The audit table's columns, as both schemas declare them (a type alias: it fills prepared placeholders). */
export type AuditRow = {
  id: number;
  at: string;
  actorId: string;
  actorName: string;
  action: string;
  targetKind: string;
  targetKey: string;
  environment: string | null;
  reason: string | null;
  before: unknown;
  after: unknown;
  diff: DiffOperation[];
  prevHash: string;
  hash: string;
};

export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actor: { tokenId: row.actorId, name: row.actorName },
    action: row.action,
    target: { kind: row.targetKind as AuditTargetKind, key: row.targetKey },
    environment: row.environment,
    reason: row.reason,
    before: row.before,
    after: row.after,
    diff: row.diff,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

export function toAuditRow(entry: AuditEntry): AuditRow {
  return {
    id: entry.id,
    at: entry.at,
    actorId: entry.actor.tokenId,
    actorName: entry.actor.name,
    action: entry.action,
    targetKind: entry.target.kind,
    targetKey: entry.target.key,
    environment: entry.environment,
    reason: entry.reason,
    before: entry.before,
    after: entry.after,
    diff: entry.diff,
    prevHash: entry.prevHash,
    hash: entry.hash,
  };
}

export const toStoredToken = (row: Omit<StoredToken, 'kind'> & { kind: string }): StoredToken => ({
  ...row,
  kind: row.kind as TokenKind,
});

export const toTokenInfo = ({ hash: _hash, ...info }: StoredToken): TokenInfo => info;
