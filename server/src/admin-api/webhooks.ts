/** Webhooks (admin only): register a URL for signed change and kill notices, list, remove, and the delivery log. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { badRequest, notFound } from '../errors';
import { createWebhook, deleteWebhook, publicView } from '../webhooks/manage';
import { actorOf, Limit, pageSize } from './common';

const closed = { additionalProperties: false } as const;
const EventPattern = Type.String({
  pattern: '^(\\*|[a-z]+(\\.[a-z]+)*(\\.\\*)?)$',
  maxLength: 100,
  description: 'An audit action (flag.kill), a prefix (flag.*), or * for everything',
});
const WebhookParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }, closed);

function checkUrl(url: string): void {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw badRequest('the webhook URL must be an absolute http(s) URL', [
      { path: '/body/url', problem: 'not an http(s) URL' },
    ]);
  }
}

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const manage = [app.authenticate, app.requirePermission('manage')];

  app.get(
    '/webhooks',
    {
      onRequest: manage,
      schema: { tags: ['webhooks'], summary: 'Registered webhooks (never their secrets)' },
    },
    async () => {
      const webhooks = await app.store.delivery.read((queries) => queries.listWebhooks());
      return { webhooks: webhooks.map(publicView) };
    },
  );

  app.post(
    '/webhooks',
    {
      onRequest: manage,
      schema: {
        tags: ['webhooks'],
        summary: 'Register a URL that receives HMAC-signed JSON for matching audit entries',
        description:
          'Answers the signing secret once. Default events: flag.*, segment.*, plan.* (changes and kills).',
        body: Type.Object(
          {
            url: Type.String({ minLength: 1, maxLength: 2000 }),
            events: Type.Optional(Type.Array(EventPattern, { minItems: 1, maxItems: 50 })),
            description: Type.Optional(Type.String({ maxLength: 1000 })),
          },
          closed,
        ),
      },
    },
    async (request, reply) => {
      checkUrl(request.body.url);
      const { webhook, secret } = await createWebhook(app.mutations, actorOf(request), request.body);
      return reply.code(201).send({ ...webhook, secret });
    },
  );

  app.delete(
    '/webhooks/:id',
    {
      onRequest: manage,
      schema: { tags: ['webhooks'], summary: 'Remove a webhook and its delivery log', params: WebhookParams },
    },
    async (request, reply) => {
      await deleteWebhook(app.mutations, actorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      onRequest: manage,
      schema: {
        tags: ['webhooks'],
        summary: "The webhook's deliveries, newest first, with every attempt",
        params: WebhookParams,
        querystring: Type.Object({ limit: Type.Optional(Limit) }, closed),
      },
    },
    async (request) => {
      const { id } = request.params;
      const deliveries = await app.store.delivery.read(async (queries) =>
        (await queries.getWebhook(id)) ? queries.listDeliveries(id, pageSize(request.query.limit)) : null,
      );
      if (deliveries === null) throw notFound(`webhook "${id}" does not exist`);
      return { deliveries };
    },
  );
};
