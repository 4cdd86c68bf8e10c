import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenKind } from '../src/store/repository';
import type { RequestOptions, TestServer } from './helpers';
import { booleanFlag, flagPath, startServer } from './helpers';

let server: TestServer;
const secrets = new Map<TokenKind, string>();
let created = 0;

beforeAll(async () => {
  server = await startServer();
  for (const kind of ['admin', 'editor', 'responder', 'viewer'] as const)
    secrets.set(kind, await server.token(kind));
  secrets.set('server', await server.token('server', 'production'));
  secrets.set('client', await server.token('client', 'production'));
  await server.request('PUT', flagPath('target'), { body: booleanFlag('target') });
});
afterAll(async () => {
  await server.close();
});

/** Each action is a fresh request that succeeds for an allowed role (no state carried between rows). */
const actions: Record<string, () => [string, string, RequestOptions?]> = {
  'read flags': () => ['GET', '/api/v1/flags'],
  'read a flag': () => ['GET', flagPath('target')],
  'write flag': () => {
    const key = `written-${++created}`;
    return ['PUT', flagPath(key), { body: booleanFlag(key) }];
  },
  'toggle flag': () => [
    'PUT',
    `${flagPath('target')}/environments/staging/enabled`,
    { body: { enabled: created++ % 2 === 0 } },
  ],
  'write segment': () => {
    const key = `segment-${++created}`;
    return ['PUT', `/api/v1/segments/${key}`, { body: { key, included: ['a'] } }];
  },
  kill: () => [
    'POST',
    `${flagPath('target')}/environments/production/kill`,
    { body: { reason: 'role test' } },
  ],
  unkill: () => ['POST', `${flagPath('target')}/environments/production/unkill`, { body: {} }],
  'create token': () => ['POST', '/api/v1/tokens', { body: { name: `t-${++created}`, kind: 'viewer' } }],
  'list tokens': () => ['GET', '/api/v1/tokens'],
  'create environment': () => ['POST', '/api/v1/environments', { body: { key: `env-${++created}` } }],
  'read audit': () => ['GET', '/api/v1/audit'],
  'verify audit': () => ['GET', '/api/v1/audit/verify'],
};

// Expected status per action, for admin, editor, responder, viewer, server, client.
const table: Array<[string, number, number, number, number, number, number]> = [
  ['read flags', 200, 200, 200, 200, 403, 403],
  ['read a flag', 200, 200, 200, 200, 403, 403],
  ['write flag', 201, 201, 403, 403, 403, 403],
  ['toggle flag', 200, 200, 403, 403, 403, 403],
  ['write segment', 201, 201, 403, 403, 403, 403],
  ['kill', 200, 200, 200, 403, 403, 403],
  ['unkill', 200, 200, 200, 403, 403, 403],
  ['create token', 201, 403, 403, 403, 403, 403],
  ['list tokens', 200, 403, 403, 403, 403, 403],
  ['create environment', 201, 403, 403, 403, 403, 403],
  ['read audit', 200, 200, 200, 200, 403, 403],
  ['verify audit', 200, 200, 200, 200, 403, 403],
];
const kinds: TokenKind[] = ['admin', 'editor', 'responder', 'viewer', 'server', 'client'];

describe('role × action', () => {
  it.each(
    table.flatMap(([action, ...statuses]) =>
      kinds.map((kind, index) => [action, kind, statuses[index]] as const),
    ),
  )('%s as %s → %i', async (action, kind, expected) => {
    const [method, path, options] = actions[action]!();
    const reply = await server.request(method, path, { ...options, token: secrets.get(kind) });
    expect(reply.status).toBe(expected);
    if (expected === 403) expect(reply.body).toMatchObject({ error: 'forbidden', details: [] });
  });

  it('answers 401 before validating the body of an unauthenticated write', async () => {
    const reply = await server.request('PUT', flagPath('x'), { token: null, body: { nonsense: true } });
    expect(reply.status).toBe(401);
  });
});
