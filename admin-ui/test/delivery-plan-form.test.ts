import { describe, expect, it } from 'vitest';
import {
  buildPlan,
  defaultPlanDraft,
  formatCountdown,
  formatDuration,
  newGuard,
  parseDuration,
} from '../src/plan-form';

describe('durations', () => {
  it('reads seconds, minutes, hours and days, and writes the largest whole unit', () => {
    expect(['90', '45s', '30m', '1h', '2d', ' 5 M '].map(parseDuration)).toEqual([
      90, 45, 1800, 3600, 172_800, 300,
    ]);
    expect(['', 'soon', '1.5h', '-1m', '3w'].map(parseDuration)).toEqual([null, null, null, null, null]);
    expect([3600, 5400, 90, 86_400, 0].map(formatDuration)).toEqual(['1h', '90m', '90s', '1d', '0s']);
  });

  it('counts down in the units that matter', () => {
    expect([3_723_000, 245_000, 12_400, -5].map(formatCountdown)).toEqual(['1h 2m', '4m 05s', '12s', '0s']);
  });
});

describe('a plan from the form', () => {
  it('turns the default ramp into steps of weights, holds and a guard on the error rate', () => {
    const result = buildPlan(defaultPlanDraft('on', 'off'));
    expect(result).toEqual({
      plan: {
        steps: [
          {
            weights: [
              { variant: 'on', weight: 1000 },
              { variant: 'off', weight: 99_000 },
            ],
            holdSeconds: 1800,
          },
          {
            weights: [
              { variant: 'on', weight: 5000 },
              { variant: 'off', weight: 95_000 },
            ],
            holdSeconds: 3600,
          },
          {
            weights: [
              { variant: 'on', weight: 25_000 },
              { variant: 'off', weight: 75_000 },
            ],
            holdSeconds: 3600,
          },
          {
            weights: [
              { variant: 'on', weight: 50_000 },
              { variant: 'off', weight: 50_000 },
            ],
            holdSeconds: 3600,
          },
          {
            weights: [
              { variant: 'on', weight: 100_000 },
              { variant: 'off', weight: 0 },
            ],
          },
        ],
        guards: [
          {
            name: 'error-rate',
            event: 'error',
            kind: 'rate',
            treatment: 'on',
            control: 'off',
            worseWhen: 'higher',
            minSample: 500,
            absoluteThreshold: 0.01,
          },
        ],
      },
    });
  });

  it('keeps thresholds of a mean in the value’s own unit, and relative ones as fractions', () => {
    const draft = defaultPlanDraft('on', 'off');
    draft.guards = [
      { ...newGuard(), name: 'latency', event: 'latency_ms', kind: 'mean', absolute: '25', relative: '10' },
    ];
    const result = buildPlan(draft);
    expect('plan' in result && result.plan.guards).toEqual([
      expect.objectContaining({ kind: 'mean', absoluteThreshold: 25, relativeThreshold: 0.1 }),
    ]);
  });

  it('says what is wrong, step by step', () => {
    const draft = defaultPlanDraft('on', 'on');
    draft.steps = [
      { percent: '150', hold: '1h' },
      { percent: '5', hold: '' },
      { percent: '10', hold: 'a while' },
    ];
    draft.guards = [{ ...newGuard(), minSample: '3', absolute: '-1' }];
    expect(buildPlan(draft)).toEqual({
      problems: [
        'Treatment and control must be different variants',
        'Step 1: a percentage from 0 to 100',
        'Step 2: how long it holds, e.g. 30m',
        'Step 3: "a while" is not a duration like 45s, 30m, 1h or 2d',
        'Guard 1: a minimum sample of 10 or more',
        'Guard 1: thresholds are numbers of 0 or more',
      ],
    });
  });

  it('schedules turning a flag on at a time', () => {
    const draft = {
      ...defaultPlanDraft('on', 'off'),
      mode: 'schedule' as const,
      startAt: '2031-05-04T09:30',
    };
    expect(buildPlan(draft)).toEqual({
      plan: { steps: [{ enabled: true }], startAt: new Date('2031-05-04T09:30').toISOString() },
    });
    expect(buildPlan({ ...draft, startAt: '' })).toEqual({
      problems: ['Start: a scheduled change needs a time'],
    });
  });
});
