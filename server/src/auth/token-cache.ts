/**
 * Verified tokens by secret hash, so that authenticating a request (every SDK stream connect and
 * report, every admin call) costs no store read: at thousands of SDK instances those reads queue in
 * front of everything else the store does, kills included.
 *
 * Revocation stays immediate on this server: the revoked token's entries are dropped as the
 * revocation commits, and a lookup that was running meanwhile (it may have read the row from before)
 * is answered but not kept. A revocation on another replica is seen once the entry expires (`ttlMs`).
 * Unknown and revoked tokens are never kept, so failures still reach the store and the limiter.
 */
import type { StoredToken } from '../store/repository';

export class TokenCache {
  private readonly entries = new Map<string, { token: StoredToken; expiresAt: number }>();
  /** Bumped by every revocation: a lookup that started before one must not be kept. */
  private revocations = 0;

  constructor(
    private readonly lookup: (hash: string) => Promise<StoredToken | undefined>,
    private readonly options: { ttlMs: number; maxEntries: number },
    private readonly now: () => number = Date.now,
  ) {}

  async find(hash: string): Promise<StoredToken | undefined> {
    const cached = this.entries.get(hash);
    if (cached !== undefined && cached.expiresAt > this.now()) return cached.token;
    this.entries.delete(hash);
    const revocations = this.revocations;
    const token = await this.lookup(hash);
    if (token !== undefined && token.revokedAt === null && revocations === this.revocations) {
      // Map order is insertion order: the oldest entry goes first.
      if (this.entries.size >= this.options.maxEntries) {
        this.entries.delete(this.entries.keys().next().value as string);
      }
      this.entries.set(hash, { token, expiresAt: this.now() + this.options.ttlMs });
    }
    return token;
  }

  /** The token was revoked (committed): forget it now. */
  revoked(tokenId: string): void {
    this.revocations++;
    for (const [hash, entry] of this.entries) if (entry.token.id === tokenId) this.entries.delete(hash);
  }
}
