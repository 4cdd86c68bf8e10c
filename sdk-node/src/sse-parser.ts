/**
 * Incremental Server-Sent Events parser (the WHATWG event-stream grammar).
 * Bytes may arrive split anywhere — inside a line, between `\r` and `\n`, inside a UTF-8
 * sequence — and an event is only dispatched once its terminating blank line has arrived.
 */

export interface SseEvent {
  /** The `event:` field; `message` when absent. */
  readonly type: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
  /** The last event id seen on the stream so far (it persists across events, per the spec). */
  readonly id: string;
}

export interface SseHandlers {
  event(event: SseEvent): void;
  /** A `:` comment line, e.g. a heartbeat. */
  comment?(text: string): void;
  /** A valid `retry:` field (milliseconds). */
  retry?(ms: number): void;
}

const LF = 10;

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  /** Pieces of the current, not yet terminated line (kept as parts to stay linear on huge events). */
  private partialLine: string[] = [];
  /** The previous chunk ended with `\r`: a `\n` starting the next chunk belongs to that line break. */
  private skipLeadingLf = false;
  private atStreamStart = true;
  private eventType = '';
  private dataLines: string[] = [];
  private lastEventId = '';

  constructor(private readonly handlers: SseHandlers) {}

  /** The id a reconnect should send as `Last-Event-ID`. */
  get lastId(): string {
    return this.lastEventId;
  }

  push(chunk: Uint8Array | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.atStreamStart && text.length > 0) {
      this.atStreamStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    if (this.skipLeadingLf && text.length > 0) {
      this.skipLeadingLf = false;
      if (text.charCodeAt(0) === LF) start = 1;
    }
    // Line breaks are found with indexOf (native) rather than by looking at every character.
    let nextLf = text.indexOf('\n', start);
    let nextCr = text.indexOf('\r', start);
    while (nextLf !== -1 || nextCr !== -1) {
      const end = nextCr === -1 || (nextLf !== -1 && nextLf < nextCr) ? nextLf : nextCr;
      const piece = text.slice(start, end);
      let line = piece;
      if (this.partialLine.length > 0) {
        this.partialLine.push(piece);
        line = this.partialLine.join('');
        this.partialLine = [];
      }
      start = end + 1;
      if (end === nextCr) {
        if (start === text.length) this.skipLeadingLf = true;
        else if (text.charCodeAt(start) === LF) start++;
      }
      if (nextLf !== -1 && nextLf < start) nextLf = text.indexOf('\n', start);
      if (nextCr !== -1 && nextCr < start) nextCr = text.indexOf('\r', start);
      this.processLine(line);
    }
    if (start < text.length) this.partialLine.push(text.slice(start));
  }

  private processLine(line: string): void {
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) {
      this.handlers.comment?.(line.slice(1).replace(/^ /, ''));
      return;
    }
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.dataLines.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.retry?.(Number(value));
        break;
      default:
      // Unknown fields are ignored, as the spec requires.
    }
  }

  private dispatch(): void {
    const type = this.eventType || 'message';
    this.eventType = '';
    if (this.dataLines.length === 0) return;
    const data = this.dataLines.length === 1 ? this.dataLines[0]! : this.dataLines.join('\n');
    this.dataLines = [];
    this.handlers.event({ type, data, id: this.lastEventId });
  }
}
