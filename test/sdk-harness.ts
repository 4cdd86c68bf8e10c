/**
 * The real server in-process (buildApp, a temp SQLite file, a real port) for the SDK integration
 * tests, with helpers to drive the admin API and to await SDK events with clear timeouts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlagDocument } from '@switchboard/core';
import { buildApp } from '@switchboard/server';
import type { ServerConfig } from '@switchboard/server';
import type { FastifyInstance } from 'fastify';

export { eventually, nextEvent } from '../sdk-node/test/wait';

export const ADMIN_TOKEN = 'sb_admin_sdk-integration-test-secret';

export interface AdminReply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response JSON freely
  body: any;
}

export class SdkTestServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'switchboard-sdk-test-'));
  readonly databasePath = join(this.dir, 'switchboard.db');
  app: FastifyInstance | null = null;
  port = 0;

  constructor(private readonly overrides: Partial<ServerConfig> = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Starts (or restarts) the server: the first start picks a free port, restarts reuse it and the
   * file. `beforeListen` runs on the built app before it accepts connections (e.g. to make changes
   * that reconnecting SDKs must catch up on).
   */
  async start(
    overrides: Partial<ServerConfig> = {},
    beforeListen?: (app: FastifyInstance) => Promise<void>,
  ): Promise<void> {
    const config: ServerConfig = {
      port: this.port,
      host: '127.0.0.1',
      database: { kind: 'sqlite', path: this.databasePath },
      redisUrl: undefined,
      adminToken: ADMIN_TOKEN,
      logLevel: 'silent',
      authFailureLimit: { max: 10_000, windowMs: 60_000 },
      bodyLimit: 1024 * 1024,
      changeLogRetention: 1000,
      ...this.overrides,
      ...overrides,
    };
    const app = await buildApp(config, { adminUiRoot: join(this.dir, 'no-admin-ui') });
    this.app = app;
    await beforeListen?.(app);
    await app.listen({ port: this.port, host: '127.0.0.1' });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
    this.port = address.port;
  }

  /** Stops the server (the database file stays). */
  async stop(): Promise<void> {
    const app = this.app;
    this.app = null;
    await app?.close();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** An admin API call (in-process, so it also works before the server listens). */
  async admin(method: string, path: string, body?: unknown): Promise<AdminReply> {
    if (!this.app) throw new Error('the server is not running');
    const response = await this.app.inject({
      method: method as 'GET',
      url: path,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return { status: response.statusCode, body: response.body === '' ? null : response.json() };
  }

  private async expectOk(method: string, path: string, body?: unknown): Promise<AdminReply> {
    const reply = await this.admin(method, path, body);
    if (reply.status >= 300)
      throw new Error(`${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply;
  }

  /** A new server SDK key of the environment: its id (to revoke it) and secret. */
  async serverKey(environment = 'production'): Promise<{ id: string; token: string }> {
    const reply = await this.expectOk('POST', '/api/v1/tokens', {
      name: `sdk-${Math.random().toString(36).slice(2)}`,
      kind: 'server',
      environment,
    });
    return { id: reply.body.id as string, token: reply.body.token as string };
  }

  /** Creates or replaces a flag (reading its current version first); answers the stored document. */
  async putFlag(document: Omit<FlagDocument, 'version'>): Promise<FlagDocument> {
    const current = await this.admin('GET', flagPath(document.key));
    const version = current.status === 200 ? (current.body.version as number) : undefined;
    return (await this.expectOk('PUT', flagPath(document.key), { ...document, version }))
      .body as FlagDocument;
  }

  async kill(key: string, reason: string, environment = 'production'): Promise<void> {
    await this.expectOk('POST', `${flagPath(key)}/environments/${environment}/kill`, { reason });
  }

  async revoke(tokenId: string): Promise<void> {
    await this.expectOk('DELETE', `/api/v1/tokens/${tokenId}`);
  }
}

export const flagPath = (key: string) => `/api/v1/flags/${encodeURIComponent(key)}`;

/** A boolean flag in production and staging serving `serve` to everyone. */
export function booleanFlag(key: string, serve: 'on' | 'off' = 'off'): Omit<FlagDocument, 'version'> {
  const environment = { enabled: true, offVariant: 'off', fallthrough: { variant: serve } };
  return {
    key,
    variants: { on: true, off: false },
    environments: { production: { ...environment }, staging: { ...environment } },
  };
}
