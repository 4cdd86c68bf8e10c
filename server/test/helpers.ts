/** A real server on a random port with a real SQLite file in a temp directory, driven over HTTP. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlagDocument } from '@switchboard/core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app';
import type { ServerConfig } from '../src/config';
import type { TokenKind } from '../src/store/repository';

export const ADMIN_TOKEN = 'sb_admin_test-secret-for-integration-tests';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response JSON freely and assert on it
export type Json = any;

export interface Reply<T = Json> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  app: FastifyInstance;
  url: string;
  dir: string;
  databasePath: string;
  request<T = Json>(method: string, path: string, options?: RequestOptions): Promise<Reply<T>>;
  /** Creates a token of the kind (server and client keys in `environment`) and answers its secret. */
  token(kind: TokenKind, environment?: string): Promise<string>;
  close(): Promise<void>;
}

export function testConfig(databasePath: string, overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    database: { kind: 'sqlite', path: databasePath },
    redisUrl: undefined,
    adminToken: ADMIN_TOKEN,
    logLevel: 'silent',
    authFailureLimit: { max: 1000, windowMs: 60_000 },
    bodyLimit: 1024 * 1024,
    changeLogRetention: 1000,
    ...overrides,
  };
}

export async function startServer(overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  const databasePath = join(dir, 'switchboard.db');
  const app = await buildApp(testConfig(databasePath, overrides), { adminUiRoot: join(dir, 'no-admin-ui') });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });

  const request = async <T = Json>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<Reply<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? ADMIN_TOKEN : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = options.rawBody;
    if (body === undefined && options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url + path, { method, headers, body });
    const text = await response.text();
    const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
    return {
      status: response.status,
      body: isJson && text !== '' ? JSON.parse(text) : text,
      headers: response.headers,
    };
  };

  return {
    app,
    url,
    dir,
    databasePath,
    request,
    async token(kind, environment) {
      const reply = await request('POST', '/api/v1/tokens', {
        body: { name: `${kind}-${Math.random()}`, kind, environment },
      });
      if (reply.status !== 201)
        throw new Error(`creating a ${kind} token answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      return reply.body.token as string;
    },
    async close() {
      // fetch's pool may open a spare connection that never sends a request; Node's close waits for it
      // until its headers timeout (a minute). After a grace period nothing the tests await is in flight.
      const closing = app.close();
      const force = setTimeout(() => app.server.closeAllConnections(), 2_000);
      await closing;
      clearTimeout(force);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A valid boolean flag configured in production and staging. */
export function booleanFlag(
  key: string,
  overrides: Partial<FlagDocument> = {},
): Omit<FlagDocument, 'version'> {
  const environment = {
    enabled: true,
    offVariant: 'off',
    targets: [],
    rules: [],
    fallthrough: { variant: 'off' },
  };
  return {
    key,
    description: `the ${key} flag`,
    tags: [],
    variants: { on: true, off: false },
    environments: { production: { ...environment }, staging: { ...environment } },
    ...overrides,
  };
}

export const flagPath = (key: string) => `/api/v1/flags/${encodeURIComponent(key)}`;
