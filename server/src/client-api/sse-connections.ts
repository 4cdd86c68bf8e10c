/**
 * Open event streams on hijacked sockets, by environment: the response head, a heartbeat, the
 * slow-consumer guard, and closing by token (revocation) or all at once (shutdown). Shared by the client
 * streams and OFREP's change notifications.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { RulesetCache, RulesetUpdate } from '../rulesets';

export interface SseConnection {
  readonly socket: Socket;
  readonly environment: string;
  readonly tokenId: string;
}

export interface SseOptions {
  /** A connection whose unsent bytes pass this is dropped; the client reconnects and catches up. */
  maxBufferedBytes: number;
  heartbeatMs: number;
  /** How long a closing stream may take to drain before its socket is destroyed. */
  closeGraceMs: number;
}

export const DEFAULT_SSE_OPTIONS: SseOptions = {
  maxBufferedBytes: 256 * 1024,
  heartbeatMs: 15_000,
  closeGraceMs: 2_000,
};

const HEARTBEAT = ':\n\n';

/**
 * The response head, written straight to the socket: the body is close-delimited, so each event is one
 * socket write. The leading comment makes intermediaries that wait for a first body byte pass the head on.
 */
export function streamHead(headers: Record<string, string>): string {
  let head =
    'HTTP/1.1 200 OK\r\n' +
    'content-type: text/event-stream; charset=utf-8\r\n' +
    'cache-control: no-cache\r\n' +
    'x-accel-buffering: no\r\n' +
    'connection: close\r\n';
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return head + '\r\n:\n\n';
}

/** One event; JSON never contains a raw line break, so the payload is a single `data:` line. */
export function sseEvent(type: string | null, id: number, data: string): string {
  return `${type === null ? '' : `event: ${type}\n`}id: ${id}\ndata: ${data}\n\n`;
}

/** A resume point: the Last-Event-ID header when it is a version number, else null. */
export function lastEventIdOf(headers: IncomingHttpHeaders): number | null {
  const raw = headers['last-event-id'];
  const text = typeof raw === 'string' ? raw.trim() : '';
  return /^\d{1,15}$/.test(text) ? Number(text) : null;
}

export class SseConnections<C extends SseConnection> {
  private readonly byEnvironment = new Map<string, Set<C>>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: SseOptions) {
    this.heartbeat = setInterval(() => {
      for (const connections of this.byEnvironment.values())
        for (const connection of connections) this.write(connection, HEARTBEAT);
    }, options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Starts a stream: writes the head and keeps the connection until its socket closes. */
  open(connection: C, headers: Record<string, string>): boolean {
    const socket = connection.socket;
    if (this.closed || socket.destroyed) {
      socket.destroy();
      return false;
    }
    socket.setNoDelay(true);
    socket.setTimeout(0);
    let connections = this.byEnvironment.get(connection.environment);
    if (connections === undefined) {
      connections = new Set();
      this.byEnvironment.set(connection.environment, connections);
    }
    connections.add(connection);
    socket.once('close', () => this.forget(connection));
    socket.write(streamHead(headers));
    return true;
  }

  of(environment: string): ReadonlySet<C> {
    return this.byEnvironment.get(environment) ?? new Set();
  }

  count(environment?: string): number {
    if (environment !== undefined) return this.of(environment).size;
    let count = 0;
    for (const connections of this.byEnvironment.values()) count += connections.size;
    return count;
  }

  write(connection: C, text: string): void {
    const socket = connection.socket;
    if (socket.destroyed) return;
    socket.write(text);
    if (socket.writableLength > this.options.maxBufferedBytes) socket.destroy();
  }

  /** Ends the streams opened with a token (it was revoked); answers how many. */
  closeToken(tokenId: string): number {
    let closed = 0;
    for (const connections of this.byEnvironment.values()) {
      for (const connection of connections) {
        if (connection.tokenId !== tokenId) continue;
        this.end(connection);
        closed++;
      }
    }
    return closed;
  }

  /** Ends every stream (server shutdown) and refuses new ones. */
  closeAll(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const connections of [...this.byEnvironment.values()])
      for (const connection of connections) this.end(connection);
  }

  private end(connection: C): void {
    this.forget(connection);
    const socket = connection.socket;
    socket.end();
    // A peer that never closes its side must not hold the server open.
    setTimeout(() => socket.destroy(), this.options.closeGraceMs).unref();
  }

  private forget(connection: C): void {
    const connections = this.byEnvironment.get(connection.environment);
    connections?.delete(connection);
    if (connections?.size === 0) this.byEnvironment.delete(connection.environment);
  }
}

/**
 * Streams that answer ruleset updates (client streams, OFREP notifications): the connections, the
 * subscription, and what every kind offers the routes (counts, revocation, shutdown).
 */
export abstract class RulesetStreams<C extends SseConnection> {
  protected readonly connections: SseConnections<C>;
  private readonly unsubscribe: () => void;

  constructor(rulesets: RulesetCache, options: SseOptions) {
    this.connections = new SseConnections(options);
    this.unsubscribe = rulesets.onUpdate((update) => this.onUpdate(update));
  }

  protected abstract onUpdate(update: RulesetUpdate): void;

  count(environment?: string): number {
    return this.connections.count(environment);
  }

  /** Ends the streams opened with a revoked token; answers how many. */
  closeToken(tokenId: string): number {
    return this.connections.closeToken(tokenId);
  }

  close(): void {
    this.unsubscribe();
    this.connections.closeAll();
  }
}
