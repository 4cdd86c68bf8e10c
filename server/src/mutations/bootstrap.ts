/** What the server sets up on start: the default environments and an admin token. */
import { SYSTEM_ACTOR } from '../audit/chain';
import { hashSecret } from '../auth/tokens';
import type { Mutations } from './index';
import { insertEnvironment, insertToken } from './index';

export const DEFAULT_ENVIRONMENTS = ['development', 'staging', 'production'] as const;

/** The token row that SWITCHBOARD_ADMIN_TOKEN maps to; changing the variable rotates its secret. */
export const CONFIGURED_ADMIN_TOKEN_ID = 'tok_configured_admin';

export interface BootstrapResult {
  /** A new admin secret, when none was configured and no admin token existed: show it once. */
  generatedAdminToken?: string;
  /** Problems an operator should hear about (logged as warnings). */
  warnings: string[];
}

export function bootstrapStore(
  mutations: Mutations,
  configuredAdminToken: string | undefined,
): Promise<BootstrapResult> {
  return mutations.commitAs(SYSTEM_ACTOR, async (write) => {
    if ((await write.tx.listEnvironments()).length === 0) {
      for (const key of DEFAULT_ENVIRONMENTS) await insertEnvironment(write, { key });
    }
    const tokens = await write.tx.listTokens();
    if (configuredAdminToken !== undefined) {
      const hash = hashSecret(configuredAdminToken);
      const existing = tokens.find((token) => token.hash === hash);
      if (existing) {
        const revoked = existing.revokedAt !== null;
        return {
          warnings: revoked ? ['SWITCHBOARD_ADMIN_TOKEN is a revoked token: it will not authenticate'] : [],
        };
      }
      const configured = tokens.find((token) => token.id === CONFIGURED_ADMIN_TOKEN_ID);
      if (configured) {
        const { hash: _hash, ...before } = configured;
        const after = { ...before, revokedAt: null };
        await write.tx.updateToken(configured.id, { hash, revokedAt: null });
        await write.audit({
          action: 'token.rotate',
          target: { kind: 'token', key: configured.id },
          reason: 'SWITCHBOARD_ADMIN_TOKEN changed',
          before,
          after,
        });
      } else {
        await insertToken(
          write,
          { name: 'admin (SWITCHBOARD_ADMIN_TOKEN)', kind: 'admin' },
          { id: CONFIGURED_ADMIN_TOKEN_ID, secret: configuredAdminToken },
        );
      }
      return { warnings: [] };
    }
    if (tokens.some((token) => token.kind === 'admin' && token.revokedAt === null)) return { warnings: [] };
    const { secret } = await insertToken(write, { name: 'initial admin', kind: 'admin' });
    return { generatedAdminToken: secret, warnings: [] };
  });
}
