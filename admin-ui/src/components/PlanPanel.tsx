import type { FlagDocument } from '@switchboard/core';
import { useEffect, useState } from 'preact/hooks';
import type { GuardReading, PlanAction, PlanStep } from '../api';
import { useApp, useChanges } from '../app-context';
import { primaryVariant } from '../flag-status';
import { formatCountdown, formatDuration } from '../plan-form';
import { DEFAULT_BUCKETS, formatPercent } from '../rollout';
import { PlanForm } from './PlanForm';
import { ErrorMessage, RelativeTime, useLoad } from './ui';

/** While a plan runs, its guards' numbers move without any audit entry: read them again this often. */
const REFRESH_MS = 5_000;

const ACTIVE = new Set(['scheduled', 'running', 'paused']);

/** The current time, ticking every second while `running`. */
function useNow(running: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return now;
}

function describeStep(step: PlanStep): string {
  const parts: string[] = [];
  if (step.enabled !== undefined) parts.push(step.enabled ? 'turn on' : 'turn off');
  if (step.weights) {
    parts.push(
      step.weights
        .filter((weight) => weight.weight > 0)
        .map((weight) => `${weight.variant} ${formatPercent(weight.weight, DEFAULT_BUCKETS)}`)
        .join(' · '),
    );
  }
  return parts.join(', ');
}

const percent = (value: number) => `${(value * 100).toFixed(2)}%`;

function formatValue(reading: GuardReading, value: number | null): string {
  if (value === null) return '—';
  return reading.kind === 'rate' ? percent(value) : String(Number(value.toPrecision(4)));
}

function formatDifference(reading: GuardReading, value: number): string {
  const sign = value < 0 ? '−' : '+';
  const size = Math.abs(value);
  return reading.kind === 'rate'
    ? `${sign}${(size * 100).toFixed(2)} pts`
    : `${sign}${Number(size.toPrecision(4))}`;
}

function GuardTable({ readings }: { readings: GuardReading[] }) {
  return (
    <table class="guards">
      <caption>Guards, now</caption>
      <thead>
        <tr>
          <th scope="col">Guard</th>
          <th scope="col">Treatment</th>
          <th scope="col">Control</th>
          <th scope="col">Difference</th>
          <th scope="col">Evidence</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        {readings.map((reading) => (
          <tr key={reading.name} title={reading.summary}>
            <th scope="row">
              {reading.name} <span class="muted">({reading.event})</span>
            </th>
            <td>
              {formatValue(reading, reading.treatment.value)}{' '}
              <span class="muted">
                {reading.treatment.variant}, {reading.treatment.users} users
              </span>
            </td>
            <td>
              {formatValue(reading, reading.control.value)}{' '}
              <span class="muted">
                {reading.control.variant}, {reading.control.users} users
              </span>
            </td>
            <td>
              {reading.difference === null ? '—' : formatDifference(reading, reading.difference)}
              {reading.interval === null ? null : (
                <span class="muted">
                  {' '}
                  {Math.round((1 - reading.alpha) * 100)}% CI [
                  {formatDifference(reading, reading.interval[0])},{' '}
                  {formatDifference(reading, reading.interval[1])}]
                </span>
              )}
            </td>
            <td>
              p {reading.pValue < 0.0001 ? '< 0.0001' : `= ${reading.pValue.toFixed(4)}`}
              <span class="muted"> (trips at {reading.alpha})</span>
            </td>
            <td>
              <span
                class={`pill ${reading.status === 'tripped' ? 'pill-killed' : reading.status === 'healthy' ? 'pill-on' : ''}`}
              >
                {reading.status === 'insufficient' ? `needs ${reading.minSample} users each` : reading.status}
              </span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The flag environment's rollout plan: its steps and timer, each guard's live numbers, what happened
 * and why, the buttons to steer it, and the form for a new one.
 */
export function PlanPanel({ flag, environment }: { flag: FlagDocument; environment: string }) {
  const { api, can, announce } = useApp();
  const plan = useLoad(() => api.plan(flag.key, environment), `${flag.key}\n${environment}`);
  const [creating, setCreating] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const view = plan.data;
  const active = view !== null && ACTIVE.has(view.status);
  const now = useNow(active);

  useChanges((change) => {
    if (
      change.target.kind === 'flag' &&
      change.target.key === flag.key &&
      change.environment === environment
    ) {
      void plan.reload();
    }
  });
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => void plan.reload(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [active, plan.reload]);

  const act = async (action: PlanAction) => {
    setError(null);
    try {
      await api.planAction(flag.key, environment, action, reason.trim() || undefined);
      setReason('');
      announce(`Plan ${action === 'skip' ? 'moved to its next step' : `${action}d`}`);
      await plan.reload();
    } catch (err) {
      setError(err);
    }
  };

  const config = flag.environments[environment];
  const variants = Object.keys(flag.variants);
  const heading = `rollout-plan-${environment}`;

  const body = (() => {
    if (plan.data === null) return plan.loading ? <p class="loading">Loading…</p> : null;
    if (view === null) return null;
    // The server's clock decides when steps happen; shift ours by the difference.
    const skew = Date.parse(view.serverTime) - Date.now();
    const left = view.nextAt === null ? null : Date.parse(view.nextAt) - (now + skew);
    const steps = view.definition.steps;
    return (
      <>
        <p>
          <span class={`pill plan-${view.status}`}>{view.status}</span>{' '}
          {view.status === 'scheduled' && left !== null ? `First step in ${formatCountdown(left)}` : null}
          {view.status === 'running' && view.currentStep >= 0 ? (
            <>
              Step {view.currentStep + 1} of {steps.length}
              {left === null ? null : ` · next step in ${formatCountdown(left)}`}
            </>
          ) : null}
          {view.status === 'paused' && view.pausedRemainingMs !== null
            ? `${formatCountdown(view.pausedRemainingMs)} left on this step when resumed`
            : null}
          {view.endedReason === null ? null : <span class="muted"> · {view.endedReason}</span>}
        </p>
        <ol class="plan-steps">
          {steps.map((step, index) => (
            <li
              key={index}
              class={index < view.currentStep ? 'done' : index === view.currentStep ? 'current' : 'upcoming'}
              aria-current={index === view.currentStep ? 'step' : undefined}
            >
              {describeStep(step)}
              {step.holdSeconds === undefined ? null : (
                <span class="muted"> · hold {formatDuration(step.holdSeconds)}</span>
              )}
            </li>
          ))}
        </ol>
        {view.readings.length > 0 ? <GuardTable readings={view.readings} /> : null}
        {active && (can.kill || can.edit) ? (
          <div class="actions plan-actions">
            <label class="inline">
              Why
              <input
                value={reason}
                maxLength={1000}
                placeholder="optional"
                onInput={(e) => setReason(e.currentTarget.value)}
              />
            </label>
            {can.kill && view.status !== 'paused' ? (
              <button type="button" onClick={() => act('pause')}>
                Pause
              </button>
            ) : null}
            {can.edit && view.status === 'paused' ? (
              <button type="button" onClick={() => act('resume')}>
                Resume
              </button>
            ) : null}
            {can.edit && view.currentStep < steps.length - 1 ? (
              <button type="button" onClick={() => act('skip')}>
                Apply next step now
              </button>
            ) : null}
            {can.kill ? (
              <button type="button" class="danger" onClick={() => act('abort')}>
                Abort plan
              </button>
            ) : null}
          </div>
        ) : null}
        <details open={!active}>
          <summary>What happened</summary>
          <ol class="plan-history" reversed>
            {[...view.history].reverse().map((event, index) => (
              <li key={index}>
                <RelativeTime iso={event.at} /> · <strong>{event.event}</strong> by {event.by}
                <div class="muted">{event.detail}</div>
                {event.event === 'tripped' || event.event === 'completed' || event.event === 'advanced'
                  ? (event.guards ?? []).map((reading) => (
                      <div key={reading.name} class="hint">
                        {reading.summary}
                      </div>
                    ))
                  : null}
              </li>
            ))}
          </ol>
        </details>
      </>
    );
  })();

  return (
    <section class="card plan" aria-labelledby={heading}>
      <div class="page-head">
        <h2 id={heading}>Rollout plan in {environment}</h2>
        {can.edit && !active && !creating && config !== undefined && !config.killed ? (
          <button type="button" onClick={() => setCreating(true)}>
            New plan…
          </button>
        ) : null}
      </div>
      <ErrorMessage error={plan.error ?? error} />
      {view === null && !creating && !plan.loading ? (
        <p class="empty">
          No plan. A plan ramps this flag up in steps (or turns it on or off at a time) by itself, and can
          stop it when a guard sees treatment hurting users.
        </p>
      ) : null}
      {creating && config !== undefined ? (
        <PlanForm
          flagKey={flag.key}
          environment={environment}
          variants={variants}
          treatment={primaryVariant(flag, variants, config.offVariant)}
          control={config.offVariant}
          onCreated={() => {
            setCreating(false);
            void plan.reload();
          }}
          onCancel={() => setCreating(false)}
        />
      ) : (
        body
      )}
    </section>
  );
}
