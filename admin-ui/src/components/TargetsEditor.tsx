import type { Target } from '@switchboard/core';
import { useTypedText } from './ui';

interface TargetsEditorProps {
  id: string;
  targets: Target[];
  variants: string[];
  readOnly: boolean;
  onChange: (targets: Target[]) => void;
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** Individual targets: listed users (or other attribute values) get a variant before any rule is checked. */
export function TargetsEditor({ id, targets, variants, readOnly, onChange }: TargetsEditorProps) {
  const replace = (index: number, target: Target | null) =>
    onChange(
      target === null
        ? targets.filter((_, i) => i !== index)
        : targets.map((t, i) => (i === index ? target : t)),
    );
  return (
    <section class="targets" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>Individual targets</h3>
      {targets.length === 0 ? <p class="muted">None.</p> : null}
      {targets.map((target, index) => (
        <div key={index} class="card target" role="group" aria-label={`Target list ${index + 1}`}>
          <label>
            Serve
            <select
              value={target.variant}
              disabled={readOnly}
              onChange={(e) => replace(index, { ...target, variant: e.currentTarget.value })}
            >
              {variants.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
          <label>
            to contexts whose
            <input
              value={target.attribute ?? ''}
              placeholder="userId"
              disabled={readOnly}
              onInput={(e) => {
                const attribute = e.currentTarget.value.trim();
                const { attribute: _old, ...rest } = target;
                replace(index, attribute === '' ? rest : { ...rest, attribute });
              }}
            />
          </label>
          <TargetValues
            id={`${id}-${index}`}
            values={target.values}
            readOnly={readOnly}
            onChange={(values) => replace(index, { ...target, values })}
          />
          {readOnly ? null : (
            <button type="button" class="small danger-text" onClick={() => replace(index, null)}>
              Remove target list {index + 1}
            </button>
          )}
        </div>
      ))}
      {readOnly ? null : (
        <button
          type="button"
          onClick={() => onChange([...targets, { values: [], variant: variants[0] ?? '' }])}
        >
          Add individual targets
        </button>
      )}
    </section>
  );
}

function TargetValues({
  id,
  values,
  readOnly,
  onChange,
}: {
  id: string;
  values: string[];
  readOnly: boolean;
  onChange: (values: string[]) => void;
}) {
  const [text, setText] = useTypedText(values.join('\n'), (typed) => lines(typed).join('\n'));
  return (
    <label for={`${id}-values`}>
      is one of (one per line)
      <textarea
        id={`${id}-values`}
        rows={Math.min(8, Math.max(2, values.length + 1))}
        value={text}
        disabled={readOnly}
        onInput={(e) => {
          setText(e.currentTarget.value);
          onChange(lines(e.currentTarget.value));
        }}
      />
    </label>
  );
}
