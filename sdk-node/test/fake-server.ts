/**
 * A scriptable stand-in for the Switchboard SDK API (real HTTP on 127.0.0.1), for protocol cases the
 * real server never produces: stale versions, malformed events, silent streams, refusals.
 */
import http from 'node:http';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EnvironmentRuleset, FlagConfig } from '@switchboard/core';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Handler = (request: SeenRequest, response: ServerResponse) => void;

export class FakeSdkServer {
  readonly requests: SeenRequest[] = [];
  /** Open stream responses, oldest first. */
  readonly streams: ServerResponse[] = [];
  ruleset: EnvironmentRuleset = ruleset(1, { welcome: booleanFlag('welcome', true) });
  /** How `/sdk/v1/stream` answers; by default: 200, then a `put` of `ruleset`. */
  onStream: Handler = (_request, response) => {
    this.openStream(response);
    this.send(response, 'put', this.ruleset.version, this.ruleset);
  };
  onFlags: Handler = (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', etag: `"${this.ruleset.version}"` });
    response.end(JSON.stringify(this.ruleset));
  };
  onMetrics: Handler = (_request, response) => {
    response.writeHead(202, { 'content-type': 'application/json' }).end('{}');
  };
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0]!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      this.requests.push(seen);
      const handler =
        seen.path === '/sdk/v1/stream'
          ? this.onStream
          : seen.path === '/sdk/v1/flags'
            ? this.onFlags
            : this.onMetrics;
      handler(seen, res);
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  });
  private waiters: Array<() => void> = [];

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  openStream(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.flushHeaders();
    this.streams.push(response);
    response.on('close', () => this.streams.splice(this.streams.indexOf(response), 1));
  }

  send(response: ServerResponse, event: string, id: number, payload: unknown): void {
    response.write(`event: ${event}\nid: ${id}\ndata: ${JSON.stringify(payload)}\n\n`);
  }

  /** Sends to the newest open stream. */
  sendLatest(event: string, id: number, payload: unknown): void {
    const stream = this.streams[this.streams.length - 1];
    if (!stream) throw new Error('no open stream');
    this.send(stream, event, id, payload);
  }

  requestsTo(path: string): SeenRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  /** Resolves once `count` requests to `path` have arrived (rejects after `timeoutMs`). */
  async waitForRequests(path: string, count: number, timeoutMs = 5_000): Promise<SeenRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requestsTo(path).length < count) {
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new Error(`expected ${count} requests to ${path}, got ${this.requestsTo(path).length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.requestsTo(path);
  }

  /** Ends every open stream (the client sees the server go away and reconnects). */
  dropStreams(): void {
    for (const stream of [...this.streams]) stream.destroy();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export function booleanFlag(key: string, on: boolean, extra: Partial<FlagConfig> = {}): FlagConfig {
  return {
    key,
    version: 1,
    variants: { on: true, off: false },
    enabled: true,
    offVariant: 'off',
    fallthrough: { variant: on ? 'on' : 'off' },
    ...extra,
  };
}

export function ruleset(version: number, flags: Record<string, FlagConfig>): EnvironmentRuleset {
  return { environment: 'production', version, flags, segments: {} };
}

/** A closed port: connections are refused at once. */
export const UNREACHABLE_URL = 'http://127.0.0.1:9';
