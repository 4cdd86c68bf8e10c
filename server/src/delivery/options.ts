/** Progressive-delivery settings (environment variables in server/README.md, "Progressive delivery"). */

export interface DeliveryOptions {
  /** How often the scheduler looks at plans and guards, and webhooks at new audit entries. */
  tickMs: number;
  /** A flag not evaluated, or serving one variant only, for this many days is stale. */
  staleAfterDays: number;
  /** First webhook retry delay; each further one is 4 times longer (capped at an hour). */
  webhookRetryBaseMs: number;
  /** Attempts before a webhook delivery is given up. */
  webhookMaxAttempts: number;
  /** Deadline of one webhook request. */
  webhookTimeoutMs: number;
}

const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  tickMs: 1_000,
  staleAfterDays: 30,
  webhookRetryBaseMs: 2_000,
  webhookMaxAttempts: 8,
  webhookTimeoutMs: 10_000,
};

/** The defaults, overridden by whatever is set. */
export function resolveDeliveryOptions(given: Partial<DeliveryOptions> = {}): DeliveryOptions {
  const set = Object.entries(given).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_DELIVERY_OPTIONS, ...Object.fromEntries(set) };
}
