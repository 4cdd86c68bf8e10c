/** Registering and removing webhooks: audited mutations (the secret never enters the audit log). */
import { randomBytes } from 'node:crypto';
import type { Actor } from '../audit/chain';
import { notFound } from '../errors';
import type { Mutations } from '../mutations';
import { generateWebhookSecret } from './signing';
import type { StoredWebhook, Webhook } from './types';

/** What a new webhook receives unless told otherwise: changes and kills of flags, segments and plans. */
const DEFAULT_WEBHOOK_EVENTS = ['flag.*', 'segment.*', 'plan.*'];

const newWebhookId = () => `whk_${randomBytes(8).toString('hex')}`;

export const publicView = ({ secret: _secret, ...webhook }: StoredWebhook): Webhook => webhook;

/** True when the audit action is one the webhook asked for (`*`, `prefix.*` or the exact action). */
export function wantsEvent(patterns: readonly string[], action: string): boolean {
  return patterns.some(
    (pattern) =>
      pattern === '*' ||
      pattern === action ||
      (pattern.endsWith('.*') && action.startsWith(pattern.slice(0, -1))),
  );
}

export function createWebhook(
  mutations: Mutations,
  actor: Actor,
  request: { url: string; events?: string[]; description?: string },
): Promise<{ webhook: Webhook; secret: string }> {
  return mutations.commitAs(actor, async (write) => {
    const draft = {
      id: newWebhookId(),
      url: request.url,
      events: request.events ?? DEFAULT_WEBHOOK_EVENTS,
      description: request.description ?? '',
      createdAt: new Date().toISOString(),
      createdBy: actor.name,
    };
    const entry = await write.audit({
      action: 'webhook.create',
      target: { kind: 'webhook', key: draft.id },
      before: null,
      after: draft,
    });
    // Entries up to its own creation are history to this webhook.
    const stored: StoredWebhook = { ...draft, afterAuditId: entry.id, secret: generateWebhookSecret() };
    await write.tx.delivery.insertWebhook(stored);
    return { webhook: publicView(stored), secret: stored.secret };
  });
}

export function deleteWebhook(mutations: Mutations, actor: Actor, id: string): Promise<void> {
  return mutations.commitAs(actor, async (write) => {
    const stored = await write.tx.delivery.getWebhook(id);
    if (!stored) throw notFound(`webhook "${id}" does not exist`);
    await write.tx.delivery.deleteWebhook(id);
    await write.audit({
      action: 'webhook.delete',
      target: { kind: 'webhook', key: id },
      before: publicView(stored),
      after: null,
    });
  });
}
