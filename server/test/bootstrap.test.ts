import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app';
import { FailedAuthLimiter } from '../src/auth/limiter';
import { testConfig } from './helpers';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-bootstrap-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Builds the app on the shared file, runs `use`, closes it; answers the generated admin token, if any. */
async function withApp(
  adminToken: string | undefined,
  use: (app: FastifyInstance) => Promise<void> = async () => {},
) {
  let generated: string | undefined;
  const app = await buildApp(testConfig(join(dir, 'db.sqlite'), { adminToken }), {
    onAdminTokenGenerated: (token) => (generated = token),
  });
  try {
    await use(app);
  } finally {
    await app.close();
  }
  return generated;
}

const status = async (app: FastifyInstance, token: string, url = '/api/v1/tokens') =>
  (await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })).statusCode;

describe('admin token on start', () => {
  it('rotates the configured admin token when SWITCHBOARD_ADMIN_TOKEN changes', async () => {
    await withApp('sb_admin_first', async (app) => expect(await status(app, 'sb_admin_first')).toBe(200));
    await withApp('sb_admin_second', async (app) => {
      expect(await status(app, 'sb_admin_first')).toBe(401);
      expect(await status(app, 'sb_admin_second')).toBe(200);
      const audit = await app.inject({
        method: 'GET',
        url: '/api/v1/audit?action=token.rotate',
        headers: { authorization: 'Bearer sb_admin_second' },
      });
      expect(audit.json().entries).toHaveLength(1);
      expect(audit.json().entries[0]).toMatchObject({ actor: { tokenId: 'system', name: 'system' } });
    });
  });

  it('accepts a generated token as SWITCHBOARD_ADMIN_TOKEN without adding another', async () => {
    const generated = await withApp(undefined);
    expect(generated).toMatch(/^sb_admin_/);
    await withApp(generated, async (app) => {
      const tokens = await app.inject({
        method: 'GET',
        url: '/api/v1/tokens',
        headers: { authorization: `Bearer ${generated}` },
      });
      expect(tokens.json().tokens).toHaveLength(1);
    });
  });

  it('generates a new admin token only when no usable admin token is left', async () => {
    const first = await withApp(undefined);
    expect(await withApp(undefined)).toBeUndefined();
    await withApp(undefined, async (app) => {
      const [only] = (
        await app.inject({
          method: 'GET',
          url: '/api/v1/tokens',
          headers: { authorization: `Bearer ${first}` },
        })
      ).json().tokens;
      await app.inject({
        method: 'DELETE',
        url: `/api/v1/tokens/${only.id}`,
        headers: { authorization: `Bearer ${first}` },
      });
    });
    const second = await withApp(undefined);
    expect(second).toMatch(/^sb_admin_/);
    expect(second).not.toBe(first);
  });
});

describe('FailedAuthLimiter', () => {
  it('blocks an address that used up its failures until its window ends, other addresses unaffected', () => {
    let now = 0;
    const limiter = new FailedAuthLimiter(2, 10_000, () => now);
    limiter.recordFailure('a');
    expect(limiter.retryAfterSeconds('a')).toBe(0);
    limiter.recordFailure('a');
    expect(limiter.retryAfterSeconds('a')).toBe(10);
    expect(limiter.retryAfterSeconds('b')).toBe(0);
    now = 9_001;
    expect(limiter.retryAfterSeconds('a')).toBe(1);
    now = 10_000;
    expect(limiter.retryAfterSeconds('a')).toBe(0);
    limiter.recordFailure('a');
    expect(limiter.retryAfterSeconds('a')).toBe(0);
  });
});
