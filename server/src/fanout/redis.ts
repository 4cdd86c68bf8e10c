/**
 * Redis pub/sub as the channel replicas announce commits on. A notice is small
 * (`{"environment":"production","seq":42,"urgent":false,"committedAt":…}`); the changes themselves
 * stay in the store, so a lost or late message costs latency, never a change.
 *
 * Two connections: one subscribed (a subscribed Redis connection can do nothing else), one for
 * PUBLISH. The publisher has no offline queue: while Redis is away an announcement is dropped at
 * once (the others poll the store meanwhile) instead of piling up and arriving stale.
 */
import { Redis } from 'ioredis';
import type { FanoutLogger, NoticeChannel, NoticeHandlers, WireNotice } from './replicated';

export const REDIS_CHANNEL = 'switchboard:changes';

function parseNotice(message: string): WireNotice | null {
  try {
    const value: unknown = JSON.parse(message);
    if (typeof value !== 'object' || value === null) return null;
    const { environment, seq, urgent, committedAt } = value as Record<string, unknown>;
    if (typeof environment !== 'string' || !Number.isSafeInteger(seq) || (seq as number) < 1) return null;
    return {
      environment,
      seq: seq as number,
      urgent: urgent === true,
      committedAt: typeof committedAt === 'number' && Number.isFinite(committedAt) ? committedAt : Date.now(),
    };
  } catch {
    return null;
  }
}

export class RedisNoticeChannel implements NoticeChannel {
  readonly name = 'redis';
  private readonly subscriber: Redis;
  private readonly publisher: Redis;
  private handlers: NoticeHandlers | null = null;
  private up = false;
  private closed = false;

  constructor(
    url: string,
    private readonly log: FanoutLogger,
    private readonly channel = REDIS_CHANNEL,
  ) {
    const options = {
      lazyConnect: true,
      // Reconnect forever, at most every 2 s.
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 2_000),
      maxRetriesPerRequest: null,
    };
    this.subscriber = new Redis(url, { ...options, connectionName: 'switchboard-fanout-sub' });
    this.publisher = new Redis(url, {
      ...options,
      connectionName: 'switchboard-fanout-pub',
      enableOfflineQueue: false,
    });
  }

  start(handlers: NoticeHandlers): void {
    this.handlers = handlers;
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const notice = parseNotice(message);
      if (notice) handlers.notice(notice);
      else this.log.warn({ channel }, 'fan-out: ignored a malformed Redis notice');
    });
    // Up only once SUBSCRIBE is confirmed: a notice published before that is not received, so the
    // catch-up that `up` triggers must come after it.
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel).then(
        () => this.setUp(true),
        (error: unknown) => this.log.warn({ err: error }, 'fan-out: Redis SUBSCRIBE failed'),
      );
    });
    this.subscriber.on('close', () => this.setUp(false));
    // Connection errors are retried; `close` has already said the channel is down.
    this.subscriber.on('error', () => undefined);
    this.publisher.on('error', () => undefined);
    this.subscriber.connect().catch(() => undefined);
    this.publisher.connect().catch(() => undefined);
  }

  announce(notice: WireNotice): void {
    if (this.closed) return;
    this.publisher.publish(this.channel, JSON.stringify(notice)).catch((error: unknown) => {
      this.log.warn(
        { err: error, environment: notice.environment, seq: notice.seq },
        'fan-out: Redis PUBLISH failed; other replicas find the change by polling',
      );
    });
  }

  private setUp(up: boolean): void {
    if (this.closed || up === this.up) return;
    this.up = up;
    if (up) this.handlers?.up();
    else this.handlers?.down();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }
}
