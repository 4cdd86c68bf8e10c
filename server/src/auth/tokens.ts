/** Token secrets (`sb_<kind>_<random>`), their stored hashes, and what each kind may do. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenKind } from '../store/repository';

export function generateSecret(kind: TokenKind): string {
  return `sb_${kind}_${randomBytes(24).toString('base64url')}`;
}

export function newTokenId(): string {
  return `tok_${randomBytes(8).toString('hex')}`;
}

/** sha256 of the secret, hex: the only form in which a token is stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hex hashes in constant time. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Admin-API permissions. SDK keys (server, client) have none of them. */
export type Permission = 'read' | 'write' | 'kill' | 'manage';

export const PERMISSIONS: Readonly<Record<TokenKind, readonly Permission[]>> = {
  /** Everything, including tokens and environments. */
  admin: ['read', 'write', 'kill', 'manage'],
  /** Flags and segments (which includes killing a flag). */
  editor: ['read', 'write', 'kill'],
  /** Read, kill and unkill; nothing else. */
  responder: ['read', 'kill'],
  viewer: ['read'],
  server: [],
  client: [],
};

export const kindsWith = (permission: Permission): TokenKind[] =>
  (Object.keys(PERMISSIONS) as TokenKind[]).filter((kind) => PERMISSIONS[kind].includes(permission));

/** SDK keys belong to exactly one environment; the other kinds to none. */
export const isSdkKind = (kind: TokenKind): kind is 'server' | 'client' =>
  kind === 'server' || kind === 'client';
