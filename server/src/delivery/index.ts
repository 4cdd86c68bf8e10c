/**
 * Progressive delivery: ramp plans and their scheduler, guards, SDK event ingestion
 * (`POST /sdk/v1/events`, `POST /client/v1/events`) and webhook dispatch. Decorates the app with
 * `delivery` for the admin routes (admin-api/plans.ts, insight.ts, webhooks.ts).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { WebhookDispatcher } from '../webhooks/dispatcher';
import { clientEventRoutes, sdkEventRoutes } from './events';
import { InstanceHeartbeats } from './instance-heartbeats';
import type { DeliveryOptions } from './options';
import { resolveDeliveryOptions } from './options';
import { RampPlans } from './plans';
import { RampScheduler } from './scheduler';

export interface ProgressiveDelivery {
  options: DeliveryOptions;
  plans: RampPlans;
  scheduler: RampScheduler;
  webhooks: WebhookDispatcher;
  /** SDK instance heartbeats not yet stored: flush() before listing instances. */
  instances: InstanceHeartbeats;
}

/** Below the SDKs' 10 s report interval: a crash loses at most one report per instance. */
const INSTANCE_FLUSH_MS = 5_000;

declare module 'fastify' {
  interface FastifyInstance {
    delivery: ProgressiveDelivery;
  }
}

async function plugin(app: FastifyInstance): Promise<void> {
  const options = resolveDeliveryOptions(app.config.delivery);
  const plans = new RampPlans(app.mutations);
  const scheduler = new RampScheduler(app.store, plans, options.tickMs, app.log);
  const webhooks = new WebhookDispatcher(
    app.store,
    {
      tickMs: options.tickMs,
      retryBaseMs: options.webhookRetryBaseMs,
      maxAttempts: options.webhookMaxAttempts,
      timeoutMs: options.webhookTimeoutMs,
    },
    app.log,
  );
  const instances = new InstanceHeartbeats(app.store.delivery, INSTANCE_FLUSH_MS, app.log);
  const unsubscribe = [
    app.mutations.onKill(plans.abortOnKill),
    app.mutations.onAudited(() => webhooks.wake()),
  ];
  app.decorate('delivery', { options, plans, scheduler, webhooks, instances });
  await app.register(sdkEventRoutes);
  await app.register(clientEventRoutes);
  app.addHook('onReady', async () => {
    scheduler.start();
    webhooks.start();
    instances.start();
  });
  // preClose: the store closes in onClose, and a tick in progress must finish before that.
  app.addHook('preClose', async () => {
    for (const stop of unsubscribe) stop();
    await Promise.all([scheduler.stop(), webhooks.stop(), instances.stop()]);
  });
}

export const progressiveDelivery = fp(plugin, {
  name: 'switchboard-delivery',
  dependencies: ['switchboard-auth'],
});
