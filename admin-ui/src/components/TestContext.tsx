import type { Context } from '@switchboard/core';
import { useState } from 'preact/hooks';
import type { Evaluation } from '../api';
import { ApiError } from '../api';
import { useApp } from '../app-context';
import { ErrorMessage } from './ui';

/** Asks the server's evaluator what the saved flag serves a context the user types. */
export function TestContext({
  flagKey,
  environment,
  version,
}: {
  flagKey: string;
  environment: string;
  version: number;
}) {
  const { api } = useApp();
  const [text, setText] = useState('{\n  "userId": "user-1",\n  "country": "DE"\n}');
  const [result, setResult] = useState<Evaluation | null>(null);
  const [error, setError] = useState<unknown>(null);
  const id = `test-context-${environment}`;
  return (
    <section class="card test-context" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>Test a context</h3>
      <form
        class="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          setResult(null);
          setError(null);
          let context: Context;
          try {
            const parsed: unknown = JSON.parse(text);
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error();
            context = parsed as Context;
          } catch {
            setError(new Error('The context must be a JSON object, like {"userId": "user-1"}.'));
            return;
          }
          try {
            setResult(await api.evaluate(flagKey, environment, context));
          } catch (err) {
            setError(
              err instanceof ApiError && err.isMissingRoute
                ? new Error('This server has no evaluation endpoint for admin tokens.')
                : err,
            );
          }
        }}
      >
        <label for={id}>Context (JSON)</label>
        <textarea
          id={id}
          rows={5}
          spellcheck={false}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <div class="actions">
          <button type="submit">Evaluate in {environment}</button>
          <span class="muted">Uses the saved version (v{version}), not unsaved edits.</span>
        </div>
      </form>
      <ErrorMessage error={error} />
      {result === null ? null : (
        <dl class="evaluation" aria-live="polite">
          <dt>Value</dt>
          <dd>
            <code>{JSON.stringify(result.value)}</code>
          </dd>
          <dt>Variant</dt>
          <dd>{result.variant ?? '—'}</dd>
          <dt>Reason</dt>
          <dd>
            {result.reason}
            {result.ruleId === undefined ? null : ` (rule ${result.ruleId})`}
            {result.errorCode === undefined ? null : ` — ${result.errorCode}`}
          </dd>
        </dl>
      )}
    </section>
  );
}
