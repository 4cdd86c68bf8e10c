/**
 * No token secret, no token hash and no OFREP event ticket ever reaches a log line: neither in
 * process at trace level nor from the built server process (`node server/dist/main.js`), nor the
 * audit log. A session
 * uses every kind of key in every place a key travels (Authorization, X-API-Key, the ticket in a
 * query string), fails authentication in every way, and creates tokens (whose secrets the create
 * answers show once).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app';
import { booleanFlag, flagPath, testConfig } from './helpers';
import { killServerProcesses, requireBuiltServer, startServerProcess } from './process-fixture';

const ADMIN = `sb_admin_logging-${randomBytes(12).toString('hex')}`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-logging-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the session against `baseUrl`; answers every secret it used or was given. */
async function exerciseEveryKindOfKey(baseUrl: string): Promise<string[]> {
  const secrets = [ADMIN];
  const send = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // Streams are left once their headers are in: the request line is logged by then.
    const text = response.headers.get('content-type')?.startsWith('text/event-stream')
      ? (await response.body?.cancel(), '')
      : await response.text();
    return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
  };
  const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
  const create = async (kind: string, environment?: string) => {
    const reply = await send('POST', '/api/v1/tokens', bearer(ADMIN), {
      name: `log-${kind}`,
      kind,
      environment,
    });
    expect(reply.status).toBe(201);
    secrets.push(reply.json.token);
    return reply.json as { id: string; token: string };
  };

  const editor = await create('editor');
  const responder = await create('responder');
  const viewer = await create('viewer');
  const server = await create('server', 'production');
  const client = await create('client', 'production');
  const doomed = await create('admin');

  expect((await send('PUT', flagPath('logged'), bearer(editor.token), booleanFlag('logged'))).status).toBe(
    201,
  );
  const kill = `${flagPath('logged')}/environments/production/kill`;
  expect((await send('POST', kill, bearer(responder.token), { reason: 'log test' })).status).toBe(200);
  expect((await send('GET', '/api/v1/flags', bearer(viewer.token))).status).toBe(200);
  expect((await send('GET', '/api/v1/me', bearer(doomed.token))).status).toBe(200);
  expect((await send('GET', '/sdk/v1/flags', bearer(server.token))).status).toBe(200);
  expect((await send('GET', '/sdk/v1/stream', bearer(server.token))).status).toBe(200);
  const context = { context: { userId: 'u1' } };
  expect((await send('POST', '/client/v1/evaluate', bearer(client.token), context)).status).toBe(200);
  const ofrep = await send(
    'POST',
    '/ofrep/v1/evaluate/flags',
    { 'x-api-key': client.token },
    { context: {} },
  );
  expect(ofrep.status).toBe(200);
  const ticketUri: string = ofrep.json.eventStreams[0].endpoint.requestUri;
  secrets.push(new URL(ticketUri, baseUrl).searchParams.get('ticket')!);
  expect((await send('GET', ticketUri, {})).status).toBe(200);
  const single = '/ofrep/v1/evaluate/flags/logged';
  expect((await send('POST', single, bearer(server.token), { context: { targetingKey: 'u1' } })).status).toBe(
    200,
  );

  // Failures: a wrong kind, unknown secrets, a malformed header, a revoked token, a forged ticket.
  expect((await send('GET', '/api/v1/tokens', bearer(viewer.token))).status).toBe(403);
  const unknown = `sb_admin_${randomBytes(24).toString('base64url')}`;
  const unknownApiKey = `sb_client_${randomBytes(24).toString('base64url')}`;
  secrets.push(unknown, unknownApiKey);
  expect((await send('GET', '/api/v1/flags', bearer(unknown))).status).toBe(401);
  expect((await send('POST', single, { 'x-api-key': unknownApiKey }, {})).status).toBe(401);
  expect((await send('GET', '/api/v1/flags', { authorization: `Token ${unknown}` })).status).toBe(401);
  expect((await send('DELETE', `/api/v1/tokens/${doomed.id}`, bearer(ADMIN))).status).toBe(200);
  expect((await send('GET', '/api/v1/me', bearer(doomed.token))).status).toBe(401);
  const forged = `${client.id}.${randomBytes(32).toString('base64url')}`;
  secrets.push(forged);
  expect((await send('GET', `/ofrep/v1/events?ticket=${forged}`, {})).status).toBe(401);
  // A validation failure of an authenticated request.
  expect((await send('PUT', flagPath('bad'), bearer(editor.token), { key: 'bad' })).status).toBe(400);
  return secrets;
}

/** Each secret and the sha256 under which it is stored, as they could appear in a log. */
const forbiddenStrings = (secrets: string[]) =>
  secrets.flatMap((secret) => [secret, createHash('sha256').update(secret).digest('hex')]);

function expectNoSecrets(log: string, secrets: string[]): void {
  const leaked = forbiddenStrings(secrets).filter((forbidden) => log.includes(forbidden));
  expect(leaked).toEqual([]);
  // The log is not empty: the requests above are in it, the ticket redacted.
  expect(log).toContain('/ofrep/v1/events?ticket=[redacted]');
  expect(log).toContain('"statusCode":401');
}

describe('token secrets in logs', () => {
  it('never appear in the in-process log at trace level', async () => {
    const lines: string[] = [];
    const app = await buildApp(
      testConfig(join(dir, 'in-process.db'), { adminToken: ADMIN, logLevel: 'trace' }),
      {
        adminUiRoot: join(dir, 'no-admin-ui'),
        logStream: { write: (line) => lines.push(line) },
      },
    );
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const secrets = await exerciseEveryKindOfKey(url);
      expectNoSecrets(lines.join(''), secrets);
      // Nor in the audit log, which records every token created and revoked.
      const audit = await fetch(`${url}/api/v1/audit?limit=500`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      const entries = await audit.text();
      expect(entries).toContain('token.create');
      expect(forbiddenStrings(secrets).filter((forbidden) => entries.includes(forbidden))).toEqual([]);
    } finally {
      await app.close();
    }
  });

  describe('the server process', () => {
    beforeAll(requireBuiltServer);
    afterEach(killServerProcesses);

    it('never writes them to stdout or stderr', async () => {
      const server = await startServerProcess({
        DATABASE_URL: join(dir, 'process.db'),
        SWITCHBOARD_ADMIN_TOKEN: ADMIN,
        LOG_LEVEL: 'trace',
      });
      const secrets = await exerciseEveryKindOfKey(server.url);
      server.process.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expectNoSecrets(server.output(), secrets);
    });
  });
});
