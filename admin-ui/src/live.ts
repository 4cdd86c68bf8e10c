import { ApiError } from './api';
import type { AdminApi, AuditEntry } from './api';
import { parseSse } from './sse';

/** One committed change, as the audit log records it (without the before/after documents). */
export type Change = Pick<AuditEntry, 'id' | 'at' | 'actor' | 'action' | 'target' | 'environment'>;

/** streaming: the server's admin event stream; polling: the audit log, every few seconds. */
export type FeedMode = 'connecting' | 'streaming' | 'polling' | 'offline';

const POLL_INTERVAL_MS = 3_000;
const MAX_RETRY_MS = 15_000;

/**
 * Tells the UI about changes other people (and this tab) commit. Reads `GET /api/v1/events` (SSE, one
 * `change` event per audit entry) and falls back to polling the audit log when the server has no stream.
 */
export class ChangeFeed {
  private readonly listeners = new Set<(change: Change) => void>();
  private readonly modeListeners = new Set<(mode: FeedMode) => void>();
  private readonly abort = new AbortController();
  private lastId: number | null = null;
  private modeValue: FeedMode = 'connecting';

  /**
   * The audit log's newest entry, asked for when the feed is made, before the views ask for their data:
   * the stream starts after it, so the server replays whatever is committed in between.
   */
  private readonly headRead: Promise<number | null>;

  constructor(private readonly api: AdminApi) {
    this.headRead = api.audit({ limit: 1 }).then(
      (page) => page.entries[0]?.id ?? 0,
      // Without the head the stream still works; only changes before it connects could go unnoticed.
      () => null,
    );
  }

  get mode(): FeedMode {
    return this.modeValue;
  }

  start(): void {
    void this.headRead.then((head) => {
      this.lastId ??= head;
      return this.stream(0);
    });
  }

  stop(): void {
    this.abort.abort();
  }

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onMode(listener: (mode: FeedMode) => void): () => void {
    this.modeListeners.add(listener);
    return () => this.modeListeners.delete(listener);
  }

  private setMode(mode: FeedMode): void {
    if (mode === this.modeValue) return;
    this.modeValue = mode;
    for (const listener of this.modeListeners) listener(mode);
  }

  private emit(change: Change): void {
    if (this.lastId !== null && change.id <= this.lastId) return;
    this.lastId = change.id;
    for (const listener of this.listeners) listener(change);
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async stream(failures: number): Promise<void> {
    if (this.stopped) return;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.lastId !== null) headers['last-event-id'] = String(this.lastId);
    let response: Response;
    try {
      response = await this.api.fetch('/api/v1/events', { headers, signal: this.abort.signal });
    } catch {
      return this.retry(failures);
    }
    if (response.status === 404) return this.poll();
    // A revoked token stays revoked: the app signs out on the next request.
    if (response.status === 401) return this.setMode('offline');
    if (!response.ok || response.body === null) return this.retry(failures);
    this.setMode('streaming');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        const parsed = parseSse(buffer + value);
        buffer = parsed.rest;
        for (const event of parsed.events) {
          if (event.event === 'change') this.emit(JSON.parse(event.data) as Change);
        }
      }
    } catch {
      // The connection dropped (or the feed was stopped): reconnect below unless stopped.
    }
    return this.retry(0);
  }

  private async retry(failures: number): Promise<void> {
    if (this.stopped) return;
    this.setMode(failures > 0 ? 'offline' : 'connecting');
    await this.sleep(Math.min(MAX_RETRY_MS, 1_000 * 2 ** failures));
    return this.stream(failures + 1);
  }

  /** The server has no event stream: notice changes by the audit log's newest entries. */
  private async poll(): Promise<void> {
    while (!this.stopped) {
      try {
        const page = await this.api.audit({ limit: 50 });
        const fresh = page.entries.filter((e) => this.lastId === null || e.id > this.lastId);
        if (this.lastId === null) this.lastId = Math.max(0, ...page.entries.map((e) => e.id));
        else for (const entry of fresh.sort((a, b) => a.id - b.id)) this.emit(entry);
        this.setMode('polling');
      } catch (error) {
        this.setMode('offline');
        // A revoked token stays revoked: stop asking.
        if (error instanceof ApiError && error.status === 401) return;
      }
      await this.sleep(POLL_INTERVAL_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });
  }
}
