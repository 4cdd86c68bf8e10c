import { useEffect, useState } from 'preact/hooks';
import type { AuditEntry, AuditFilter } from '../api';
import { useApp, useChanges } from '../app-context';
import { documentChanges } from '../diff';
import { href, navigate } from '../router';
import { DiffView } from './DiffView';
import { ErrorMessage, PageHeading, RelativeTime, useLoad } from './ui';

const PAGE_SIZE = 50;
/** Entries with at most this many changed settings show their diff without a click. */
const OPEN_DIFF_ROWS = 6;

const FILTER_FIELDS = ['flag', 'actor', 'action', 'from', 'to'] as const;

/** Route query (dates as YYYY-MM-DD) → API filter (ISO instants spanning whole local days). */
function apiFilter(filter: Record<string, string>): AuditFilter {
  const result: AuditFilter = {};
  if (filter.flag) result.flag = filter.flag;
  if (filter.actor) result.actor = filter.actor;
  if (filter.action) result.action = filter.action;
  if (filter.from) result.since = new Date(`${filter.from}T00:00:00`).toISOString();
  if (filter.to) result.until = new Date(`${filter.to}T23:59:59.999`).toISOString();
  return result;
}

export function AuditLog({ filter }: { filter: Record<string, string> }) {
  const { api } = useApp();
  const filterKey = JSON.stringify(filter);
  const first = useLoad(() => api.audit({ ...apiFilter(filter), limit: PAGE_SIZE }), filterKey);
  const chain = useLoad(() => api.verifyAudit(), 'verify');
  const [newer, setNewer] = useState<AuditEntry[]>([]);
  const [older, setOlder] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [form, setForm] = useState(filter);

  useEffect(() => {
    setNewer([]);
    setOlder([]);
    setCursor(first.data?.nextCursor ?? null);
  }, [first.data]);
  useEffect(() => setForm(filter), [filterKey]);

  const entries = [...newer, ...(first.data?.entries ?? []), ...older];

  useChanges(async () => {
    const newest = entries[0]?.id ?? 0;
    const page = await api.audit({ ...apiFilter(filter), limit: PAGE_SIZE });
    const fresh = page.entries.filter((e) => e.id > newest);
    if (fresh.length > 0) setNewer((known) => [...fresh, ...known]);
    void chain.reload();
  });

  const loadOlder = async () => {
    if (cursor === null) return;
    const page = await api.audit({ ...apiFilter(filter), limit: PAGE_SIZE, cursor });
    setOlder((known) => [...known, ...page.entries]);
    setCursor(page.nextCursor);
  };

  return (
    <section>
      <div class="page-head">
        <PageHeading>Audit log</PageHeading>
        <ChainBadge chain={chain.data} error={chain.error} />
      </div>
      <form
        class="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          const applied = Object.fromEntries(Object.entries(form).filter(([, v]) => v.trim() !== ''));
          navigate({ page: 'audit', filter: applied }, { replace: true });
        }}
      >
        {FILTER_FIELDS.map((field) => (
          <label key={field}>
            {field === 'from' ? 'From' : field === 'to' ? 'To' : field[0]!.toUpperCase() + field.slice(1)}
            <input
              type={field === 'from' || field === 'to' ? 'date' : 'text'}
              value={form[field] ?? ''}
              placeholder={field === 'action' ? 'e.g. flag.kill' : undefined}
              onInput={(e) => setForm({ ...form, [field]: e.currentTarget.value })}
            />
          </label>
        ))}
        <div class="actions">
          <button type="submit">Filter</button>
          {Object.keys(filter).length > 0 ? (
            <a class="button" href={href({ page: 'audit', filter: {} })}>
              Clear
            </a>
          ) : null}
        </div>
      </form>
      <ErrorMessage error={first.error} />
      {first.data === null && first.loading ? <p class="loading">Loading…</p> : null}
      {first.data !== null && entries.length === 0 ? <p class="empty">No entries match.</p> : null}
      <ol class="timeline">
        {entries.map((entry) => (
          <AuditItem key={entry.id} entry={entry} />
        ))}
      </ol>
      {cursor === null ? null : (
        <button type="button" onClick={loadOlder}>
          Load older entries
        </button>
      )}
    </section>
  );
}

function ChainBadge({
  chain,
  error,
}: {
  chain: { ok: boolean; entries?: number; brokenAt?: number } | null;
  error: unknown;
}) {
  if (error !== null) return <span class="badge badge-unknown">Chain not verified</span>;
  if (chain === null) return <span class="badge badge-unknown">Verifying chain…</span>;
  return chain.ok ? (
    <span class="badge badge-ok" title="Every entry's hash matches its content and the entry before it">
      ✓ Chain verified · {chain.entries} entries
    </span>
  ) : (
    <span class="badge badge-broken" role="alert">
      ✗ Chain broken at entry {chain.brokenAt}
    </span>
  );
}

function versionOf(document: unknown): number | null {
  return typeof document === 'object' &&
    document !== null &&
    'version' in document &&
    typeof document.version === 'number'
    ? document.version
    : null;
}

/** Tokens are audited by id; their name is what a reader recognises. */
function nameOf(document: unknown): string | null {
  return typeof document === 'object' &&
    document !== null &&
    'name' in document &&
    typeof document.name === 'string'
    ? document.name
    : null;
}

function AuditItem({ entry }: { entry: AuditEntry }) {
  const changes = documentChanges(entry.before, entry.after).length;
  // A whole document appearing or disappearing is long; its summary line says enough until opened.
  const wholeDocument = entry.before === null || entry.after === null;
  const from = versionOf(entry.before);
  const to = versionOf(entry.after);
  const isFlag = entry.target.kind === 'flag';
  return (
    <li class="card entry">
      <div class="entry-head">
        <span class="action">{entry.action}</span>
        {isFlag ? (
          <a
            href={href({
              page: 'flag',
              key: entry.target.key,
              ...(entry.environment ? { environment: entry.environment } : {}),
            })}
          >
            {entry.target.key}
          </a>
        ) : (
          <span>
            {entry.target.kind} {nameOf(entry.after) ?? nameOf(entry.before) ?? entry.target.key}
          </span>
        )}
        {entry.environment ? <span class="pill">{entry.environment}</span> : null}
      </div>
      <p class="entry-meta">
        <strong>{entry.actor.name}</strong> · <RelativeTime iso={entry.at} /> ·{' '}
        <span class="muted">
          {new Date(entry.at).toLocaleString()} · #{entry.id}
          {from === null || to === null ? null : ` · v${from} → v${to}`}
        </span>
      </p>
      {entry.reason ? (
        <p class="reason">
          Why: <q>{entry.reason}</q>
        </p>
      ) : null}
      {changes === 0 ? null : (
        <details open={!wholeDocument && changes <= OPEN_DIFF_ROWS}>
          <summary>
            {entry.before === null
              ? `Created with ${changes} setting${changes === 1 ? '' : 's'}`
              : entry.after === null
                ? `Deleted (${changes} setting${changes === 1 ? '' : 's'})`
                : `${changes} change${changes === 1 ? '' : 's'}`}
          </summary>
          <DiffView before={entry.before} after={entry.after} />
        </details>
      )}
    </li>
  );
}
