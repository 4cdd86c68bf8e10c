/**
 * Tickets for OFREP's change-notification stream. OFREP web providers connect with `EventSource`, which
 * cannot send headers, so the stream URL itself must authorize. The URL carries a ticket, not the key:
 * `<tokenId>.<mac>`, mac = HMAC-SHA256 keyed with the key's stored hash. A ticket
 *
 * - grants only the environment's "something changed, re-fetch" notifications (no values, no flag keys);
 * - is deterministic per key, so the bulk answer (and its ETag) stays the same between changes;
 * - dies with its key: verification reads the token, so a revoked key's ticket is refused;
 * - can be checked by any replica, since it needs nothing but the store.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isSdkKind } from '../auth/tokens';
import type { StoredToken } from '../store/repository';

const PURPOSE = 'switchboard/ofrep-event-stream\n';
const TICKET = /^([\w-]{1,100})\.([\w-]{43})$/;

function mac(tokenId: string, tokenHash: string): Buffer {
  return createHmac('sha256', Buffer.from(tokenHash, 'hex'))
    .update(PURPOSE + tokenId)
    .digest();
}

export function eventStreamTicket(tokenId: string, tokenHash: string): string {
  return `${tokenId}.${mac(tokenId, tokenHash).toString('base64url')}`;
}

/** The SDK key the ticket was issued for, or null when it is malformed, forged, revoked or not an SDK key. */
export async function verifyEventStreamTicket(
  ticket: string,
  findToken: (tokenId: string) => Promise<StoredToken | undefined>,
): Promise<StoredToken | null> {
  const match = TICKET.exec(ticket);
  if (match === null) return null;
  const [, tokenId, presented] = match as unknown as [string, string, string];
  const token = await findToken(tokenId);
  if (token === undefined || token.revokedAt !== null || !isSdkKind(token.kind) || token.environment === null)
    return null;
  const expected = mac(tokenId, token.hash);
  const given = Buffer.from(presented, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected) ? token : null;
}
