import type { JsonValue } from '@switchboard/core';
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { useApp } from '../app-context';
import { newFlagDocument, STARTING_VARIANTS } from '../new-flag';
import { href, navigate } from '../router';
import { VariantsEditor } from './FlagSettings';
import { ErrorMessage, PageHeading } from './ui';

type Kind = keyof typeof STARTING_VARIANTS;

export function NewFlag() {
  const { api, environments, announce } = useApp();
  const [key, setKey] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState('');
  const [kind, setKind] = useState<Kind>('boolean');
  const [variants, setVariants] = useState<Record<string, JsonValue>>(STARTING_VARIANTS.boolean);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  return (
    <section>
      <PageHeading>New flag</PageHeading>
      <form
        class="card stack narrow"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          const flag = newFlagDocument(
            {
              key: key.trim(),
              description: description.trim(),
              tags: tags
                .split(',')
                .map((t) => t.trim())
                .filter((t) => t !== ''),
              variants,
            },
            environments,
          );
          try {
            await api.putFlag(flag);
            announce(`Created ${flag.key}; it is off in every environment`);
            navigate({ page: 'flag', key: flag.key });
          } catch (err) {
            setError(
              err instanceof ApiError && err.status === 409
                ? new Error(`A flag named “${flag.key}” already exists.`)
                : err,
            );
            setBusy(false);
          }
        }}
      >
        <label>
          Key
          <input
            value={key}
            required
            maxLength={200}
            autoComplete="off"
            spellcheck={false}
            aria-describedby="key-hint"
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </label>
        <p id="key-hint" class="hint">
          What code asks for, e.g. <code>checkout-v2</code>. Case-sensitive; no spaces or “/”. It cannot be
          changed later.
        </p>
        <label>
          Description
          <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <label>
          Tags (comma-separated)
          <input value={tags} onInput={(e) => setTags(e.currentTarget.value)} placeholder="payments, web" />
        </label>
        <label>
          Kind
          <select
            value={kind}
            onChange={(e) => {
              const next = e.currentTarget.value as Kind;
              setKind(next);
              setVariants(STARTING_VARIANTS[next]);
            }}
          >
            <option value="boolean">Boolean (on / off)</option>
            <option value="string">String variants</option>
            <option value="number">Number variants</option>
            <option value="json">JSON variants</option>
          </select>
        </label>
        {kind === 'boolean' ? null : (
          <VariantsEditor variants={variants} readOnly={false} onChange={setVariants} />
        )}
        <p class="hint">The flag starts off in {environments.join(', ')}.</p>
        <ErrorMessage error={error} />
        <div class="actions">
          <a class="button" href={href({ page: 'flags' })}>
            Cancel
          </a>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create flag'}
          </button>
        </div>
      </form>
    </section>
  );
}
