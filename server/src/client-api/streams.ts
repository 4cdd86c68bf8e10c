/**
 * Client streams: one per browser context. On connect, a `put` with every flag's value for the context
 * (or, when the client resumes from the current version, an empty `patch`); then, after each change, a
 * `patch` with only the flags whose outcome changed for that context. Each change re-evaluates only the
 * affected flags, in memory, per open stream.
 */
import type { Socket } from 'node:net';
import type { CompiledRuleset, Context } from '@switchboard/core';
import type { RulesetUpdate } from '../rulesets';
import { clientResultJson, evaluateAllJson, flagSetJson } from './results';
import type { SseConnection } from './sse-connections';
import { RulesetStreams, sseEvent } from './sse-connections';

interface ClientStream extends SseConnection {
  readonly context: Context;
  /** Result JSON per flag, as the client holds it. */
  readonly sent: Map<string, string>;
}

export interface OpenClientStream {
  socket: Socket;
  environment: string;
  tokenId: string;
  context: Context;
  ruleset: CompiledRuleset;
  /** The version the client already holds values of for this context (its Last-Event-ID). */
  resumeFrom: number | null;
  headers: Record<string, string>;
}

export class ClientStreams extends RulesetStreams<ClientStream> {
  /** Serves a stream on a hijacked socket; `ruleset` must be the environment's current one. */
  open({ socket, environment, tokenId, context, ruleset, resumeFrom, headers }: OpenClientStream): void {
    const stream: ClientStream = {
      socket,
      environment,
      tokenId,
      context,
      sent: evaluateAllJson(ruleset, context),
    };
    if (!this.connections.open(stream, headers)) return;
    const version = ruleset.version;
    const event =
      resumeFrom === version
        ? sseEvent('patch', version, flagSetJson([], version))
        : sseEvent('put', version, flagSetJson(stream.sent, version));
    this.connections.write(stream, event);
  }

  protected onUpdate({ environment, ruleset, affected }: RulesetUpdate): void {
    const version = ruleset.version;
    for (const stream of this.connections.of(environment)) {
      const keys = affected ?? new Set([...stream.sent.keys(), ...ruleset.keys()]);
      const changed: Array<[string, string | null]> = [];
      for (const key of keys) {
        const json = ruleset.has(key) ? clientResultJson(ruleset.evaluate(key, stream.context)) : null;
        if (json === (stream.sent.get(key) ?? null)) continue;
        if (json === null) stream.sent.delete(key);
        else stream.sent.set(key, json);
        changed.push([key, json]);
      }
      if (changed.length > 0)
        this.connections.write(stream, sseEvent('patch', version, flagSetJson(changed, version)));
    }
  }
}
