/**
 * Webhook delivery: the audit log is the outbox.
 *
 * Enqueue: the dispatcher reads audit entries after a shared cursor and, in one batch, moves the
 * cursor (only from the value it read) and creates one delivery per matching webhook. Entries are
 * committed and immutable, so every entry is enqueued once, whichever replica committed it and even
 * when it was written while no dispatcher ran; a replica that loses the race on the cursor creates
 * nothing (and a unique key on (webhook, entry) backs this up).
 *
 * Send: a due delivery is claimed with a lease (a conditional update), POSTed with an HMAC
 * signature, and either marked delivered (2xx) or scheduled again after an exponential backoff
 * (retryBaseMs × 4^(attempt − 1), at most an hour) until maxAttempts, then marked failed. Every
 * attempt is logged on the delivery. Delivery is at least once: a receiver that answers after the
 * lease ran out may get the same delivery id again.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditEntry } from '../audit/chain';
import { Ticker } from '../delivery/ticker';
import type { Repository } from '../store/repository';
import { wantsEvent } from './manage';
import { SIGNATURE_HEADER, signatureHeader } from './signing';
import type { DeliveryAttempt, StoredWebhook, WebhookDelivery } from './types';

export interface WebhookOptions {
  /** How often to look for new audit entries and due retries (a local commit wakes it at once). */
  tickMs: number;
  /** First retry delay; each further one is 4 times longer (capped at an hour). */
  retryBaseMs: number;
  /** Attempts before a delivery is given up. */
  maxAttempts: number;
  /** Deadline of one attempt. */
  timeoutMs: number;
}

/** Audit entries read per batch, and deliveries sent at once. */
const AUDIT_BATCH = 200;
const SEND_BATCH = 10;
const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;
/** A sender's claim outlives its request deadline by this much. */
const LEASE_MARGIN_MS = 5_000;

const newDeliveryId = () => `dlv_${randomBytes(8).toString('hex')}`;

function retryDelayMs(options: Pick<WebhookOptions, 'retryBaseMs'>, attempt: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, options.retryBaseMs * 4 ** (attempt - 1));
}

/** The JSON each webhook request carries. */
function deliveryPayload(delivery: { id: string; webhookId: string }, entry: AuditEntry): string {
  return JSON.stringify({ delivery: delivery.id, webhook: delivery.webhookId, event: entry.action, entry });
}

export class WebhookDispatcher {
  private readonly ticker: Ticker;

  constructor(
    private readonly store: Repository,
    private readonly options: WebhookOptions,
    private readonly log: FastifyBaseLogger,
  ) {
    this.ticker = new Ticker(options.tickMs, () => this.tick());
  }

  start(): void {
    this.ticker.start();
  }

  /** Something was committed here: look for it now rather than at the next tick. */
  wake(): void {
    this.ticker.wake();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  private async tick(): Promise<void> {
    try {
      await this.enqueue();
      await this.sendDue();
    } catch (error) {
      this.log.error({ err: error }, 'webhook dispatch failed');
    }
  }

  /** Creates the deliveries of the audit entries after the cursor. */
  private async enqueue(): Promise<void> {
    let cursor = await this.store.delivery.read((queries) => queries.webhookCursor());
    if (cursor === null) {
      // First run on this database: what happened before is history, not news.
      const newest = (await this.store.listAudit({ limit: 1 })).items[0]?.id ?? 0;
      await this.store.delivery.batch((queries) => queries.initWebhookCursor(newest));
      return;
    }
    const webhooks = await this.store.delivery.read((queries) => queries.listWebhooks());
    // Without webhooks there is nothing to create, and entries older than every webhook never matter:
    // reading starts after them (the cursor itself only moves with the deliveries it accounts for).
    if (webhooks.length === 0) return;
    let readAfter = Math.max(cursor, Math.min(...webhooks.map((webhook) => webhook.afterAuditId)));
    for (;;) {
      const entries = await this.store.readAuditChain(readAfter, AUDIT_BATCH);
      const last = entries[entries.length - 1];
      if (last === undefined) return;
      const from = cursor;
      const deliveries = entries.flatMap((entry) => this.deliveriesOf(webhooks, entry));
      const moved = await this.store.delivery.batch(async (queries) => {
        if (!(await queries.advanceWebhookCursor(from, last.id))) return false;
        if (deliveries.length > 0) await queries.insertDeliveries(deliveries);
        return true;
      });
      if (!moved) return; // another replica enqueued these; it will have moved on
      cursor = readAfter = last.id;
    }
  }

  private deliveriesOf(webhooks: StoredWebhook[], entry: AuditEntry): WebhookDelivery[] {
    const now = new Date().toISOString();
    return webhooks
      .filter((webhook) => entry.id > webhook.afterAuditId && wantsEvent(webhook.events, entry.action))
      .map((webhook) => {
        const id = newDeliveryId();
        return {
          id,
          webhookId: webhook.id,
          auditId: entry.id,
          event: entry.action,
          payload: deliveryPayload({ id, webhookId: webhook.id }, entry),
          status: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          leaseUntil: null,
          log: [],
          createdAt: now,
          finishedAt: null,
        };
      });
  }

  private async sendDue(): Promise<void> {
    const due = await this.store.delivery.read((queries) =>
      queries.dueDeliveries(new Date().toISOString(), SEND_BATCH),
    );
    await Promise.all(due.map((delivery) => this.attempt(delivery)));
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const now = Date.now();
    const claimed = await this.store.delivery.batch((queries) =>
      queries.claimDelivery(
        delivery.id,
        new Date(now).toISOString(),
        new Date(now + this.options.timeoutMs + LEASE_MARGIN_MS).toISOString(),
      ),
    );
    if (!claimed) return;
    const number = delivery.attempts + 1;
    const webhook = await this.store.delivery.read((queries) => queries.getWebhook(delivery.webhookId));
    // A webhook removed while this delivery was being created: nothing to send it to, ever.
    const attempt = webhook
      ? await this.post(webhook, delivery, number)
      : {
          attempt: number,
          at: new Date(now).toISOString(),
          statusCode: null,
          error: 'webhook removed',
          durationMs: 0,
        };
    const ok = attempt.statusCode !== null && attempt.statusCode >= 200 && attempt.statusCode < 300;
    const finishedAt = new Date().toISOString();
    const update = ok
      ? { status: 'delivered' as const, nextAttemptAt: null, attempt, finishedAt }
      : !webhook || number >= this.options.maxAttempts
        ? { status: 'failed' as const, nextAttemptAt: null, attempt, finishedAt }
        : {
            status: 'pending' as const,
            nextAttemptAt: new Date(Date.now() + retryDelayMs(this.options, number)).toISOString(),
            attempt,
            finishedAt: null,
          };
    await this.store.delivery.batch((queries) => queries.finishAttempt(delivery, update));
    if (update.status === 'failed') {
      this.log.warn(
        { webhook: delivery.webhookId, delivery: delivery.id, error: attempt.error },
        'webhook delivery given up',
      );
    }
  }

  private async post(
    webhook: StoredWebhook,
    delivery: WebhookDelivery,
    attempt: number,
  ): Promise<DeliveryAttempt> {
    const started = Date.now();
    const record = (statusCode: number | null, error: string | null): DeliveryAttempt => ({
      attempt,
      at: new Date(started).toISOString(),
      statusCode,
      error,
      durationMs: Date.now() - started,
    });
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'switchboard-webhooks',
          'x-switchboard-event': delivery.event,
          'x-switchboard-delivery': delivery.id,
          [SIGNATURE_HEADER]: signatureHeader(webhook.secret, delivery.payload, Math.floor(started / 1000)),
        },
        body: delivery.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await response.body?.cancel();
      const ok = response.status >= 200 && response.status < 300;
      return record(response.status, ok ? null : `HTTP ${response.status}`);
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause;
      return record(null, cause?.message ?? (error as Error).message);
    }
  }
}
