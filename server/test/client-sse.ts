/**
 * Reads an event stream in tests: events queue up and `next()` awaits one, bounded. Uses node:http with
 * a socket of its own per stream (no connection pool), so that closing a reader closes its connection.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request } from 'node:http';

export interface StreamEvent {
  type: string;
  id: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read event JSON freely
  data: any;
}

export interface StreamRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export class EventReader {
  readonly events: StreamEvent[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  private buffer = '';

  private constructor(private readonly response: IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.receive(chunk));
    response.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
  }

  get headers(): IncomingHttpHeaders {
    return this.response.headers;
  }

  /** Opens a stream; rejects unless the answer is 200. */
  static open(url: string, init: StreamRequest = {}): Promise<EventReader> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        url,
        { method: init.method ?? 'GET', headers: init.headers, agent: false },
        (response) => {
          if (response.statusCode === 200) return resolve(new EventReader(response));
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => reject(new Error(`the stream answered ${response.statusCode}: ${text}`)));
        },
      );
      outgoing.on('error', reject);
      outgoing.end(init.body);
    });
  }

  /** The next unread event; rejects after `timeoutMs`, or when the stream ended first. */
  async next(timeoutMs = 5_000): Promise<StreamEvent> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0) {
      if (this.ended) throw new Error('the stream ended');
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, remaining);
      });
    }
    return this.events.shift() as StreamEvent;
  }

  /** Resolves when the server ends the stream; rejects after `timeoutMs`. */
  async closed(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`the stream stayed open for ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.response.destroy();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        if (line.startsWith(':') || line === '') continue;
        const colon = line.indexOf(':');
        fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^ /, ''));
      }
      const data = fields.get('data');
      if (data === undefined) continue;
      this.events.push({
        type: fields.get('event') ?? 'message',
        id: fields.get('id') ?? '',
        data: JSON.parse(data),
      });
      this.waiter?.();
    }
  }
}
