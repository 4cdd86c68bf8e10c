/** Shapes of the admin API's answers that the CLI reads (see server/README.md for the full API). */
import type { AuditEntry } from '@switchboard/core';

export { TOKEN_KINDS } from '@switchboard/core';
export type {
  AuditEntry,
  ChainVerdict,
  CreatedToken,
  DiffOperation,
  Environment,
  EvaluationResult,
  FlagDocument,
  SegmentDocument,
  TokenInfo,
  TokenKind,
} from '@switchboard/core';

/** Lists come in pages: the items under a field named after them (`flags`, `entries`, …) and a cursor. */
export interface Paged {
  nextCursor: string | null;
}

export interface AuditPage extends Paged {
  entries: AuditEntry[];
}
