/**
 * A tiny real HTTP server on 127.0.0.1 that speaks the client protocol (`POST /client/v1/evaluate`,
 * `POST /client/v1/stream`), scripted by each test, recording every request it receives.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlagResult, KeyValueStorage } from '../src';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** An open event stream the test writes to. */
export interface StreamHandle {
  request: RecordedRequest;
  put(flags: Record<string, FlagResult>, version: number): void;
  patch(flags: Record<string, FlagResult | null>, version: number): void;
  end(): void;
}

export type Responder = (request: RecordedRequest, response: ServerResponse) => void;

export class StubServer {
  readonly requests: RecordedRequest[] = [];
  readonly streams: StreamHandle[] = [];
  /** Answers the next requests in order; when empty, `fallback` answers. */
  readonly script: Responder[] = [];
  fallback: Responder = openStream(this);
  private readonly server: Server;
  private readonly waiters: Array<() => void> = [];

  constructor() {
    this.server = createServer((incoming, response) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const request: RecordedRequest = {
          method: incoming.method ?? '',
          url: incoming.url ?? '',
          headers: incoming.headers,
          body: text === '' ? undefined : JSON.parse(text),
        };
        this.requests.push(request);
        (this.script.shift() ?? this.fallback)(request, response);
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  /** The address it listens on (kept after stop(), so clients can try a server that is gone). */
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `count` requests have arrived; rejects after `timeoutMs`. */
  async waitForRequests(count: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} requests, got ${this.requests.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    for (const stream of this.streams) stream.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Answers with an event stream and, when `initial` is given, sends it as the first `put`. */
export function openStream(
  stub: StubServer,
  initial?: { flags: Record<string, FlagResult>; version: number },
): Responder {
  return (request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    const send = (type: string, data: unknown) =>
      response.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    const handle: StreamHandle = {
      request,
      put: (flags, version) => send('put', { flags, version }),
      patch: (flags, version) => send('patch', { flags, version }),
      end: () => response.end(),
    };
    stub.streams.push(handle);
    if (initial !== undefined) handle.put(initial.flags, initial.version);
  };
}

export function respondWith(status: number, body: unknown, headers: Record<string, string> = {}): Responder {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
}

/** localStorage's contract over a Map (Node has no localStorage). */
export class MemoryStorage implements KeyValueStorage {
  readonly entries = new Map<string, string>();
  getItem(key: string): string | null {
    return this.entries.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.entries.set(key, value);
  }
}
