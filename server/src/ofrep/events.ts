/**
 * OFREP change notifications (ADR-0008): after each change that can alter some flag's outcome, every
 * stream of the environment gets `data: {"type":"refetchEvaluation","etag":"<version>"}` with the version
 * as event id; the provider then re-fetches the bulk evaluation (a 304 when its values did not change).
 * The event is encoded once per change and written as is to every stream.
 */
import type { Socket } from 'node:net';
import type { RulesetUpdate } from '../rulesets';
import type { SseConnection } from '../client-api/sse-connections';
import { RulesetStreams, sseEvent } from '../client-api/sse-connections';

export function refetchEvent(version: number): string {
  return sseEvent(null, version, JSON.stringify({ type: 'refetchEvaluation', etag: String(version) }));
}

export interface OpenOfrepStream {
  socket: Socket;
  environment: string;
  tokenId: string;
  currentVersion: number;
  /** The provider's Last-Event-ID: when behind, it is told to re-fetch at once. */
  lastEventId: number | null;
  headers: Record<string, string>;
}

export class OfrepEventStreams extends RulesetStreams<SseConnection> {
  open({ socket, environment, tokenId, currentVersion, lastEventId, headers }: OpenOfrepStream): void {
    const connection: SseConnection = { socket, environment, tokenId };
    if (!this.connections.open(connection, headers)) return;
    if (lastEventId !== null && lastEventId < currentVersion)
      this.connections.write(connection, refetchEvent(currentVersion));
  }

  protected onUpdate({ environment, ruleset, affected }: RulesetUpdate): void {
    // A change no flag depends on (an unused segment) alters no evaluation: nothing to re-fetch.
    if (affected !== null && affected.size === 0) return;
    const event = refetchEvent(ruleset.version);
    for (const connection of this.connections.of(environment)) this.connections.write(connection, event);
  }
}
