import { useState } from 'preact/hooks';
import type { PlanView } from '../api';
import { useApp } from '../app-context';
import type { GuardDraft, PlanDraft, StepDraft } from '../plan-form';
import { buildPlan, defaultPlanDraft, newGuard } from '../plan-form';
import { ErrorMessage } from './ui';

interface Props {
  flagKey: string;
  environment: string;
  variants: string[];
  treatment: string;
  control: string;
  onCreated: (plan: PlanView) => void;
  onCancel: () => void;
}

/** A new ramp plan (steps, holds, guards) or a scheduled on/off, for one flag environment. */
export function PlanForm({ flagKey, environment, variants, treatment, control, onCreated, onCancel }: Props) {
  const { api, announce } = useApp();
  const [draft, setDraft] = useState<PlanDraft>(() => defaultPlanDraft(treatment, control));
  const [reason, setReason] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [sending, setSending] = useState(false);

  const update = (change: Partial<PlanDraft>) => setDraft((d) => ({ ...d, ...change }));
  const setStep = (index: number, change: Partial<StepDraft>) =>
    update({ steps: draft.steps.map((step, i) => (i === index ? { ...step, ...change } : step)) });
  const setGuard = (index: number, change: Partial<GuardDraft>) =>
    update({ guards: draft.guards.map((guard, i) => (i === index ? { ...guard, ...change } : guard)) });

  const submit = async (event: Event) => {
    event.preventDefault();
    const built = buildPlan(draft);
    if ('problems' in built) {
      setProblems(built.problems);
      return;
    }
    setProblems([]);
    setSending(true);
    setError(null);
    try {
      const plan = await api.putPlan(flagKey, environment, {
        ...built.plan,
        ...(reason.trim() === '' ? {} : { reason: reason.trim() }),
      });
      announce(`Plan started for ${flagKey} in ${environment}`);
      onCreated(plan);
    } catch (err) {
      setError(err);
    } finally {
      setSending(false);
    }
  };

  const variantSelect = (label: string, value: string, onChange: (variant: string) => void) => (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {variants.map((variant) => (
          <option key={variant} value={variant}>
            {variant}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <form class="plan-form stack" onSubmit={submit} aria-label={`New plan for ${environment}`}>
      <fieldset class="inline-choices">
        <legend>Plan</legend>
        <label class="inline">
          <input
            type="radio"
            name={`plan-mode-${environment}`}
            checked={draft.mode === 'ramp'}
            onChange={() => update({ mode: 'ramp' })}
          />
          Ramp up in steps
        </label>
        <label class="inline">
          <input
            type="radio"
            name={`plan-mode-${environment}`}
            checked={draft.mode === 'schedule'}
            onChange={() => update({ mode: 'schedule' })}
          />
          Turn on or off at a time
        </label>
      </fieldset>

      {draft.mode === 'schedule' ? (
        <label>
          Change
          <select
            value={draft.turnOn ? 'on' : 'off'}
            onChange={(e) => update({ turnOn: e.currentTarget.value === 'on' })}
          >
            <option value="on">Turn {flagKey} on</option>
            <option value="off">Turn {flagKey} off</option>
          </select>
        </label>
      ) : (
        <>
          <div class="row">
            {variantSelect('Treatment (ramped up)', draft.treatment, (v) => update({ treatment: v }))}
            {variantSelect('Control (everyone else)', draft.control, (v) => update({ control: v }))}
          </div>
          <table class="plan-steps-editor">
            <caption>Steps</caption>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Treatment %</th>
                <th scope="col">Hold (45s, 30m, 1h, 2d)</th>
                <th scope="col">
                  <span class="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {draft.steps.map((step, index) => (
                <tr key={index}>
                  <th scope="row">{index + 1}</th>
                  <td>
                    <input
                      aria-label={`Step ${index + 1} treatment percent`}
                      inputMode="decimal"
                      value={step.percent}
                      onInput={(e) => setStep(index, { percent: e.currentTarget.value })}
                    />
                  </td>
                  <td>
                    <input
                      aria-label={`Step ${index + 1} hold`}
                      value={step.hold}
                      placeholder={index === draft.steps.length - 1 ? 'last step: none' : ''}
                      onInput={(e) => setStep(index, { hold: e.currentTarget.value })}
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      class="link"
                      onClick={() => update({ steps: draft.steps.filter((_, i) => i !== index) })}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button
            type="button"
            onClick={() => update({ steps: [...draft.steps, { percent: '100', hold: '' }] })}
          >
            Add step
          </button>

          {draft.guards.map((guard, index) => (
            <fieldset key={index} class="guard-editor">
              <legend>Guard {index + 1}</legend>
              <div class="row">
                <label>
                  Name
                  <input
                    value={guard.name}
                    onInput={(e) => setGuard(index, { name: e.currentTarget.value })}
                  />
                </label>
                <label>
                  Tracked event
                  <input
                    value={guard.event}
                    onInput={(e) => setGuard(index, { event: e.currentTarget.value })}
                  />
                </label>
                <label>
                  Measure
                  <select
                    value={guard.kind}
                    onChange={(e) => setGuard(index, { kind: e.currentTarget.value as GuardDraft['kind'] })}
                  >
                    <option value="rate">Share of users with the event</option>
                    <option value="mean">Mean value of the event</option>
                  </select>
                </label>
                <label>
                  Worse when
                  <select
                    value={guard.worseWhen}
                    onChange={(e) =>
                      setGuard(index, { worseWhen: e.currentTarget.value as GuardDraft['worseWhen'] })
                    }
                  >
                    <option value="higher">higher</option>
                    <option value="lower">lower</option>
                  </select>
                </label>
              </div>
              <div class="row">
                <label>
                  Worse by at least ({guard.kind === 'rate' ? 'points' : 'value'})
                  <input
                    inputMode="decimal"
                    value={guard.absolute}
                    onInput={(e) => setGuard(index, { absolute: e.currentTarget.value })}
                  />
                </label>
                <label>
                  and by at least (% of control)
                  <input
                    inputMode="decimal"
                    value={guard.relative}
                    onInput={(e) => setGuard(index, { relative: e.currentTarget.value })}
                  />
                </label>
                <label>
                  Users per variant before deciding
                  <input
                    inputMode="numeric"
                    value={guard.minSample}
                    onInput={(e) => setGuard(index, { minSample: e.currentTarget.value })}
                  />
                </label>
                <button
                  type="button"
                  class="link"
                  onClick={() => update({ guards: draft.guards.filter((_, i) => i !== index) })}
                >
                  Remove guard
                </button>
              </div>
            </fieldset>
          ))}
          <button type="button" onClick={() => update({ guards: [...draft.guards, newGuard()] })}>
            Add guard
          </button>
          <p class="hint">
            A guard compares treatment with control on events your application reports with{' '}
            <code>client.track()</code>; when treatment is worse beyond doubt (and by at least the
            thresholds), the server kills the flag in {environment} by itself.
          </p>
        </>
      )}

      <div class="row">
        <label>
          {draft.mode === 'schedule' ? 'At' : 'Start (empty: now)'}
          <input
            type="datetime-local"
            value={draft.startAt}
            onInput={(e) => update({ startAt: e.currentTarget.value })}
          />
        </label>
        <label>
          Why
          <input
            value={reason}
            maxLength={1000}
            placeholder="kept in the audit log"
            onInput={(e) => setReason(e.currentTarget.value)}
          />
        </label>
      </div>
      {problems.length === 0 ? null : (
        <ul class="error" role="alert">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={sending}>
          {sending ? 'Starting…' : draft.mode === 'schedule' ? 'Schedule' : 'Start plan'}
        </button>
      </div>
    </form>
  );
}
