import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers';
import { startServer } from './helpers';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

describe('environments', () => {
  it('starts with development, staging and production at sequence 0', async () => {
    const reply = await server.request('GET', '/api/v1/environments');
    expect(reply.status).toBe(200);
    expect(
      reply.body.environments.map(({ key, name, seq }: { key: string; name: string; seq: number }) => ({
        key,
        name,
        seq,
      })),
    ).toEqual([
      { key: 'development', name: 'development', seq: 0 },
      { key: 'staging', name: 'staging', seq: 0 },
      { key: 'production', name: 'production', seq: 0 },
    ]);
  });

  it('creates another environment, and answers 409 for an existing key', async () => {
    const created = await server.request('POST', '/api/v1/environments', {
      body: { key: 'qa', name: 'Quality assurance' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'qa', name: 'Quality assurance', seq: 0 });
    const keys = (await server.request('GET', '/api/v1/environments')).body.environments.map(
      (e: { key: string }) => e.key,
    );
    expect(keys).toContain('qa');

    const again = await server.request('POST', '/api/v1/environments', { body: { key: 'qa' } });
    expect(again.status).toBe(409);
  });
});

describe('tokens', () => {
  it('answers the secret once on creation and never lists it', async () => {
    const created = await server.request('POST', '/api/v1/tokens', { body: { name: 'ci', kind: 'editor' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', kind: 'editor', environment: null });
    expect(created.body.token).toMatch(/^sb_editor_[A-Za-z0-9_-]{32}$/);
    expect(created.body.id).toMatch(/^tok_/);

    const listed = await server.request('GET', '/api/v1/tokens');
    const entry = listed.body.tokens.find((token: { id: string }) => token.id === created.body.id);
    expect(entry).toEqual({
      id: created.body.id,
      name: 'ci',
      kind: 'editor',
      environment: null,
      createdAt: created.body.createdAt,
      revokedAt: null,
    });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);

    const audit = await server.request('GET', '/api/v1/audit?action=token.create');
    expect(JSON.stringify(audit.body)).not.toContain(created.body.token);
  });

  it('names the allowed kinds when the kind is unknown', async () => {
    const reply = await server.request('POST', '/api/v1/tokens', { body: { name: 'x', kind: 'root' } });
    expect(reply.status).toBe(400);
    expect(reply.body.details).toEqual([
      { path: '/body/kind', problem: 'must be one of: admin, editor, responder, viewer, server, client' },
    ]);
  });

  it('binds server and client keys to one existing environment', async () => {
    const key = await server.request('POST', '/api/v1/tokens', {
      body: { name: 'checkout-service', kind: 'server', environment: 'production' },
    });
    expect(key.status).toBe(201);
    expect(key.body).toMatchObject({ kind: 'server', environment: 'production' });
    expect(key.body.token).toMatch(/^sb_server_/);

    const missing = await server.request('POST', '/api/v1/tokens', { body: { name: 'x', kind: 'client' } });
    expect(missing.status).toBe(400);
    expect(missing.body.details).toEqual([
      { path: '/body/environment', problem: 'required for kind client' },
    ]);

    const unknown = await server.request('POST', '/api/v1/tokens', {
      body: { name: 'x', kind: 'server', environment: 'mars' },
    });
    expect(unknown.status).toBe(422);

    const extra = await server.request('POST', '/api/v1/tokens', {
      body: { name: 'x', kind: 'viewer', environment: 'production' },
    });
    expect(extra.status).toBe(400);
  });

  it('revokes a token: it stops authenticating and onTokenRevoked listeners hear about it', async () => {
    const created = await server.request('POST', '/api/v1/tokens', {
      body: { name: 'temp', kind: 'viewer' },
    });
    const secret = created.body.token as string;
    expect((await server.request('GET', '/api/v1/flags', { token: secret })).status).toBe(200);

    const heard: string[] = [];
    const stop = server.app.onTokenRevoked((tokenId) => heard.push(tokenId));
    const revoked = await server.request('DELETE', `/api/v1/tokens/${created.body.id}`);
    stop();
    expect(revoked.status).toBe(200);
    expect(revoked.body.id).toBe(created.body.id);
    expect(Date.parse(revoked.body.revokedAt)).not.toBeNaN();
    expect(heard).toEqual([created.body.id]);

    const after = await server.request('GET', '/api/v1/flags', { token: secret });
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('unauthorized');

    const again = await server.request('DELETE', `/api/v1/tokens/${created.body.id}`);
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    expect((await server.request('DELETE', '/api/v1/tokens/tok_missing')).status).toBe(404);
  });
});

describe('authentication', () => {
  it('answers 401 to a missing, malformed or unknown token', async () => {
    for (const headers of [
      {},
      { authorization: 'Basic abc' },
      { authorization: 'Bearer sb_admin_wrong' },
    ] as Array<Record<string, string>>) {
      const reply = await server.request('GET', '/api/v1/flags', { token: null, headers });
      expect(reply.status).toBe(401);
      expect(reply.body).toMatchObject({ error: 'unauthorized', details: [] });
    }
  });

  it('rate-limits failed authentication per address with 429 and Retry-After', async () => {
    const limited = await startServer({ authFailureLimit: { max: 3, windowMs: 60_000 } });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        expect((await limited.request('GET', '/api/v1/flags', { token: 'sb_admin_guess' })).status).toBe(401);
      }
      const blocked = await limited.request('GET', '/api/v1/flags', { token: 'sb_admin_guess' });
      expect(blocked.status).toBe(429);
      expect(blocked.body.error).toBe('rate_limited');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      // Even a valid token waits until the window ends: the address is what is limited.
      expect((await limited.request('GET', '/api/v1/flags')).status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
