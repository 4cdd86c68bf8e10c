/**
 * How secrets are checked and kept: only sha256 hashes are stored, a presented secret is hashed and
 * then looked up (the comparison of hashes is constant-time), and guessing is throttled per client
 * address on every authenticated route. (The basic 429 + Retry-After answer is in
 * environments-tokens.test.ts.)
 */
import * as crypto from 'node:crypto';
import { request as httpRequest } from 'node:http';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TestServer } from './helpers';
import { ADMIN_TOKEN, startServer } from './helpers';

// The real function, observed: which buffers the auth path compares.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest();

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.mocked(crypto.timingSafeEqual).mockClear();
});

/** The status of a request from the source address `localAddress` (any 127.x.y.z reaches the server). */
function statusFrom(
  localAddress: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(server!.url + path, { method, localAddress, headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    outgoing.on('error', reject).end(body);
  });
}

describe('token secrets', () => {
  it('are stored only as their sha256', async () => {
    server = await startServer();
    const secrets = [ADMIN_TOKEN, await server.token('viewer'), await server.token('client', 'production')];
    const db = new Database(server.databasePath, { readonly: true });
    const rows = db.prepare('SELECT * FROM tokens').all() as Array<{ hash: string }>;
    db.close();
    const stored = JSON.stringify(rows);
    for (const secret of secrets) {
      expect(stored).not.toContain(secret);
      expect(rows.map((row) => row.hash)).toContain(sha256(secret).toString('hex'));
    }
  });

  it('are hashed, looked up by hash, and the hashes compared with crypto.timingSafeEqual', async () => {
    server = await startServer();
    const compare = vi.mocked(crypto.timingSafeEqual);
    compare.mockClear();
    expect((await server.request('GET', '/api/v1/me')).status).toBe(200);
    expect(compare).toHaveBeenCalledWith(sha256(ADMIN_TOKEN), sha256(ADMIN_TOKEN));

    // An unknown secret finds no row by its hash: nothing of it is ever compared to a stored secret.
    compare.mockClear();
    expect((await server.request('GET', '/api/v1/me', { token: `${ADMIN_TOKEN}x` })).status).toBe(401);
    expect(compare).not.toHaveBeenCalled();
  });
});

describe('failed-authentication limit', () => {
  it('counts failures on every kind of route, per address, until the window ends', async () => {
    server = await startServer({ authFailureLimit: { max: 3, windowMs: 5000 } });
    const clientKey = await server.token('client', 'production');
    const guess = (token: string) => ({ authorization: `Bearer ${token}` });
    // One failure each on the admin, SDK and OFREP (X-API-Key) routes.
    expect(await statusFrom('127.0.0.1', 'GET', '/api/v1/flags', guess('sb_admin_guess'))).toBe(401);
    expect(await statusFrom('127.0.0.1', 'GET', '/sdk/v1/flags', guess('sb_server_guess'))).toBe(401);
    const json = { 'content-type': 'application/json' };
    const ofrep = '/ofrep/v1/evaluate/flags';
    expect(
      await statusFrom('127.0.0.1', 'POST', ofrep, { ...json, 'x-api-key': 'sb_client_guess' }, '{}'),
    ).toBe(401);

    const blocked = await server.request('GET', '/api/v1/flags', { token: 'sb_admin_guess' });
    expect(blocked.status).toBe(429);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
    // The address is limited, whatever it presents next; routes without auth still answer.
    expect(await statusFrom('127.0.0.1', 'GET', '/api/v1/flags', guess(ADMIN_TOKEN))).toBe(429);
    expect(await statusFrom('127.0.0.1', 'GET', '/healthz', {})).toBe(200);
    // Another address is not.
    expect(await statusFrom('127.0.0.2', 'GET', '/api/v1/flags', guess(ADMIN_TOKEN))).toBe(200);
    expect(
      (await server.request('POST', '/client/v1/evaluate', { token: clientKey, body: { context: {} } }))
        .status,
    ).toBe(429);

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    expect(await statusFrom('127.0.0.1', 'GET', '/api/v1/flags', guess(ADMIN_TOKEN))).toBe(200);
  });
});
