/**
 * Server-Sent Events encoding of the SDK stream. Every event is encoded once into a Buffer that is
 * then written, as is, to every connection of its environment.
 */
import type {
  DeleteEvent,
  EnvironmentRuleset,
  FlagConfig,
  PatchEvent,
  SegmentDocument,
} from '@switchboard/core';
import type { ChangeRecord } from '../fanout/fanout';

/** One encoded event and the environment change sequence it brings a client up to. */
export interface Frame {
  readonly seq: number;
  readonly bytes: Buffer;
}

/**
 * The response head, written straight to the socket. The body is close-delimited (no chunked
 * framing), so an event costs exactly one socket write of its pre-encoded bytes. The body opens
 * with a comment: intermediaries that hold the headers until a first body byte pass them on now,
 * even when a resuming client has nothing to catch up on.
 */
export const STREAM_HEAD = Buffer.from(
  'HTTP/1.1 200 OK\r\n' +
    'content-type: text/event-stream; charset=utf-8\r\n' +
    'cache-control: no-cache\r\n' +
    'x-accel-buffering: no\r\n' +
    'connection: close\r\n' +
    '\r\n' +
    ':\n\n',
  'latin1',
);

/** A comment line: keeps idle connections (and proxies) alive and lets clients detect dead ones. */
export const HEARTBEAT = Buffer.from(':\n\n', 'latin1');

// JSON.stringify never emits a raw line break, so every payload is exactly one `data:` line.
function encode(type: 'put' | 'patch' | 'delete', seq: number, payload: unknown): Frame {
  return {
    seq,
    bytes: Buffer.from(`event: ${type}\nid: ${seq}\ndata: ${JSON.stringify(payload)}\n\n`, 'utf8'),
  };
}

export function encodePut(ruleset: EnvironmentRuleset): Frame {
  return encode('put', ruleset.version, ruleset);
}

export function encodeChange(change: ChangeRecord): Frame {
  if (change.value === null) {
    const event: DeleteEvent = { version: change.seq, kind: change.kind, key: change.key };
    return encode('delete', change.seq, event);
  }
  const event: PatchEvent =
    change.kind === 'flag'
      ? { version: change.seq, kind: 'flag', key: change.key, value: change.value as FlagConfig }
      : { version: change.seq, kind: 'segment', key: change.key, value: change.value as SegmentDocument };
  return encode('patch', change.seq, event);
}
