import type { ClientRequest, OutgoingHttpHeaders } from 'node:http';
import type { DeleteEvent, EnvironmentRuleset, PatchEvent } from '@switchboard/core';
import { Backoff } from './backoff';
import { HttpError, request, startRequest } from './http';
import type { Logger } from './logger';
import { SseParser } from './sse-parser';
import type { SseEvent } from './sse-parser';
import { isDeleteEvent, isEnvironmentRuleset, isPatchEvent } from './wire-guards';

/** How the SDK is currently in touch with the server. */
export type ConnectionState = 'connecting' | 'streaming' | 'polling' | 'disconnected' | 'stopped';

export interface SynchronizerOptions {
  url: URL;
  sdkKey: string;
  userAgent: string;
  /**
   * Sent with every request (x-switchboard-instance), so the server can tell which ruleset the instance
   * holds; absent for a relay, which is no reporting instance.
   */
  instanceId?: string;
  streaming: boolean;
  pollIntervalMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  streamFailuresBeforePolling: number;
  streamIdleTimeoutMs: number;
  requestTimeoutMs: number;
  maxRulesetBytes: number;
  logger: Logger;
  random?: () => number;
}

export interface SynchronizerHandlers {
  put(ruleset: EnvironmentRuleset): void;
  patch(event: PatchEvent): void;
  remove(event: DeleteEvent): void;
  /** The `Last-Event-ID` to resume from, or null to ask for a fresh `put`. */
  resumeId(): string | null;
  connectionChanged(state: ConnectionState): void;
  /** The server refused the key (401/403): nothing is retried after this. */
  unauthorized(error: HttpError): void;
}

/**
 * Keeps the ruleset in sync with the server: an SSE stream with reconnects (exponential backoff,
 * full jitter, resume by Last-Event-ID), and ETag polling of /sdk/v1/flags while the stream keeps
 * failing; polling stops once a stream delivers again.
 */
export class Synchronizer {
  private readonly backoff: Backoff;
  private readonly streamUrl: URL;
  private readonly flagsUrl: URL;
  private stream: ClientRequest | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private polling = false;
  private streamUp = false;
  private pollUp = false;
  private etag: string | null = null;
  /** Set after a malformed event: the next connection asks for a fresh put instead of resuming. */
  private resumeDisabled = false;
  private stopped = false;
  private state: ConnectionState = 'connecting';

  constructor(
    private readonly options: SynchronizerOptions,
    private readonly handlers: SynchronizerHandlers,
  ) {
    this.backoff = new Backoff({
      baseMs: options.reconnectBaseMs,
      maxMs: options.reconnectMaxMs,
      random: options.random,
    });
    this.streamUrl = new URL('sdk/v1/stream', options.url);
    this.flagsUrl = new URL('sdk/v1/flags', options.url);
  }

  start(): void {
    if (this.options.streaming) this.connectStream();
    else this.startPolling();
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.stream?.destroy();
    this.stream = null;
    this.setState('stopped');
  }

  private headers(extra: OutgoingHttpHeaders): OutgoingHttpHeaders {
    const { sdkKey, userAgent, instanceId } = this.options;
    return {
      authorization: `Bearer ${sdkKey}`,
      'user-agent': userAgent,
      ...(instanceId === undefined ? {} : { 'x-switchboard-instance': instanceId }),
      ...extra,
    };
  }

  private connectStream(): void {
    if (this.stopped) return;
    const headers = this.headers({ accept: 'text/event-stream', 'cache-control': 'no-cache' });
    const resumeId = this.resumeDisabled ? null : this.handlers.resumeId();
    if (resumeId !== null) headers['last-event-id'] = resumeId;
    this.resumeDisabled = false;

    const req = startRequest(this.streamUrl, 'GET', headers, true);
    this.stream = req;
    let ended = false;
    let delivered = false;
    const end = (reason: string): void => {
      if (ended) return;
      ended = true;
      if (this.stream === req) this.stream = null;
      req.destroy();
      this.streamEnded(reason, delivered);
    };
    // No byte (event or heartbeat) for this long means a dead connection nobody told us about.
    req.setTimeout(this.options.streamIdleTimeoutMs, () => end('stream idle timeout'));
    req.on('error', (error) => end(error.message));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status === 401 || status === 403) {
        res.resume();
        ended = true;
        this.fail(new HttpError(`the server refused the SDK key (HTTP ${status})`, status));
        return;
      }
      if (status !== 200) {
        res.resume();
        end(`stream answered HTTP ${status}`);
        return;
      }
      res.socket?.setNoDelay(true);
      this.streamUp = true;
      this.updateState();
      const markDelivered = (): void => {
        if (delivered) return;
        delivered = true;
        this.streamDelivered();
      };
      const parser = new SseParser({
        event: (event) => {
          if (ended) return;
          if (this.onStreamEvent(event)) markDelivered();
          else {
            this.resumeDisabled = true;
            end(`malformed '${event.type}' event`);
          }
        },
        // The server opens the body with a comment and sends one as heartbeat: proof of a working stream.
        comment: markDelivered,
      });
      res.setEncoding('utf8'); // Node's native decoder keeps a UTF-8 sequence split across chunks whole
      res.on('data', (chunk: string) => parser.push(chunk));
      res.on('end', () => end('stream closed by the server'));
      res.on('error', (error) => end(error.message));
      res.on('close', () => end('stream closed'));
    });
    req.end();
  }

  /** Returns false when the event is malformed. Unknown event types are ignored (forward compatibility). */
  private onStreamEvent(event: SseEvent): boolean {
    if (event.type !== 'put' && event.type !== 'patch' && event.type !== 'delete') return true;
    let payload: unknown;
    try {
      payload = JSON.parse(event.data);
    } catch {
      this.options.logger.warn(`switchboard: '${event.type}' event is not valid JSON`);
      return false;
    }
    try {
      if (event.type === 'put' && isEnvironmentRuleset(payload)) this.handlers.put(payload);
      else if (event.type === 'patch' && isPatchEvent(payload)) this.handlers.patch(payload);
      else if (event.type === 'delete' && isDeleteEvent(payload)) this.handlers.remove(payload);
      else {
        this.options.logger.warn(`switchboard: '${event.type}' event has an unexpected shape`);
        return false;
      }
    } catch (error) {
      // Never let a bad event escape into the host's event loop as an uncaught exception.
      this.options.logger.error(`switchboard: could not apply a '${event.type}' event`, error);
      return false;
    }
    return true;
  }

  /** A stream delivered its first bytes of SSE (event or comment): the connection is healthy. */
  private streamDelivered(): void {
    this.backoff.reset();
    this.stopPolling();
  }

  private streamEnded(reason: string, delivered: boolean): void {
    this.streamUp = false;
    this.updateState();
    if (this.stopped) return;
    const delay = this.backoff.next();
    this.options.logger[delivered ? 'info' : 'warn'](
      `switchboard: ${reason}; reconnecting in ${delay} ms (attempt ${this.backoff.failures})`,
    );
    if (this.backoff.failures >= this.options.streamFailuresBeforePolling) this.startPolling();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connectStream();
    }, delay);
  }

  private startPolling(): void {
    if (this.polling || this.stopped) return;
    this.polling = true;
    this.options.logger.info('switchboard: polling for flag changes');
    void this.poll();
  }

  private stopPolling(): void {
    if (!this.polling) return;
    this.polling = false;
    this.pollUp = false;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.updateState();
  }

  private async poll(): Promise<void> {
    this.pollTimer = null;
    try {
      const headers = this.headers({ accept: 'application/json' });
      if (this.etag !== null) headers['if-none-match'] = this.etag;
      const res = await request(this.flagsUrl, {
        headers,
        timeoutMs: this.options.requestTimeoutMs,
        maxBodyBytes: this.options.maxRulesetBytes,
      });
      if (!this.polling) return;
      if (res.status === 401 || res.status === 403) {
        this.fail(new HttpError(`the server refused the SDK key (HTTP ${res.status})`, res.status));
        return;
      }
      if (res.status === 200) {
        const ruleset: unknown = JSON.parse(res.body.toString('utf8'));
        if (!isEnvironmentRuleset(ruleset)) throw new Error('the flags response has an unexpected shape');
        this.etag = typeof res.headers.etag === 'string' ? res.headers.etag : null;
        this.handlers.put(ruleset);
      } else if (res.status !== 304) {
        throw new HttpError(`polling answered HTTP ${res.status}`, res.status);
      }
      this.pollUp = true;
    } catch (error) {
      this.pollUp = false;
      this.options.logger.warn(`switchboard: polling failed: ${(error as Error).message}`);
    }
    this.updateState();
    if (this.polling && !this.stopped) {
      this.pollTimer = setTimeout(() => void this.poll(), this.options.pollIntervalMs);
    }
  }

  private fail(error: HttpError): void {
    this.options.logger.error(`switchboard: ${error.message}; giving up until the client is recreated`);
    this.stop();
    this.handlers.unauthorized(error);
  }

  private updateState(): void {
    if (this.stopped) return;
    this.setState(this.streamUp ? 'streaming' : this.pollUp ? 'polling' : 'disconnected');
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    this.handlers.connectionChanged(state);
  }
}
