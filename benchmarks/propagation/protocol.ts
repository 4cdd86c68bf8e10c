/** IPC between the propagation suite and its client processes: requests with an id, one reply each. */

export type StreamTarget =
  { kind: 'switchboard'; url: string; sdkKey: string; flagKey: string } | { kind: 'bare'; url: string };

export type ClientCommand =
  /** Open `count` streams to the target, a wave at a time; reply when every one has its first event. */
  | { type: 'connect'; target: StreamTarget; count: number }
  /** Forget earlier receipts: the next change is the measured one. */
  | { type: 'arm' }
  /** Reply once every stream has seen the change since `arm`, or after `timeoutMs`. */
  | { type: 'collect'; timeoutMs: number }
  | { type: 'disconnect' };

export type ClientReply =
  | { type: 'connected'; streams: number; ms: number }
  | { type: 'armed' }
  /** `receivedAt`: process.hrtime.bigint() of each receipt, as decimal strings (one monotonic system clock). */
  | { type: 'collected'; receivedAt: string[]; missing: number }
  | { type: 'disconnected' }
  | { type: 'failed'; error: string };

export interface ClientRequest {
  id: number;
  command: ClientCommand;
}

export interface ClientResponse {
  id: number;
  reply: ClientReply;
}

/** What the bare server tells its parent once it listens. */
export interface BareServerListening {
  type: 'listening';
  port: number;
  eventBytes: number;
}
