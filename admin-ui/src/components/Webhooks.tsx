import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { Webhook } from '../api';
import { useApp } from '../app-context';
import { ErrorMessage, PageHeading, RelativeTime, useLoad } from './ui';

const DEFAULT_EVENTS = 'flag.*, segment.*, plan.*';

/** Webhooks (admins): register URLs for signed change and kill notices, and read their delivery logs. */
export function Webhooks() {
  const { can } = useApp();
  return (
    <section>
      <PageHeading>Webhooks</PageHeading>
      {can.manageWebhooks ? <WebhookManager /> : <p>Only admin tokens can manage webhooks.</p>}
    </section>
  );
}

function WebhookManager() {
  const { api, announce } = useApp();
  const list = useLoad(() => api.webhooks(), 'webhooks');
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState(DEFAULT_EVENTS);
  const [description, setDescription] = useState('');
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<string | null>(null);

  const create = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const patterns = events
        .split(',')
        .map((pattern) => pattern.trim())
        .filter((pattern) => pattern !== '');
      const created = await api.createWebhook({
        url: url.trim(),
        ...(patterns.length > 0 ? { events: patterns } : {}),
        ...(description.trim() === '' ? {} : { description: description.trim() }),
      });
      setSecret({ url: created.url, secret: created.secret });
      setUrl('');
      setDescription('');
      announce(`Webhook ${created.url} registered`);
      await list.reload();
    } catch (err) {
      setError(err);
    }
  };

  const remove = async (webhook: Webhook) => {
    setError(null);
    try {
      await api.deleteWebhook(webhook.id);
      announce(`Webhook ${webhook.url} removed`);
      await list.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <form class="card stack" onSubmit={create} aria-labelledby="new-webhook">
        <h2 id="new-webhook">New webhook</h2>
        <label>
          URL
          <input type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        </label>
        <label>
          Events <span class="hint">audit actions or prefixes, comma-separated (flag.kill, flag.*, *)</span>
          <input value={events} onInput={(e) => setEvents(e.currentTarget.value)} />
        </label>
        <label>
          Description
          <input
            value={description}
            maxLength={1000}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        </label>
        <div class="actions">
          <button type="submit" class="primary">
            Register
          </button>
        </div>
      </form>
      {secret === null ? null : (
        <div class="note" role="status">
          <p>
            Signing secret for {secret.url} — shown only now. Requests carry{' '}
            <code>X-Switchboard-Signature: t=…,v1=…</code>, an HMAC-SHA256 of <code>t.body</code> with this
            secret:
          </p>
          <p>
            <code class="secret">{secret.secret}</code>
          </p>
          <button type="button" onClick={() => setSecret(null)}>
            I have stored it
          </button>
        </div>
      )}
      <ErrorMessage error={list.error ?? error} />
      {list.data === null ? null : list.data.webhooks.length === 0 ? (
        <p class="empty">No webhooks yet.</p>
      ) : (
        <table class="webhooks">
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Registered</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.webhooks.map((webhook) => (
              <Fragment key={webhook.id}>
                <tr>
                  <td>
                    <code>{webhook.url}</code>
                    {webhook.description ? <span class="description">{webhook.description}</span> : null}
                  </td>
                  <td>{webhook.events.join(', ')}</td>
                  <td>
                    <RelativeTime iso={webhook.createdAt} /> by {webhook.createdBy}
                  </td>
                  <td class="actions">
                    <button
                      type="button"
                      aria-expanded={open === webhook.id}
                      onClick={() => setOpen(open === webhook.id ? null : webhook.id)}
                    >
                      Deliveries
                    </button>
                    <button type="button" class="danger" onClick={() => void remove(webhook)}>
                      Remove
                    </button>
                  </td>
                </tr>
                {open === webhook.id ? (
                  <tr>
                    <td colSpan={4}>
                      <DeliveryLog id={webhook.id} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function DeliveryLog({ id }: { id: string }) {
  const { api } = useApp();
  const log = useLoad(() => api.deliveries(id), id);
  if (log.error !== null) return <ErrorMessage error={log.error} />;
  if (log.data === null) return <p class="loading">Loading deliveries…</p>;
  if (log.data.deliveries.length === 0) return <p class="empty">Nothing sent yet.</p>;
  return (
    <table class="deliveries">
      <caption>
        Latest deliveries{' '}
        <button type="button" class="link" onClick={() => void log.reload()}>
          Refresh
        </button>
      </caption>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Status</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last answer</th>
        </tr>
      </thead>
      <tbody>
        {log.data.deliveries.map((delivery) => {
          const last = delivery.log[delivery.log.length - 1];
          return (
            <tr key={delivery.id}>
              <td>
                {delivery.event} <span class="muted">#{delivery.auditId}</span>
              </td>
              <td>
                <span
                  class={`pill ${delivery.status === 'delivered' ? 'pill-on' : delivery.status === 'failed' ? 'pill-killed' : ''}`}
                >
                  {delivery.status}
                </span>
                {delivery.nextAttemptAt === null ? null : (
                  <span class="muted">
                    {' '}
                    retry <RelativeTime iso={delivery.nextAttemptAt} />
                  </span>
                )}
              </td>
              <td>{delivery.attempts}</td>
              <td>
                {last === undefined
                  ? '—'
                  : `${last.statusCode ?? 'no answer'}${last.error === null ? '' : ` (${last.error})`}, ${last.durationMs} ms`}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
