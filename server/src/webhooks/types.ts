/** Webhooks and their deliveries, as stored and as the admin API shows them (never the secret). */

export interface Webhook {
  id: string;
  url: string;
  /** Audit actions (`flag.kill`) or prefixes (`flag.*`); `*` is everything. */
  events: string[];
  description: string;
  /** Audit entries up to this id happened before the webhook existed and are not sent. */
  afterAuditId: number;
  createdAt: string;
  createdBy: string;
}

export interface StoredWebhook extends Webhook {
  /** The HMAC key; shown once, when the webhook is created. */
  secret: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  /** The receiver's HTTP status; null when no answer came (refused, timed out). */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  auditId: number;
  event: string;
  /** The exact JSON body that is signed and sent. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  leaseUntil: string | null;
  log: DeliveryAttempt[];
  createdAt: string;
  finishedAt: string | null;
}
