import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app';
import { ConfigError, DEFAULT_PORT, loadConfig } from '../src/config';
import type { TestServer } from './helpers';
import { startServer, testConfig } from './helpers';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

describe('health, docs and the admin UI placeholder', () => {
  it('answers /healthz and /readyz without a token', async () => {
    expect(await server.request('GET', '/healthz', { token: null })).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    expect(await server.request('GET', '/readyz', { token: null })).toMatchObject({
      status: 200,
      body: { status: 'ready', store: 'sqlite' },
    });
  });

  it('answers 503 from /readyz when the store is gone', async () => {
    const other = await startServer();
    await other.app.store.close();
    const reply = await other.request('GET', '/readyz', { token: null });
    expect(reply.status).toBe(503);
    expect(reply.body.status).toBe('unavailable');
    await other.close();
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const reply = await server.request('GET', '/api/v1/openapi.json', { token: null });
    expect(reply.status).toBe(200);
    expect(reply.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(reply.body.paths);
    for (const path of [
      '/api/v1/flags',
      '/api/v1/flags/{key}',
      '/api/v1/flags/{key}/environments/{env}/kill',
      '/api/v1/flags/{key}/environments/{env}/rollout',
      '/api/v1/kill',
      '/api/v1/segments/{key}',
      '/api/v1/tokens',
      '/api/v1/audit/verify',
    ]) {
      expect(paths).toContain(path);
    }
    const put = reply.body.paths['/api/v1/flags/{key}'].put;
    expect(put.requestBody.content['application/json'].schema.properties).toHaveProperty('environments');
    expect(reply.body.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });

  it('serves a placeholder page at / when the admin UI is not built', async () => {
    const reply = await server.request('GET', '/', { token: null });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/text\/html/);
    expect(reply.body).toContain('admin UI is not built');
    expect(reply.body).toContain('/api/v1/openapi.json');
  });

  it('serves the admin UI build at / when it exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-ui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Switchboard admin</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    const app = await buildApp(testConfig(join(dir, 'ui.db')), { adminUiRoot: dir });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(await (await fetch(url)).text()).toContain('Switchboard admin');
      expect((await fetch(`${url}/assets/app.js`)).status).toBe(200);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('echoes a request id, and makes one up when none (or a malformed one) is sent', async () => {
    const sent = await server.request('GET', '/healthz', {
      token: null,
      headers: { 'x-request-id': 'req-123' },
    });
    expect(sent.headers.get('x-request-id')).toBe('req-123');
    const made = await server.request('GET', '/healthz', { token: null });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const replaced = await server.request('GET', '/healthz', {
      token: null,
      headers: { 'x-request-id': 'no spaces {}' },
    });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const reply = await server.request('GET', '/api/v1/nothing-here');
    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({ error: 'not_found', details: [] });
  });
});

describe('configuration', () => {
  it('has defaults: port 7070 on 127.0.0.1, SQLite in ./data, info logs', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: DEFAULT_PORT,
      host: '127.0.0.1',
      database: { kind: 'sqlite', path: './data/switchboard.db' },
      adminToken: undefined,
      redisUrl: undefined,
      logLevel: 'info',
    });
    expect(DEFAULT_PORT).toBe(7070);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: ':memory:',
      REDIS_URL: 'redis://127.0.0.1:6379',
      SWITCHBOARD_ADMIN_TOKEN: 'sb_admin_x',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      database: { kind: 'sqlite', path: ':memory:' },
      redisUrl: 'redis://127.0.0.1:6379',
      adminToken: 'sb_admin_x',
      logLevel: 'debug',
    });
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h/db',
    });
    expect(loadConfig({ DATABASE_URL: 'file:/var/lib/sb.db' }).database).toEqual({
      kind: 'sqlite',
      path: '/var/lib/sb.db',
    });
  });

  it('rejects bad values with a ConfigError naming the variable', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: '-1' })).toThrow(/PORT/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('runs on an in-memory database', async () => {
    const app = await buildApp(testConfig(':memory:'));
    try {
      const reply = await app.inject({
        method: 'GET',
        url: '/api/v1/environments',
        headers: { authorization: `Bearer ${testConfig(':memory:').adminToken}` },
      });
      expect(reply.statusCode).toBe(200);
      expect(reply.json().environments).toHaveLength(3);
    } finally {
      await app.close();
    }
  });
});
