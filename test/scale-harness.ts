/**
 * A cluster on one machine for the scale-out tests: server replicas (in-process `buildApp`, each on
 * its own port) sharing one PostgreSQL schema, a Redis server of the test's own (a child process on
 * a free port, stopped and restarted at will; the shared one on 6379 is never touched), relays, and
 * a raw SSE reader that records event ids.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlagDocument } from '@switchboard/core';
import { buildApp } from '@switchboard/server';
import type { ServerConfig } from '@switchboard/server';
import type { FastifyInstance } from 'fastify';
import { createTestSchema } from '../server/test/postgres-fixture';
import type { TestSchema } from '../server/test/postgres-fixture';

export { eventually, nextEvent } from '../sdk-node/test/wait';
export { postgresAvailable } from '../server/test/postgres-fixture';

export const ADMIN_TOKEN = 'sb_admin_scale-test-secret';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response JSON freely
export type Json = any;

export interface Reply {
  status: number;
  body: Json;
}

/** A free TCP port on 127.0.0.1 (closed again: the caller binds it right away). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** True when a redis-server binary can be started; otherwise warns (or throws with CI=true). */
export function redisServerAvailable(suite: string): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const message = `no redis-server binary to start (${probe.error?.message ?? probe.stderr})`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI=true, so ${suite} may not be skipped`);
  console.warn(`\n  SKIPPING ${suite}: ${message}\n`);
  return false;
}

/** A redis-server of the test's own: no persistence, on a port of its own, restartable on it. */
export class RedisProcess {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisProcess> {
    const redis = new RedisProcess(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
  }

  /** Kills the server (SIGKILL: connections drop as in a crash) and waits for it to be gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

export interface ReplicaOptions {
  redisUrl?: string;
  fanoutPollIntervalMs?: number;
}

/** Server replicas sharing one PostgreSQL schema. */
export class Cluster {
  readonly replicas: Replica[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'switchboard-scale-'));

  private constructor(readonly schema: TestSchema) {}

  static async create(): Promise<Cluster> {
    return new Cluster(await createTestSchema());
  }

  async startReplica(options: ReplicaOptions = {}): Promise<Replica> {
    const config: ServerConfig = {
      port: 0,
      host: '127.0.0.1',
      database: { kind: 'postgres', url: this.schema.url },
      redisUrl: options.redisUrl,
      fanoutPollIntervalMs: options.fanoutPollIntervalMs,
      adminToken: ADMIN_TOKEN,
      logLevel: 'silent',
      authFailureLimit: { max: 10_000, windowMs: 60_000 },
      bodyLimit: 1024 * 1024,
      changeLogRetention: 1000,
    };
    const app = await buildApp(config, { adminUiRoot: join(this.dir, 'no-admin-ui') });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const replica = new Replica(app, url);
    this.replicas.push(replica);
    return replica;
  }

  async close(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => replica.close()));
    await this.schema.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Talks to a server (or relay) over real HTTP. */
export class HttpPeer {
  constructor(readonly url: string) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    token: string | null = ADMIN_TOKEN,
  ): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = response.headers.get('content-type')?.includes('application/json') ?? false;
    return { status: response.status, body: json && text !== '' ? JSON.parse(text) : text };
  }

  async expectOk(method: string, path: string, body?: unknown): Promise<Json> {
    const reply = await this.request(method, path, body);
    if (reply.status >= 300)
      throw new Error(`${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  /** A new server SDK key of the environment. */
  async serverKey(environment = 'production'): Promise<string> {
    const body = await this.expectOk('POST', '/api/v1/tokens', {
      name: `sdk-${Math.random().toString(36).slice(2)}`,
      kind: 'server',
      environment,
    });
    return body.token as string;
  }
}

export class Replica extends HttpPeer {
  private closed = false;

  constructor(
    readonly app: FastifyInstance,
    url: string,
  ) {
    super(url);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.app.close();
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

/**
 * Reads `/sdk/v1/stream` and records each event's type and id: what a stream sent, in order,
 * including anything sent twice. Reconnects by itself (with Last-Event-ID) when the stream ends.
 */
export class StreamRecorder {
  readonly events: Array<{ type: string; id: number }> = [];
  private request: http.ClientRequest | null = null;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly sdkKey: string,
  ) {
    this.connect();
  }

  /** The id of the last event received. */
  get lastId(): number | null {
    return this.events[this.events.length - 1]?.id ?? null;
  }

  private connect(): void {
    if (this.stopped) return;
    const headers: Record<string, string> = { authorization: `Bearer ${this.sdkKey}` };
    if (this.lastId !== null) headers['last-event-id'] = String(this.lastId);
    const request = http.get(new URL('/sdk/v1/stream', this.url), { headers });
    this.request = request;
    const retry = () => {
      if (this.request !== request) return;
      this.request = null;
      setTimeout(() => this.connect(), 100);
    };
    request.on('error', retry);
    request.on('response', (response) => {
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.+)$/m.exec(block)?.[1];
          const id = /^id: (\d+)$/m.exec(block)?.[1];
          if (type !== undefined && id !== undefined) this.events.push({ type, id: Number(id) });
        }
      });
      response.on('close', retry);
    });
  }

  close(): void {
    this.stopped = true;
    this.request?.destroy();
    this.request = null;
  }
}
