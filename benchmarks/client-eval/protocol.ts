/** IPC between the client-evaluate suite and its two children: the bare server and the load generator. */

/** Parent → bare server: the bytes to answer every request with. */
export interface BareBody {
  type: 'body';
  body: string;
}

/** Bare server → parent, once it listens. */
export interface BareListening {
  type: 'listening';
  port: number;
}

/** Parent → load generator: one warm-up window, then one measured window, against one URL. */
export interface LoadJob {
  type: 'run';
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Every response must be exactly this (a differing one counts as a mismatch). */
  expectBody: string;
  connections: number;
  pipelining: number;
  warmupSeconds: number;
  durationSeconds: number;
}

/** What the measured window gave (the warm-up is not reported). */
export interface LoadResult {
  /** Mean of the per-second samples. */
  requestsPerSecond: number;
  /** Completed requests in the measured window. */
  requests: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Response bytes per second (headers and body). */
  bytesPerSecond: number;
  non2xx: number;
  /** Responses whose body differed from the expected one. */
  mismatches: number;
  errors: number;
  timeouts: number;
  /** Responses per status code. */
  statusCodes: Record<string, number>;
}

export type LoadReply = { type: 'result'; result: LoadResult } | { type: 'failed'; error: string };
