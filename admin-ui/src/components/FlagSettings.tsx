import type { FlagDocument, JsonValue, Prerequisite } from '@switchboard/core';
import { useEffect, useState } from 'preact/hooks';
import { useApp } from '../app-context';
import { deepEqual } from '../diff';
import { useLoad, useTypedText } from './ui';

interface FlagSettingsProps {
  flag: FlagDocument;
  readOnly: boolean;
  onChange: (flag: FlagDocument) => void;
}

const commaList = (text: string) =>
  text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');

/** What applies to every environment: description, tags, variants and prerequisites. */
export function FlagSettings({ flag, readOnly, onChange }: FlagSettingsProps) {
  const [tagsText, setTagsText] = useTypedText((flag.tags ?? []).join(', '), (t) => commaList(t).join(', '));
  return (
    <section class="settings" aria-labelledby="settings-heading">
      <h2 id="settings-heading">All environments</h2>
      <fieldset disabled={readOnly} class="card stack">
        <label>
          Description
          <input
            value={flag.description ?? ''}
            maxLength={1000}
            onInput={(e) => {
              const description = e.currentTarget.value;
              const { description: _old, ...rest } = flag;
              onChange(description === '' ? rest : { ...rest, description });
            }}
          />
        </label>
        <label>
          Tags (comma-separated)
          <input
            value={tagsText}
            onInput={(e) => {
              setTagsText(e.currentTarget.value);
              onChange({ ...flag, tags: commaList(e.currentTarget.value) });
            }}
          />
        </label>
      </fieldset>
      <VariantsEditor
        variants={flag.variants}
        readOnly={readOnly}
        onChange={(variants) => onChange({ ...flag, variants })}
      />
      <PrerequisitesEditor
        flagKey={flag.key}
        prerequisites={flag.prerequisites ?? []}
        readOnly={readOnly}
        onChange={(prerequisites) => onChange({ ...flag, prerequisites })}
      />
    </section>
  );
}

type VariantType = 'boolean' | 'string' | 'number' | 'json';

interface VariantRow {
  name: string;
  type: VariantType;
  /** The value as typed. */
  text: string;
}

function typeOf(value: JsonValue): VariantType {
  if (typeof value === 'boolean' || typeof value === 'string' || typeof value === 'number')
    return typeof value as VariantType;
  return 'json';
}

function toRows(variants: Record<string, JsonValue>): VariantRow[] {
  return Object.entries(variants).map(([name, value]) => {
    const type = typeOf(value);
    return { name, type, text: type === 'string' ? (value as string) : JSON.stringify(value) };
  });
}

/** A row's value, or a reason it is not one. */
function rowValue(row: VariantRow): { value: JsonValue } | { problem: string } {
  if (row.type === 'string') return { value: row.text };
  if (row.type === 'number') {
    const n = Number(row.text);
    return row.text.trim() !== '' && Number.isFinite(n) ? { value: n } : { problem: 'not a number' };
  }
  if (row.type === 'boolean') return { value: row.text === 'true' };
  try {
    return { value: JSON.parse(row.text) as JsonValue };
  } catch {
    return { problem: 'not valid JSON' };
  }
}

function rowsProblem(rows: VariantRow[]): string | null {
  const names = rows.map((r) => r.name.trim());
  if (names.some((n) => n === '')) return 'Every variant needs a name.';
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) return `Two variants are named “${duplicate}”.`;
  const bad = rows.find((r) => 'problem' in rowValue(r));
  return bad === undefined
    ? null
    : `The value of “${bad.name}” is ${(rowValue(bad) as { problem: string }).problem}.`;
}

function toVariants(rows: VariantRow[]): Record<string, JsonValue> {
  return Object.fromEntries(rows.map((r) => [r.name.trim(), (rowValue(r) as { value: JsonValue }).value]));
}

/** Variants are edited as rows and written back only when every row is valid (unique names, parsable values). */
export function VariantsEditor({
  variants,
  readOnly,
  onChange,
}: {
  variants: Record<string, JsonValue>;
  readOnly: boolean;
  onChange: (variants: Record<string, JsonValue>) => void;
}) {
  const [rows, setRows] = useState(() => toRows(variants));
  useEffect(() => {
    setRows((current) =>
      rowsProblem(current) === null && deepEqual(toVariants(current), variants) ? current : toRows(variants),
    );
  }, [variants]);
  const problem = rowsProblem(rows);
  const update = (next: VariantRow[]) => {
    setRows(next);
    if (rowsProblem(next) === null) onChange(toVariants(next));
  };
  const replace = (index: number, row: VariantRow | null) =>
    update(row === null ? rows.filter((_, i) => i !== index) : rows.map((r, i) => (i === index ? row : r)));
  return (
    <fieldset class="card variants" disabled={readOnly}>
      <legend>Variants</legend>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Value</th>
            {readOnly ? null : (
              <th scope="col">
                <span class="visually-hidden">Remove</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={index}>
              <td>
                <input
                  aria-label={`Variant ${index + 1} name`}
                  value={row.name}
                  onInput={(e) => replace(index, { ...row, name: e.currentTarget.value })}
                />
              </td>
              <td>
                <select
                  aria-label={`Variant ${index + 1} type`}
                  value={row.type}
                  onChange={(e) => {
                    const type = e.currentTarget.value as VariantType;
                    replace(index, {
                      ...row,
                      type,
                      text: type === 'boolean' ? 'true' : type === 'number' ? '0' : row.text,
                    });
                  }}
                >
                  <option value="boolean">boolean</option>
                  <option value="string">string</option>
                  <option value="number">number</option>
                  <option value="json">JSON</option>
                </select>
              </td>
              <td>
                {row.type === 'boolean' ? (
                  <select
                    aria-label={`Variant ${index + 1} value`}
                    value={row.text}
                    onChange={(e) => replace(index, { ...row, text: e.currentTarget.value })}
                  >
                    <option value="true">true</option>
                    <option value="false">false</option>
                  </select>
                ) : (
                  <input
                    aria-label={`Variant ${index + 1} value`}
                    type={row.type === 'number' ? 'number' : 'text'}
                    value={row.text}
                    onInput={(e) => replace(index, { ...row, text: e.currentTarget.value })}
                  />
                )}
              </td>
              {readOnly ? null : (
                <td>
                  <button
                    type="button"
                    class="small danger-text"
                    aria-label={`Remove variant ${row.name}`}
                    disabled={rows.length <= 1}
                    onClick={() => replace(index, null)}
                  >
                    ✕
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {problem === null ? null : (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {readOnly ? null : (
        <button
          type="button"
          class="small"
          onClick={() =>
            update([
              ...rows,
              { name: `variant-${rows.length + 1}`, type: rows[0]?.type ?? 'string', text: '' },
            ])
          }
        >
          Add variant
        </button>
      )}
    </fieldset>
  );
}

function PrerequisitesEditor({
  flagKey,
  prerequisites,
  readOnly,
  onChange,
}: {
  flagKey: string;
  prerequisites: Prerequisite[];
  readOnly: boolean;
  onChange: (prerequisites: Prerequisite[]) => void;
}) {
  const { api } = useApp();
  const others = useLoad(() => api.listFlags({ limit: 200 }), 'prerequisite-candidates');
  const candidates = (others.data?.flags ?? []).filter((f) => f.key !== flagKey);
  const replace = (index: number, prerequisite: Prerequisite | null) =>
    onChange(
      prerequisite === null
        ? prerequisites.filter((_, i) => i !== index)
        : prerequisites.map((p, i) => (i === index ? prerequisite : p)),
    );
  return (
    <fieldset class="card prerequisites" disabled={readOnly}>
      <legend>Prerequisites</legend>
      <p class="muted">
        {prerequisites.length === 0
          ? 'None: this flag does not depend on another.'
          : 'This flag serves its off variant unless every prerequisite flag evaluates to one of the listed variants.'}
      </p>
      <datalist id="prerequisite-flags">
        {candidates.map((f) => (
          <option key={f.key} value={f.key} />
        ))}
      </datalist>
      {prerequisites.map((prerequisite, index) => (
        <PrerequisiteRow
          key={index}
          index={index}
          prerequisite={prerequisite}
          knownVariants={Object.keys(candidates.find((f) => f.key === prerequisite.flag)?.variants ?? {})}
          readOnly={readOnly}
          onChange={(p) => replace(index, p)}
        />
      ))}
      {readOnly ? null : (
        <button
          type="button"
          class="small"
          onClick={() => onChange([...prerequisites, { flag: '', variants: [] }])}
        >
          Add prerequisite
        </button>
      )}
    </fieldset>
  );
}

function PrerequisiteRow({
  index,
  prerequisite,
  knownVariants,
  readOnly,
  onChange,
}: {
  index: number;
  prerequisite: Prerequisite;
  knownVariants: string[];
  readOnly: boolean;
  onChange: (prerequisite: Prerequisite | null) => void;
}) {
  const [variantsText, setVariantsText] = useTypedText(prerequisite.variants.join(', '), (t) =>
    commaList(t).join(', '),
  );
  return (
    <div class="prerequisite" role="group" aria-label={`Prerequisite ${index + 1}`}>
      <label>
        Flag
        <input
          list="prerequisite-flags"
          value={prerequisite.flag}
          required
          onInput={(e) => onChange({ ...prerequisite, flag: e.currentTarget.value.trim() })}
        />
      </label>
      <label>
        is one of (comma-separated variants)
        <input
          value={variantsText}
          placeholder={knownVariants.join(', ')}
          onInput={(e) => {
            setVariantsText(e.currentTarget.value);
            onChange({ ...prerequisite, variants: commaList(e.currentTarget.value) });
          }}
        />
      </label>
      {readOnly ? null : (
        <button type="button" class="small danger-text" onClick={() => onChange(null)}>
          Remove prerequisite {index + 1}
        </button>
      )}
    </div>
  );
}
