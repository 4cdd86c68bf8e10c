import type { FlagDocument, FlagEnvironment, Serve } from '@switchboard/core';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { useApp, useChanges } from '../app-context';
import { deepEqual, documentChanges, formatPath, mergeEdits } from '../diff';
import type { Path } from '../diff';
import { environmentStatus, primaryVariant } from '../flag-status';
import { newEnvironmentConfig } from '../new-flag';
import { href, navigate } from '../router';
import { DiffView } from './DiffView';
import { FlagSettings } from './FlagSettings';
import { InsightPanel } from './InsightPanel';
import { KillPanel } from './KillPanel';
import { PlanPanel } from './PlanPanel';
import { RulesEditor } from './RulesEditor';
import { ServeEditor } from './ServeEditor';
import { TargetsEditor } from './TargetsEditor';
import { TestContext } from './TestContext';
import { Dialog, ErrorMessage, PageHeading, StatusPill, useLoad } from './ui';

/**
 * What the users of a saved serve get now, to count how many an edit moves: the off variant while the
 * environment is off. Null when the count means nothing: a new rule, a kill (it outlasts the edit), or an
 * edit that turns the environment off.
 */
function servedNow(
  saved: FlagEnvironment | undefined,
  draft: FlagEnvironment,
  serve: Serve | undefined,
): Serve | null {
  if (saved === undefined || serve === undefined || saved.killed || !draft.enabled) return null;
  return saved.enabled ? serve : { variant: saved.offVariant };
}

/** Someone else's version arrived while this page had unsaved edits (live), or a save was refused (409). */
interface Conflict {
  latest: FlagDocument;
  /** Who saved it, when the change feed said so. */
  by: string | null;
  /** True when the server refused a save with 409. */
  refused: boolean;
}

export function FlagPage({ flagKey, environment }: { flagKey: string; environment?: string | undefined }) {
  const { api, environments, can, me, announce } = useApp();
  const [saved, setSaved] = useState<FlagDocument | null>(null);
  const [draft, setDraft] = useState<FlagDocument | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [leftOut, setLeftOut] = useState<Path[]>([]);
  const [saving, setSaving] = useState(false);
  const [reason, setReason] = useState('');
  const [deletedBy, setDeletedBy] = useState<string | null>(null);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const saveButton = useRef<HTMLButtonElement>(null);
  const heading = useRef<HTMLDivElement>(null);
  const segments = useLoad(() => api.segments().then((r) => r.segments.map((s) => s.key)), 'segments');

  const dirty = saved !== null && draft !== null && !deepEqual(saved, draft);
  // The change feed's callback reads these without re-subscribing on every edit.
  const current = useRef({ saved, dirty, writing: false, missedChange: null as string | null, reads: 0 });
  current.current.saved = saved;
  current.current.dirty = dirty;

  useEffect(() => {
    api.getFlag(flagKey).then((flag) => {
      setSaved(flag);
      setDraft(flag);
    }, setLoadError);
  }, [api, flagKey]);

  /** Fetches the latest version after someone changed the flag; takes it in, or flags the clash with edits. */
  const takeLatest = async (by: string) => {
    if (current.current.writing) {
      current.current.missedChange = by;
      return;
    }
    // A later read, or a write that succeeds meanwhile, answers a newer document than this read may.
    const read = ++current.current.reads;
    let latest: FlagDocument;
    try {
      latest = await api.getFlag(flagKey);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setDeletedBy(by);
      return;
    }
    if (read !== current.current.reads || latest.version === current.current.saved?.version) return;
    if (current.current.dirty) {
      // A refused save already shows this version; keep its wording.
      setConflict((shown) =>
        shown?.latest.version === latest.version ? shown : { latest, by, refused: false },
      );
    } else {
      setSaved(latest);
      setDraft(latest);
      announce(`${flagKey} was changed by ${by}; showing version ${latest.version}`);
    }
  };

  useChanges((change) => {
    if (change.target.kind === 'flag' && change.target.key === flagKey) void takeLatest(change.actor.name);
  });

  /**
   * Runs a write that answers the new document and takes it in. Changes the feed reports meanwhile are
   * checked once it is done: they may be this write's own.
   */
  const write = async (request: () => Promise<FlagDocument>, takeIn: (flag: FlagDocument) => void) => {
    current.current.writing = true;
    try {
      const flag = await request();
      takeIn(flag);
      // Before the next render: the feed's check below must already compare with this version.
      current.current.saved = flag;
      current.current.reads++;
    } finally {
      current.current.writing = false;
      const missed = current.current.missedChange;
      current.current.missedChange = null;
      if (missed !== null) void takeLatest(missed);
    }
  };

  if (loadError !== null) {
    const missing = loadError instanceof ApiError && loadError.status === 404;
    return (
      <section>
        <PageHeading>{missing ? `No flag named “${flagKey}”` : flagKey}</PageHeading>
        {missing ? null : <ErrorMessage error={loadError} />}
        <a href={href({ page: 'flags' })}>Back to flags</a>
      </section>
    );
  }
  if (saved === null || draft === null) return <p class="loading">Loading {flagKey}…</p>;

  const envKeys = [...new Set([...environments, ...Object.keys(draft.environments)])];
  const env = environment !== undefined && envKeys.includes(environment) ? environment : envKeys[0]!;
  const config = draft.environments[env];
  const savedConfig = saved.environments[env];
  const variants = Object.keys(draft.variants);
  const readOnly = !can.edit;

  const setConfig = (next: FlagEnvironment) =>
    setDraft((d) => (d === null ? d : { ...d, environments: { ...d.environments, [env]: next } }));

  /** A kill or unkill: the server's document, with any unsaved edits kept on top of it. */
  const killSwitch = (request: () => Promise<FlagDocument>) =>
    write(request, (flag) => {
      setDraft((d) => (d === null ? flag : mergeEdits(saved, d, flag).merged));
      setSaved(flag);
    });

  const save = async () => {
    setSaving(true);
    setSaveError(null);
    try {
      await write(
        () => api.putFlag({ ...draft, version: saved.version }, reason.trim() || undefined),
        (flag) => {
          setReason('');
          setSaved(flag);
          setDraft(flag);
          current.current.dirty = false;
          setConflict(null);
          setLeftOut([]);
          announce(`Saved ${flagKey} (version ${flag.version})`);
        },
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setConflict({ latest: await api.getFlag(flagKey), by: null, refused: true });
      } else {
        setSaveError(err);
      }
    } finally {
      setSaving(false);
    }
  };

  const reloadTheirs = (latest: FlagDocument) => {
    setSaved(latest);
    setDraft(latest);
    setConflict(null);
    setLeftOut([]);
    announce(`Showing version ${latest.version}; your edits were discarded`);
    heading.current?.querySelector('h1')?.focus();
  };

  const mergeMine = (latest: FlagDocument) => {
    const { merged, conflicts } = mergeEdits(saved, draft, latest);
    setSaved(latest);
    setDraft(merged);
    setConflict(null);
    setLeftOut(conflicts);
    announce(
      conflicts.length === 0
        ? 'Your edits were applied to the latest version; review and save'
        : `${conflicts.length} of your edits clash with theirs and were left out; review and save`,
    );
    setTimeout(() => saveButton.current?.focus(), 0);
  };

  const changeCount = documentChanges(saved, draft).length;

  return (
    <section class="flag-page">
      <div class="page-head" ref={heading}>
        <div>
          <PageHeading>{flagKey}</PageHeading>
          <p class="muted">
            Version {saved.version} · <a href={href({ page: 'audit', filter: { flag: flagKey } })}>History</a>
          </p>
        </div>
      </div>
      {readOnly ? (
        <p class="note">
          Your role ({me.kind}) can {can.kill ? 'kill and unkill this flag' : 'view this flag'}, not edit it.
        </p>
      ) : null}
      {deletedBy === null ? null : (
        <p class="error" role="alert">
          {deletedBy} deleted this flag. <a href={href({ page: 'flags' })}>Back to flags</a>
        </p>
      )}
      {conflict === null ? null : (
        <ConflictNotice
          conflict={conflict}
          base={saved}
          onReload={() => reloadTheirs(conflict.latest)}
          onMerge={() => mergeMine(conflict.latest)}
        />
      )}
      {leftOut.length === 0 ? null : (
        <div class="note" role="status">
          Left out of the merge because they changed the same settings:{' '}
          {leftOut.map((p) => (
            <code key={formatPath(p)}>{formatPath(p)} </code>
          ))}
        </div>
      )}

      <nav class="env-tabs" aria-label="Environments">
        {envKeys.map((e) => {
          const c = draft.environments[e];
          return (
            <a
              key={e}
              href={href({ page: 'flag', key: flagKey, environment: e })}
              aria-current={e === env ? 'page' : undefined}
            >
              {c === undefined ? (
                <span class="pill">{e} · not set up</span>
              ) : (
                <StatusPill environment={e} status={environmentStatus(draft, c)} />
              )}
            </a>
          );
        })}
      </nav>

      {config === undefined ? (
        <section class="card">
          <h2>{env}</h2>
          <p>This flag is not set up in {env}.</p>
          {readOnly ? null : (
            <button type="button" onClick={() => setConfig(newEnvironmentConfig(draft))}>
              Set up {env}
            </button>
          )}
        </section>
      ) : (
        <section class="environment" aria-label={`${env} configuration`}>
          {savedConfig === undefined ? null : (
            <>
              <KillPanel flag={saved} environment={env} onWrite={killSwitch} />
              <PlanPanel flag={saved} environment={env} />
            </>
          )}
          <fieldset class="card toggle-card" disabled={readOnly}>
            <legend class="visually-hidden">Targeting in {env}</legend>
            <div class="toggle-row">
              <button
                type="button"
                role="switch"
                class="switch"
                aria-checked={config.enabled}
                aria-labelledby={`toggle-label-${env}`}
                onClick={() => setConfig({ ...config, enabled: !config.enabled })}
              >
                <span class="switch-knob" aria-hidden="true" />
              </button>
              <span id={`toggle-label-${env}`}>
                <strong>{config.enabled ? 'On' : 'Off'}</strong> in {env}
              </span>
            </div>
            <label class="inline">
              When off or killed, serve
              <select
                value={config.offVariant}
                onChange={(e) => setConfig({ ...config, offVariant: e.currentTarget.value })}
              >
                {variants.map((v) => (
                  <option key={v} value={v}>
                    {v}
                  </option>
                ))}
              </select>
            </label>
          </fieldset>
          <TargetsEditor
            id={`targets-${env}`}
            targets={config.targets ?? []}
            variants={variants}
            readOnly={readOnly}
            onChange={(targets) => setConfig({ ...config, targets })}
          />
          <RulesEditor
            id={`rules-${env}`}
            rules={config.rules ?? []}
            servedNow={(ruleId) =>
              servedNow(savedConfig, config, savedConfig?.rules?.find((r) => r.id === ruleId)?.serve)
            }
            variants={variants}
            primary={primaryVariant(draft, variants, config.offVariant)}
            segments={segments.data ?? []}
            readOnly={readOnly}
            onChange={(rules) => setConfig({ ...config, rules })}
          />
          <section class="card default-rule" aria-label="Default rule">
            <ServeEditor
              id={`fallthrough-${env}`}
              legend="Everyone else gets"
              serve={config.fallthrough}
              before={servedNow(savedConfig, config, savedConfig?.fallthrough)}
              variants={variants}
              primary={primaryVariant(draft, variants, config.offVariant)}
              readOnly={readOnly}
              onChange={(fallthrough) => setConfig({ ...config, fallthrough })}
            />
          </section>
          <TestContext flagKey={flagKey} environment={env} version={saved.version} />
          {savedConfig === undefined ? null : <InsightPanel flagKey={flagKey} environment={env} />}
        </section>
      )}

      <FlagSettings flag={draft} readOnly={readOnly} onChange={setDraft} />

      {readOnly ? null : (
        <section class="card danger-zone" aria-labelledby="danger-heading">
          <h2 id="danger-heading">Delete</h2>
          <p>Deleting removes the flag from every environment; SDKs then serve their code defaults.</p>
          <button type="button" class="danger" onClick={() => setConfirmingDelete(true)}>
            Delete {flagKey}…
          </button>
        </section>
      )}
      {confirmingDelete ? (
        <DeleteDialog
          flagKey={flagKey}
          onClose={() => setConfirmingDelete(false)}
          onDelete={async () => {
            await api.deleteFlag(flagKey, saved.version);
            announce(`Deleted ${flagKey}`);
            navigate({ page: 'flags' });
          }}
        />
      ) : null}

      {dirty || saving ? (
        <div class="save-bar" role="region" aria-label="Unsaved changes">
          <details>
            <summary>
              {changeCount} unsaved change{changeCount === 1 ? '' : 's'}
            </summary>
            <DiffView before={saved} after={draft} />
          </details>
          <label class="inline save-reason">
            Why
            <input
              value={reason}
              maxLength={1000}
              placeholder="optional, kept in the audit log"
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          </label>
          <ErrorMessage error={saveError} />
          <div class="actions">
            <button type="button" disabled={saving} onClick={() => setDraft(saved)}>
              Discard
            </button>
            <button type="button" class="primary" ref={saveButton} disabled={saving} onClick={save}>
              {saving ? 'Saving…' : 'Save changes'}
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}

function ConflictNotice({
  conflict,
  base,
  onReload,
  onMerge,
}: {
  conflict: Conflict;
  base: FlagDocument;
  onReload: () => void;
  onMerge: () => void;
}) {
  const notice = useRef<HTMLDivElement>(null);
  useEffect(() => notice.current?.focus(), [conflict]);
  const who = conflict.by ?? 'Someone else';
  return (
    <div class="conflict" role="alert" tabIndex={-1} ref={notice}>
      <h2>
        {conflict.refused
          ? 'Not saved: this flag changed since you opened it'
          : `${who} just changed this flag`}
      </h2>
      <p>
        {who} saved version {conflict.latest.version}; your edits are based on version {base.version}.{' '}
        {conflict.refused ? 'Nothing was overwritten.' : 'Saving now would be refused.'} Reload to take their
        version and drop your edits, or merge to re-apply your edits on top of theirs and review before
        saving.
      </p>
      <details>
        <summary>What they changed</summary>
        <DiffView before={base} after={conflict.latest} />
      </details>
      <div class="actions">
        <button type="button" onClick={onReload}>
          Reload their version
        </button>
        <button type="button" class="primary" onClick={onMerge}>
          Merge my edits
        </button>
      </div>
    </div>
  );
}

function DeleteDialog({
  flagKey,
  onClose,
  onDelete,
}: {
  flagKey: string;
  onClose: () => void;
  onDelete: () => Promise<void>;
}) {
  const [error, setError] = useState<unknown>(null);
  return (
    <Dialog title={`Delete ${flagKey}?`} onClose={onClose}>
      <p>This cannot be undone. The audit log keeps the last version.</p>
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={() => onDelete().catch(setError)}>
          Delete flag
        </button>
      </div>
    </Dialog>
  );
}
