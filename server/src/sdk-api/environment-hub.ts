/**
 * The SDK streams of one environment: their catch-up on connect, the live fan-out of changes, the
 * heartbeat and the slow-consumer guard.
 *
 * Ordering: every connection receives events in change-sequence order, without gaps or duplicates.
 * A connection is registered (and buffers the hub's frames) before its initial state is read, and
 * each connection remembers the last seq it was sent, so whatever overlaps between the initial read
 * and the buffered frames is written once.
 */
import type { EnvironmentRuleset } from '@switchboard/core';
import type { ChangeNotice, ChangeRecord } from '../fanout/fanout';
import { HEARTBEAT, STREAM_HEAD, encodeChange, encodePut } from './sse-encoding';
import type { Frame } from './sse-encoding';

/** The part of a socket the hub uses (a net.Socket in production). */
export interface StreamSocket {
  readonly destroyed: boolean;
  readonly writableLength: number;
  write(bytes: Buffer): boolean;
  end(): void;
  destroy(): void;
  cork(): void;
  uncork(): void;
  once(event: 'close', listener: () => void): unknown;
}

export interface HubStore {
  getRuleset(environment: string): Promise<EnvironmentRuleset>;
  changesSince(environment: string, afterSeq: number): Promise<ChangeRecord[] | null>;
}

export interface HubLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface HubOptions {
  /** A connection whose unsent bytes pass this is dropped; the SDK reconnects and catches up. */
  maxBufferedBytes: number;
  heartbeatMs: number;
  /** A cached initial snapshot is replaced once this many frames have followed it. */
  maxFramesAfterSnapshot: number;
  /** How long a closing stream may take to drain before its socket is destroyed. */
  closeGraceMs: number;
}

/** Streams sent the heartbeat at once: a change arriving during a sweep waits for one slice at most. */
const HEARTBEAT_SLICE = 1_000;

export class StreamConnection {
  /** The seq of the last event written (or the client's own, when it resumed); -1 before any. */
  lastSent = -1;
  /** Frames broadcast while the initial state is being read; null once live. */
  pending: Frame[] | null = [];

  constructor(
    readonly socket: StreamSocket,
    readonly tokenId: string,
    /** The SDK instance that opened the stream, when it named itself (x-switchboard-instance). */
    readonly instanceId: string | null,
  ) {}
}

/** A ruleset read shared by every connection that arrives while it is current. */
interface Snapshot {
  readonly put: Promise<Frame>;
  /** Frames broadcast since the read started: the put plus these bring a client up to date. */
  readonly framesSince: Frame[];
}

export class EnvironmentHub {
  private readonly live = new Set<StreamConnection>();
  private readonly joining = new Set<StreamConnection>();
  /** Seq of the last frame broadcast; null until the first connection went live. */
  private broadcastSeq: number | null = null;
  /** Highest seq announced by the fan-out. */
  private knownSeq = 0;
  private catchingUp = false;
  private snapshot: Snapshot | null = null;
  /** When frames were last written to every live stream (Date.now()). */
  private lastBroadcastAt = 0;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly environment: string,
    private readonly store: HubStore,
    private readonly options: HubOptions,
    private readonly logger: HubLogger,
    private readonly onEmpty: (hub: EnvironmentHub) => void,
  ) {
    this.heartbeat = setInterval(() => this.writeHeartbeat(), options.heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.live.size + this.joining.size;
  }

  /**
   * Starts a stream on `socket`: writes the response head, then either the changes after
   * `resumeFrom` (when the change log still has them) or a full `put`, then live changes.
   */
  async attach(
    socket: StreamSocket,
    tokenId: string,
    resumeFrom: number | null,
    instanceId: string | null,
  ): Promise<void> {
    if (socket.destroyed) return;
    const connection = new StreamConnection(socket, tokenId, instanceId);
    this.joining.add(connection);
    socket.once('close', () => this.detach(connection));
    socket.write(STREAM_HEAD);
    let initial: Frame[];
    try {
      initial = await this.initialFrames(connection, resumeFrom);
    } catch (error) {
      this.logger.error(
        { err: error, environment: this.environment },
        'SDK stream: reading the initial state failed',
      );
      socket.destroy();
      return;
    }
    if (socket.destroyed || !this.joining.has(connection)) return;
    const buffered = connection.pending ?? [];
    connection.pending = null;
    this.joining.delete(connection);
    this.live.add(connection);
    socket.cork();
    for (const frame of initial) this.writeFrame(connection, frame);
    for (const frame of buffered) this.writeFrame(connection, frame);
    socket.uncork();
    if (this.broadcastSeq === null) {
      // The first live stream sets where broadcasting stands.
      this.broadcastSeq = connection.lastSent;
      if (this.knownSeq > this.broadcastSeq) void this.catchUp();
    }
  }

  private async initialFrames(connection: StreamConnection, resumeFrom: number | null): Promise<Frame[]> {
    if (resumeFrom !== null) {
      const missed = await this.store.changesSince(this.environment, resumeFrom);
      if (missed !== null) {
        connection.lastSent = resumeFrom;
        return missed.map(encodeChange);
      }
    }
    const snapshot = this.currentSnapshot();
    const put = await snapshot.put;
    return [put, ...snapshot.framesSince];
  }

  private currentSnapshot(): Snapshot {
    const cached = this.snapshot;
    if (cached && cached.framesSince.length <= this.options.maxFramesAfterSnapshot) return cached;
    const put = this.store.getRuleset(this.environment).then(encodePut);
    const snapshot: Snapshot = { put, framesSince: [] };
    this.snapshot = snapshot;
    put.catch(() => {
      if (this.snapshot === snapshot) this.snapshot = null;
    });
    return snapshot;
  }

  /**
   * A change committed (told by the fan-out). It is encoded and written to every stream right away,
   * inside the publish call: nothing is queued, so a kill (urgent) never waits behind other work.
   * Only a notice without its changes, or after a gap, waits for a change-log read (order first).
   */
  onNotice(notice: ChangeNotice): void {
    if (this.closed) return;
    if (notice.seq > this.knownSeq) this.knownSeq = notice.seq;
    const changes = notice.changes;
    if (this.catchingUp || changes === undefined) {
      void this.catchUp();
      return;
    }
    const frames: Frame[] = [];
    for (const change of changes) {
      if (this.broadcastSeq !== null && change.seq <= this.broadcastSeq) continue;
      if (this.broadcastSeq !== null && change.seq !== this.broadcastSeq + 1) {
        // A notice went missing: read what was skipped from the change log, in order.
        this.broadcast(frames);
        void this.catchUp();
        return;
      }
      frames.push(encodeChange(change));
      if (this.broadcastSeq !== null) this.broadcastSeq = change.seq;
    }
    this.broadcast(frames);
  }

  /** Writes frames (in seq order) to every stream: one socket write per live connection. */
  private broadcast(frames: Frame[]): void {
    if (frames.length === 0 || this.closed) return;
    for (const connection of this.joining) connection.pending?.push(...frames);
    this.snapshot?.framesSince.push(...frames);
    const first = frames[0]!.seq;
    const last = frames[frames.length - 1]!.seq;
    const bytes = frames.length === 1 ? frames[0]!.bytes : Buffer.concat(frames.map((frame) => frame.bytes));
    this.lastBroadcastAt = Date.now();
    for (const connection of this.live) {
      if (connection.lastSent >= last) continue;
      if (connection.lastSent < first) this.write(connection, bytes, last);
      else for (const frame of frames) this.writeFrame(connection, frame);
    }
  }

  private writeFrame(connection: StreamConnection, frame: Frame): void {
    if (frame.seq > connection.lastSent) this.write(connection, frame.bytes, frame.seq);
  }

  private write(connection: StreamConnection, bytes: Buffer, seq: number): void {
    const socket = connection.socket;
    if (socket.destroyed) return;
    socket.write(bytes);
    connection.lastSent = seq;
    this.guardBuffer(connection);
  }

  private guardBuffer(connection: StreamConnection): void {
    if (connection.socket.writableLength <= this.options.maxBufferedBytes) return;
    this.logger.warn(
      {
        environment: this.environment,
        tokenId: connection.tokenId,
        buffered: connection.socket.writableLength,
      },
      'SDK stream: slow consumer dropped',
    );
    connection.socket.destroy();
  }

  /** Reads changes the hub has not broadcast (a notice without changes, or a gap) from the log. */
  private async catchUp(): Promise<void> {
    if (this.catchingUp || this.broadcastSeq === null || this.closed) return;
    this.catchingUp = true;
    try {
      while (!this.closed && this.broadcastSeq < this.knownSeq) {
        const missed = await this.store.changesSince(this.environment, this.broadcastSeq);
        if (missed === null) {
          const put = encodePut(await this.store.getRuleset(this.environment));
          this.broadcastSeq = put.seq;
          this.broadcast([put]);
        } else if (missed.length === 0) {
          break;
        } else {
          this.broadcastSeq = missed[missed.length - 1]!.seq;
          this.broadcast(missed.map(encodeChange));
        }
      }
    } catch (error) {
      // Streams may now lack changes: close them, the SDKs reconnect and resume from the store.
      this.logger.error({ err: error, environment: this.environment }, 'SDK stream: catching up failed');
      for (const connection of [...this.live, ...this.joining]) connection.socket.destroy();
    } finally {
      this.catchingUp = false;
    }
  }

  private writeHeartbeat(): void {
    // Every stream got bytes since the last heartbeat (that broadcast, or its initial state if it is
    // newer): proof enough of a live connection.
    if (Date.now() - this.lastBroadcastAt < this.options.heartbeatMs) return;
    this.writeHeartbeats([...this.live], 0);
  }

  /** A sweep over thousands of sockets is written in slices, so a kill never waits for all of it. */
  private writeHeartbeats(connections: StreamConnection[], from: number): void {
    if (this.closed) return;
    const end = Math.min(from + HEARTBEAT_SLICE, connections.length);
    for (let index = from; index < end; index++) {
      const connection = connections[index]!;
      if (!this.live.has(connection) || connection.socket.destroyed) continue;
      connection.socket.write(HEARTBEAT);
      this.guardBuffer(connection);
    }
    if (end < connections.length) setImmediate(() => this.writeHeartbeats(connections, end));
  }

  private detach(connection: StreamConnection): void {
    this.live.delete(connection);
    this.joining.delete(connection);
    if (this.size === 0) this.dispose();
  }

  /** Ends the streams of one token (it was revoked). */
  closeToken(tokenId: string): number {
    let closed = 0;
    for (const connection of [...this.live, ...this.joining]) {
      if (connection.tokenId !== tokenId) continue;
      this.end(connection);
      closed++;
    }
    return closed;
  }

  /** Ends every stream (server shutdown). */
  closeAll(): void {
    for (const connection of [...this.live, ...this.joining]) this.end(connection);
    this.dispose();
  }

  private end(connection: StreamConnection): void {
    this.live.delete(connection);
    this.joining.delete(connection);
    const socket = connection.socket;
    socket.end();
    // A peer that never closes its side must not hold the server open.
    setTimeout(() => socket.destroy(), this.options.closeGraceMs).unref();
    if (this.size === 0) this.dispose();
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.snapshot = null;
    this.onEmpty(this);
  }

  /** Live connections that were sent `version` (or later) and have no unsent bytes left. */
  deliveredCount(version: number): number {
    let count = 0;
    for (const connection of this.live) {
      if (connection.lastSent >= version && connection.socket.writableLength === 0) count++;
    }
    return count;
  }

  /** Live connections by the last version they were sent. */
  versions(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const connection of this.live) {
      counts.set(connection.lastSent, (counts.get(connection.lastSent) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * The version last sent to each SDK instance that named itself on a live stream (the newest, should
   * it have two open). Walked on demand, so the broadcast path keeps nothing extra per write.
   */
  instanceVersions(): Map<string, number> {
    const versions = new Map<string, number>();
    for (const { instanceId, lastSent, socket } of this.live) {
      if (instanceId === null || socket.destroyed) continue;
      if (lastSent > (versions.get(instanceId) ?? -1)) versions.set(instanceId, lastSent);
    }
    return versions;
  }
}
