/** Shapes of the admin API's answers that the CLI reads (see server/README.md for the full API). */
import type { EvaluationResult, FlagDocument, SegmentDocument } from '@switchboard/core';

/** Lists come in pages: the items under a field named after them (`flags`, `entries`, …) and a cursor. */
export interface Paged {
  nextCursor: string | null;
}

export interface Environment {
  key: string;
  name: string;
}

export type TokenKind = 'admin' | 'editor' | 'responder' | 'viewer' | 'server' | 'client';
export const TOKEN_KINDS: readonly TokenKind[] = [
  'admin',
  'editor',
  'responder',
  'viewer',
  'server',
  'client',
];

export interface TokenInfo {
  id: string;
  name: string;
  kind: TokenKind;
  environment: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface CreatedToken extends TokenInfo {
  /** The secret: shown once, never again. */
  token: string;
}

export interface DiffOperation {
  op: 'add' | 'remove' | 'replace';
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: { tokenId: string; name: string };
  action: string;
  target: { kind: string; key: string };
  environment: string | null;
  reason: string | null;
  diff: DiffOperation[];
}

export interface AuditPage extends Paged {
  entries: AuditEntry[];
}

export type ChainVerdict =
  { ok: true; entries: number } | { ok: false; brokenAt: number; entries: number; problem?: string };

export type { EvaluationResult, FlagDocument, SegmentDocument };
