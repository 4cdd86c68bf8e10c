/**
 * All SDK streams of the server, one EnvironmentHub per environment with open streams. Subscribed
 * once to the fan-out; exposes how many streams got which version (for "how many SDKs got the kill").
 */
import type { Fanout } from '../fanout/fanout';
import { EnvironmentHub } from './environment-hub';
import type { HubLogger, HubOptions, HubStore, StreamSocket } from './environment-hub';

export interface SdkStreams {
  /** Open streams, of one environment or of all. */
  connectionCount(environment?: string): number;
  /** Streams of `environment` that were sent `version` or later and have flushed it to the network. */
  deliveredCount(environment: string, version: number): number;
  /** Streams of `environment` by the last version they were sent. */
  versions(environment: string): Map<number, number>;
  /** The version last sent to each SDK instance with a live stream of `environment` that named itself. */
  instanceVersions(environment: string): Map<string, number>;
}

export class StreamHub implements SdkStreams {
  private readonly hubs = new Map<string, EnvironmentHub>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly store: HubStore,
    fanout: Fanout,
    private readonly options: HubOptions,
    private readonly logger: HubLogger,
  ) {
    this.unsubscribe = fanout.subscribe((notice) => this.hubs.get(notice.environment)?.onNotice(notice));
  }

  /**
   * Serves a stream on `socket` (the HTTP request is already authenticated and hijacked);
   * `instanceId` is the SDK instance that opened it, when it named itself.
   */
  attach(
    environment: string,
    socket: StreamSocket,
    tokenId: string,
    resumeFrom: number | null,
    instanceId: string | null,
  ): Promise<void> {
    if (this.closed) {
      socket.destroy();
      return Promise.resolve();
    }
    let hub = this.hubs.get(environment);
    if (!hub) {
      hub = new EnvironmentHub(environment, this.store, this.options, this.logger, (empty) => {
        if (this.hubs.get(environment) === empty) this.hubs.delete(environment);
      });
      this.hubs.set(environment, hub);
    }
    return hub.attach(socket, tokenId, resumeFrom, instanceId);
  }

  /** Ends every stream opened with the token; answers how many. */
  closeToken(tokenId: string): number {
    let closed = 0;
    for (const hub of [...this.hubs.values()]) closed += hub.closeToken(tokenId);
    return closed;
  }

  /** Ends every stream and stops listening to the fan-out. */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const hub of [...this.hubs.values()]) hub.closeAll();
    this.hubs.clear();
  }

  connectionCount(environment?: string): number {
    if (environment !== undefined) return this.hubs.get(environment)?.size ?? 0;
    let count = 0;
    for (const hub of this.hubs.values()) count += hub.size;
    return count;
  }

  deliveredCount(environment: string, version: number): number {
    return this.hubs.get(environment)?.deliveredCount(version) ?? 0;
  }

  versions(environment: string): Map<number, number> {
    return this.hubs.get(environment)?.versions() ?? new Map();
  }

  instanceVersions(environment: string): Map<string, number> {
    return this.hubs.get(environment)?.instanceVersions() ?? new Map();
  }
}
