/**
 * The keys a relay accepts: its own server SDK key (downstream SDKs present the very key the relay
 * follows its upstream with) and the client keys it was given, all for the one environment of that
 * SDK key. A relay has no token table; it answers the auth plugin's lookups from these. When the
 * upstream refuses the SDK key (revoked), every key stops working and open streams are closed.
 */
import { hashSecret } from '../auth/tokens';
import type { StoredToken } from '../store/repository';

export class RelayKeys {
  private readonly keys: ReadonlyMap<string, Omit<StoredToken, 'environment' | 'revokedAt'>>;
  private revokedAt: string | null = null;
  private readonly revocationListeners = new Set<(tokenId: string) => void>();

  constructor(
    sdkKey: string,
    clientKeys: readonly string[],
    private readonly environment: () => string | null,
  ) {
    const createdAt = new Date().toISOString();
    const entries = [
      { id: 'relay-sdk-key', name: 'relay SDK key', kind: 'server' as const, secret: sdkKey },
      ...clientKeys.map((secret, index) => ({
        id: `relay-client-key-${index + 1}`,
        name: `relay client key ${index + 1}`,
        kind: 'client' as const,
        secret,
      })),
    ];
    this.keys = new Map(
      entries.map(({ secret, ...key }) => {
        const hash = hashSecret(secret);
        return [hash, { ...key, hash, createdAt }];
      }),
    );
  }

  async findTokenByHash(hash: string): Promise<StoredToken | undefined> {
    const key = this.keys.get(hash);
    return key && { ...key, environment: this.environment(), revokedAt: this.revokedAt };
  }

  async findTokenById(id: string): Promise<StoredToken | undefined> {
    const key = [...this.keys.values()].find((candidate) => candidate.id === id);
    return key && { ...key, environment: this.environment(), revokedAt: this.revokedAt };
  }

  onTokenRevoked(listener: (tokenId: string) => void): () => void {
    this.revocationListeners.add(listener);
    return () => this.revocationListeners.delete(listener);
  }

  /** The upstream refused the SDK key: refuse every key from now on and end their streams. */
  revokeAll(): void {
    if (this.revokedAt !== null) return;
    this.revokedAt = new Date().toISOString();
    for (const { id } of this.keys.values()) {
      for (const listener of this.revocationListeners) listener(id);
    }
  }
}
