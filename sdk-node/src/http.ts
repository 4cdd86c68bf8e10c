import http from 'node:http';
import https from 'node:https';
import type { ClientRequest, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers: OutgoingHttpHeaders;
  body?: string;
  timeoutMs: number;
  /** A larger response is abandoned rather than buffered. */
  maxBodyBytes: number;
}

export class HttpError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * Streams get their own connections without keep-alive: a keep-alive agent turns on TCP keep-alive
 * probes every second on idle sockets, which is pointless for a stream that carries its own heartbeat
 * (and adds up with thousands of processes), and a stream's connection is never reused anyway.
 */
const streamAgents = {
  http: new http.Agent({ keepAlive: false }),
  https: new https.Agent({ keepAlive: false }),
};

/**
 * Starts a request without waiting for the response: the caller wires its own listeners.
 * `stream` selects the stream agent; other requests share Node's global (keep-alive) agent.
 */
export function startRequest(
  url: URL,
  method: string,
  headers: OutgoingHttpHeaders,
  stream = false,
): ClientRequest {
  if (url.protocol === 'https:') {
    return https.request(url, { method, headers, ...(stream ? { agent: streamAgents.https } : {}) });
  }
  return http.request(url, { method, headers, ...(stream ? { agent: streamAgents.http } : {}) });
}

/** One buffered request/response exchange with a deadline covering the whole exchange. */
export function request(url: URL, options: RequestOptions): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = startRequest(url, options.method ?? 'GET', options.headers);
    const deadline = setTimeout(
      () => req.destroy(new HttpError(`request timed out after ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    const fail = (error: Error): void => {
      clearTimeout(deadline);
      reject(error);
    };
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBodyBytes) {
          req.destroy(new HttpError(`response larger than ${options.maxBodyBytes} bytes`, res.statusCode));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(deadline);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.end(options.body);
  });
}
