import { useEffect, useRef, useState } from 'preact/hooks';
import type { FlagListItem, Staleness } from '../api';
import { useApp, useChanges } from '../app-context';
import { environmentStatus } from '../flag-status';
import type { EnvironmentState } from '../flag-status';
import { href } from '../router';
import { KillDialog } from './KillDialog';
import { ErrorMessage, PageHeading, RelativeTime, StatusPill, useLoad } from './ui';

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 250;

/** A state in some environment, or "ready to remove" (stale: not evaluated, or one variant only, for long). */
type StateFilter = EnvironmentState | 'stale' | '';

function staleText(staleness: Staleness): string {
  if (staleness.reason === 'not-evaluated') {
    return staleness.lastEvaluatedAt === null
      ? 'No SDK has evaluated it'
      : `Not evaluated since ${new Date(staleness.lastEvaluatedAt).toLocaleDateString()}`;
  }
  const served = Object.entries(staleness.variants).map(([env, variant]) => `${variant} in ${env}`);
  return `Serves one variant to everyone: ${served.join(', ')}`;
}

function matchesState(
  flag: FlagListItem,
  state: StateFilter,
  environment: string,
  stale: Record<string, Staleness>,
): boolean {
  if (state === '') return true;
  if (state === 'stale') return Object.hasOwn(stale, flag.key);
  const environments = environment === '' ? Object.keys(flag.environments) : [environment];
  return environments.some((env) => {
    const config = flag.environments[env];
    return config !== undefined && environmentStatus(flag, config).state === state;
  });
}

export function FlagList() {
  const { api, environments, can, announce } = useApp();
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [tag, setTag] = useState('');
  const [state, setState] = useState<StateFilter>('');
  const [stateEnvironment, setStateEnvironment] = useState('');
  const [more, setMore] = useState<FlagListItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [knownTags, setKnownTags] = useState<string[]>([]);
  const [killingTag, setKillingTag] = useState(false);
  const killByTagButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const timer = setTimeout(() => setQuery(search.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search]);

  const list = useLoad(() => api.listFlags({ search: query, tag, limit: PAGE_SIZE }), `${query}\n${tag}`);
  const stale = useLoad(() => api.staleFlags().then((page) => page.stale), 'stale flags');
  useEffect(() => {
    setMore([]);
    setCursor(list.data?.nextCursor ?? null);
    const tags = (list.data?.flags ?? []).flatMap((f) => f.tags ?? []);
    setKnownTags((known) => [...new Set([...known, ...tags])].sort());
  }, [list.data]);

  useChanges((change) => {
    if (change.target.kind !== 'flag') return;
    announce(`${change.target.key} changed by ${change.actor.name}`);
    void list.reload();
  });

  const loadMore = async () => {
    if (cursor === null) return;
    const page = await api.listFlags({ search: query, tag, limit: PAGE_SIZE, cursor });
    setMore((loaded) => [...loaded, ...page.flags]);
    setCursor(page.nextCursor);
  };

  const staleFlags = stale.data ?? {};
  const flags = [...(list.data?.flags ?? []), ...more].filter((f) =>
    matchesState(f, state, stateEnvironment, staleFlags),
  );

  return (
    <section>
      <div class="page-head">
        <PageHeading>Flags</PageHeading>
        <div class="actions">
          {can.kill ? (
            <button type="button" class="danger" ref={killByTagButton} onClick={() => setKillingTag(true)}>
              Kill by tag…
            </button>
          ) : null}
          {can.edit ? (
            <a class="button primary" href={href({ page: 'new-flag' })}>
              New flag
            </a>
          ) : null}
        </div>
      </div>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
        <label>
          Tag
          <select value={tag} onChange={(e) => setTag(e.currentTarget.value)}>
            <option value="">Any tag</option>
            {knownTags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          State
          <select value={state} onChange={(e) => setState(e.currentTarget.value as StateFilter)}>
            <option value="">Any state</option>
            <option value="on">On</option>
            <option value="off">Off</option>
            <option value="ramping">Ramping</option>
            <option value="killed">Killed</option>
            <option value="stale">Ready to remove</option>
          </select>
        </label>
        <label>
          In
          <select value={stateEnvironment} onChange={(e) => setStateEnvironment(e.currentTarget.value)}>
            <option value="">Any environment</option>
            {environments.map((env) => (
              <option key={env} value={env}>
                {env}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorMessage error={list.error} />
      {list.data === null && list.loading ? <p class="loading">Loading flags…</p> : null}
      {list.data !== null && flags.length === 0 ? <p class="empty">No flags match.</p> : null}
      {flags.length > 0 ? (
        <table class="flags">
          <caption class="visually-hidden">Flags and their state in each environment</caption>
          <thead>
            <tr>
              <th scope="col">Flag</th>
              {environments.map((env) => (
                <th key={env} scope="col">
                  {env}
                </th>
              ))}
              <th scope="col">Last changed</th>
            </tr>
          </thead>
          <tbody>
            {flags.map((flag) => (
              <tr key={flag.key}>
                <th scope="row">
                  <a href={href({ page: 'flag', key: flag.key })}>{flag.key}</a>
                  {Object.hasOwn(staleFlags, flag.key) ? (
                    <span class="pill pill-stale" title={staleText(staleFlags[flag.key]!)}>
                      ready to remove
                    </span>
                  ) : null}
                  {flag.description ? <span class="description">{flag.description}</span> : null}
                  {(flag.tags ?? []).length > 0 ? (
                    <span class="tags">
                      {(flag.tags ?? []).map((t) => (
                        <span key={t} class="tag">
                          {t}
                        </span>
                      ))}
                    </span>
                  ) : null}
                </th>
                {environments.map((env) => {
                  const config = flag.environments[env];
                  return (
                    <td key={env} data-label={env}>
                      {config === undefined ? (
                        <span class="muted">—</span>
                      ) : (
                        <StatusPill status={environmentStatus(flag, config)} />
                      )}
                    </td>
                  );
                })}
                <td data-label="Last changed">
                  {flag.updatedAt === undefined ? (
                    <span class="muted">—</span>
                  ) : (
                    <RelativeTime iso={flag.updatedAt} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {cursor !== null ? (
        <button type="button" onClick={loadMore}>
          Load more
        </button>
      ) : null}
      {killingTag ? (
        <KillByTag
          tags={knownTags}
          onClose={() => {
            setKillingTag(false);
            killByTagButton.current?.focus();
          }}
        />
      ) : null}
    </section>
  );
}

function KillByTag({ tags, onClose }: { tags: string[]; onClose: () => void }) {
  const { api, environments, announce } = useApp();
  const [tag, setTag] = useState(tags[0] ?? '');
  const [environment, setEnvironment] = useState(environments.includes('production') ? 'production' : '');
  const affected = useLoad(
    () =>
      tag === '' ? Promise.resolve({ flags: [], nextCursor: null }) : api.listFlags({ tag, limit: 200 }),
    tag,
  );
  // The server kills the tagged flags configured in the environment.
  const keys = (affected.data?.flags ?? [])
    .filter((f) => environment === '' || f.environments[environment] !== undefined)
    .map((f) => f.key);
  return (
    <KillDialog
      title="Kill every flag with a tag"
      confirmLabel={`Kill ${keys.length} flag${keys.length === 1 ? '' : 's'}`}
      blocked={keys.length === 0 || environment === ''}
      onClose={onClose}
      onConfirm={async (reason) => {
        const result = await api.killByTag(tag, environment, reason);
        const already = result.alreadyKilled.length;
        announce(
          `Killed ${result.killed.length} flags tagged ${tag} in ${environment}` +
            (already === 0 ? '' : `; ${already} were already killed`),
        );
        onClose();
      }}
    >
      <label for="kill-tag">Tag</label>
      <input
        id="kill-tag"
        list="kill-tag-options"
        required
        value={tag}
        onInput={(e) => setTag(e.currentTarget.value.trim())}
      />
      <datalist id="kill-tag-options">
        {tags.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
      <label for="kill-environment">Environment</label>
      <select
        id="kill-environment"
        required
        value={environment}
        onChange={(e) => setEnvironment(e.currentTarget.value)}
      >
        <option value="">Choose…</option>
        {environments.map((env) => (
          <option key={env} value={env}>
            {env}
          </option>
        ))}
      </select>
      <p>
        {keys.length === 0
          ? 'No flag has this tag.'
          : `Serves the off variant of ${keys.join(', ')}${environment === '' ? '' : ` in ${environment}`} until unkilled.`}
      </p>
    </KillDialog>
  );
}
