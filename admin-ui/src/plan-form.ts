/**
 * The "new rollout plan" form as data: what a person types (percentages, "30m" holds, a guard) and
 * the plan document it becomes, or the problems that keep it from being one.
 */
import type { GuardDefinition, PlanDefinition, PlanStep } from './api';
import { DEFAULT_BUCKETS, percentToWeight } from './rollout';

export interface StepDraft {
  /** Share of treatment, in percent. */
  percent: string;
  /** How long the step holds: "45s", "30m", "1h", "2d" (empty on the last step). */
  hold: string;
}

export interface GuardDraft {
  name: string;
  event: string;
  kind: 'rate' | 'mean';
  worseWhen: 'higher' | 'lower';
  /** rate: percentage points; mean: the value's unit. Empty: none. */
  absolute: string;
  /** Percent of control. Empty: none. */
  relative: string;
  minSample: string;
}

export interface PlanDraft {
  /** ramp: steps of rollout weights; schedule: turn the flag on or off at a time. */
  mode: 'ramp' | 'schedule';
  treatment: string;
  control: string;
  steps: StepDraft[];
  guards: GuardDraft[];
  /** `datetime-local` text, empty for "now". */
  startAt: string;
  /** schedule mode: turn on (true) or off. */
  turnOn: boolean;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "90", "45s", "30m", "1h", "2d" → seconds; null when it is none of those. */
export function parseDuration(text: string): number | null {
  const match = /^\s*(\d{1,7})\s*([smhd]?)\s*$/i.exec(text);
  if (!match) return null;
  return Number(match[1]) * UNIT_SECONDS[(match[2] || 's').toLowerCase()]!;
}

/** Seconds as the largest whole unit: 3600 → "1h", 90 → "90s". */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit]!;
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** "1h 2m", "4m 05s", "12s": a countdown. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const [hours, minutes, seconds] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  return `${seconds}s`;
}

export const newGuard = (): GuardDraft => ({
  name: 'error-rate',
  event: 'error',
  kind: 'rate',
  worseWhen: 'higher',
  absolute: '1',
  relative: '',
  minSample: '500',
});

/** 1 % for 30 min, 5 % for 1 h, 25 % and 50 % for 1 h each, then everyone; guarded by the error rate. */
export function defaultPlanDraft(treatment: string, control: string): PlanDraft {
  return {
    mode: 'ramp',
    treatment,
    control,
    steps: [
      { percent: '1', hold: '30m' },
      { percent: '5', hold: '1h' },
      { percent: '25', hold: '1h' },
      { percent: '50', hold: '1h' },
      { percent: '100', hold: '' },
    ],
    guards: [newGuard()],
    startAt: '',
    turnOn: true,
  };
}

function optionalNumber(text: string): number | undefined | null {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

/** The plan the draft describes, or what is wrong with it (one line each). */
export function buildPlan(draft: PlanDraft): { plan: PlanDefinition } | { problems: string[] } {
  const problems: string[] = [];
  let startAt: string | undefined;
  if (draft.startAt !== '') {
    const time = new Date(draft.startAt);
    if (Number.isNaN(time.getTime())) problems.push('Start: not a date and time');
    else startAt = time.toISOString();
  }
  if (draft.mode === 'schedule') {
    if (startAt === undefined) problems.push('Start: a scheduled change needs a time');
    return problems.length > 0
      ? { problems }
      : { plan: { steps: [{ enabled: draft.turnOn }], ...(startAt === undefined ? {} : { startAt }) } };
  }

  if (draft.treatment === draft.control) problems.push('Treatment and control must be different variants');
  if (draft.steps.length === 0) problems.push('Add at least one step');
  const steps: PlanStep[] = draft.steps.map((step, index) => {
    const label = `Step ${index + 1}`;
    const percent = Number(step.percent);
    if (step.percent.trim() === '' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
      problems.push(`${label}: a percentage from 0 to 100`);
    }
    const treatment = percentToWeight(percent, DEFAULT_BUCKETS);
    const weights = [
      { variant: draft.treatment, weight: treatment },
      { variant: draft.control, weight: DEFAULT_BUCKETS - treatment },
    ];
    const isLast = index === draft.steps.length - 1;
    if (step.hold.trim() === '') {
      if (!isLast) problems.push(`${label}: how long it holds, e.g. 30m`);
      return { weights };
    }
    const hold = parseDuration(step.hold);
    if (hold === null) problems.push(`${label}: "${step.hold}" is not a duration like 45s, 30m, 1h or 2d`);
    return { weights, holdSeconds: hold ?? 0 };
  });

  const guards: GuardDefinition[] = draft.guards.map((guard, index) => {
    const label = `Guard ${index + 1}`;
    if (guard.name.trim() === '' || guard.event.trim() === '') problems.push(`${label}: a name and an event`);
    const minSample = Number(guard.minSample);
    if (!Number.isInteger(minSample) || minSample < 10)
      problems.push(`${label}: a minimum sample of 10 or more`);
    const absolute = optionalNumber(guard.absolute);
    const relative = optionalNumber(guard.relative);
    if (absolute === null || relative === null)
      problems.push(`${label}: thresholds are numbers of 0 or more`);
    return {
      name: guard.name.trim(),
      event: guard.event.trim(),
      kind: guard.kind,
      treatment: draft.treatment,
      control: draft.control,
      worseWhen: guard.worseWhen,
      minSample,
      // A rate's absolute threshold is typed in percentage points.
      ...(absolute == null ? {} : { absoluteThreshold: guard.kind === 'rate' ? absolute / 100 : absolute }),
      ...(relative == null ? {} : { relativeThreshold: relative / 100 }),
    };
  });
  if (problems.length > 0) return { problems };
  return {
    plan: {
      steps,
      ...(guards.length > 0 ? { guards } : {}),
      ...(startAt === undefined ? {} : { startAt }),
    },
  };
}
