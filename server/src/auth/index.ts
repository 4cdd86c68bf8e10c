/**
 * Authentication and authorization for every route (admin API and SDK API).
 *
 * How to protect a route (the hooks work as `onRequest` or `preHandler`; prefer `onRequest` so an
 * unauthenticated caller gets 401 before its body is even parsed):
 *
 *   app.get('/sdk/v1/flags', { onRequest: [app.authenticate, app.requireKinds('server')] }, handler)
 *   app.put('/api/v1/flags/:key', { onRequest: [app.authenticate, app.requirePermission('write')] }, …)
 *
 * - `app.authenticate` reads `Authorization: Bearer <token>` and sets `request.principal`
 *   (`{ tokenId, name, kind, environment? }`; `environment` is set for server and client SDK keys).
 *   Missing, unknown or revoked token → 401; too many failures from one address → 429.
 * - `app.requireKinds(...kinds)` → 403 unless the principal's kind is listed.
 * - `app.requirePermission(p)` is requireKinds for the kinds holding admin-API permission `p`
 *   (read, write, kill, manage; see PERMISSIONS in auth/tokens.ts).
 * - `app.onTokenRevoked(listener)` calls `listener(tokenId)` after a revocation commits, so open
 *   streams of that token can be closed; it returns an unsubscribe function.
 * - `principalOf(request)` answers the principal or throws 401 (for handlers behind authenticate).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { forbidden, tooManyRequests, unauthorized } from '../errors';
import type { Repository, TokenKind } from '../store/repository';
import { FailedAuthLimiter } from './limiter';
import { TokenCache } from './token-cache';
import type { Permission } from './tokens';
import { hashesEqual, hashSecret, kindsWith } from './tokens';

export interface Principal {
  tokenId: string;
  name: string;
  kind: TokenKind;
  /** The environment of a server or client SDK key. */
  environment?: string;
}

export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: AuthHook;
    requireKinds: (...kinds: TokenKind[]) => AuthHook;
    requirePermission: (permission: Permission) => AuthHook;
    onTokenRevoked: (listener: (tokenId: string) => void) => () => void;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface AuthOptions {
  /** Where tokens are looked up: the store, or a relay's configured keys. */
  store: Pick<Repository, 'findTokenByHash'>;
  failureLimit: { max: number; windowMs: number };
  onTokenRevoked: (listener: (tokenId: string) => void) => () => void;
}

export function principalOf(request: Pick<FastifyRequest, 'principal'>): Principal {
  if (!request.principal) throw unauthorized('authentication required');
  return request.principal;
}

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/** How long a verified token is trusted without a store read (bounds another replica's revocation). */
const TOKEN_CACHE = { ttlMs: 1_000, maxEntries: 10_000 };

export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, { store, failureLimit, onTokenRevoked }) => {
    const limiter = new FailedAuthLimiter(failureLimit.max, failureLimit.windowMs);
    const tokens = new TokenCache((hash) => store.findTokenByHash(hash), TOKEN_CACHE);
    const stopListening = onTokenRevoked((tokenId) => tokens.revoked(tokenId));
    app.addHook('onClose', async () => stopListening());

    const reject = (request: FastifyRequest, message: string) => {
      limiter.recordFailure(request.ip);
      return unauthorized(message);
    };

    const authenticate: AuthHook = async (request) => {
      const retryAfter = limiter.retryAfterSeconds(request.ip);
      if (retryAfter > 0) throw tooManyRequests('too many failed authentication attempts', retryAfter);
      const header = request.headers.authorization;
      if (header === undefined) throw reject(request, 'missing Authorization: Bearer <token> header');
      const secret = BEARER.exec(header)?.[1];
      if (secret === undefined) throw reject(request, 'the Authorization header must be "Bearer <token>"');
      const hash = hashSecret(secret);
      const token = await tokens.find(hash);
      if (!token || !hashesEqual(token.hash, hash) || token.revokedAt !== null) {
        throw reject(request, 'unknown or revoked token');
      }
      request.principal = {
        tokenId: token.id,
        name: token.name,
        kind: token.kind,
        ...(token.environment === null ? {} : { environment: token.environment }),
      };
    };

    const requireKinds =
      (...kinds: TokenKind[]): AuthHook =>
      async (request) => {
        const principal = principalOf(request);
        if (!kinds.includes(principal.kind)) {
          throw forbidden(`a ${principal.kind} token may not do this (allowed: ${kinds.join(', ')})`);
        }
      };

    app.decorateRequest('principal', null);
    app.decorate('authenticate', authenticate);
    app.decorate('requireKinds', requireKinds);
    app.decorate('requirePermission', (permission: Permission) => requireKinds(...kindsWith(permission)));
    app.decorate('onTokenRevoked', onTokenRevoked);
  },
  { name: 'switchboard-auth' },
);
