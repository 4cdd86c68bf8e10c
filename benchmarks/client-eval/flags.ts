/**
 * The environment the client-evaluate benchmark serves: 50 flags cycling through the kinds a real
 * application has (on/off, disabled, percentage rollouts, attribute targeting, segments, user targets,
 * string variants, semver gates), two segments, and the one browser context every request sends.
 */
import type { FlagDocument, SegmentDocument } from '@switchboard/core';

export const CLIENT_EVAL_ENVIRONMENT = 'production';
export const CLIENT_EVAL_FLAG_COUNT = 50;

/** The context of every request: a signed-in user in a browser. */
export const CLIENT_EVAL_CONTEXT = {
  userId: 'user-4711',
  country: 'DE',
  plan: 'pro',
  appVersion: '2.4.1',
  email: 'ana@example.com',
} as const;

export const CLIENT_EVAL_SEGMENTS: ReadonlyArray<Omit<SegmentDocument, 'version'>> = [
  {
    key: 'beta-testers',
    description: 'opted into betas, plus every pro or enterprise customer in the EU',
    included: ['user-1', 'user-2', 'user-3'],
    rules: [
      {
        clauses: [
          { attribute: 'plan', op: 'in', values: ['pro', 'enterprise'] },
          { attribute: 'country', op: 'in', values: ['DE', 'FR', 'NL', 'IT', 'ES'] },
        ],
      },
    ],
  },
  {
    key: 'staff',
    description: 'employees',
    rules: [{ clauses: [{ attribute: 'email', op: 'endsWith', values: ['@example.com'] }] }],
  },
];

const boolean = { on: true, off: false };

function rollout(onPercent: number) {
  return {
    rollout: {
      bucketBy: 'userId',
      weights: [
        { variant: 'on', weight: onPercent * 1000 },
        { variant: 'off', weight: (100 - onPercent) * 1000 },
      ],
    },
  };
}

type Environment = FlagDocument['environments'][string];

/** The kinds the 50 flags cycle through: variants and the one environment's configuration. */
const KINDS: ReadonlyArray<(key: string) => Pick<FlagDocument, 'variants'> & { environment: Environment }> = [
  () => ({
    variants: boolean,
    environment: { enabled: true, offVariant: 'off', fallthrough: { variant: 'on' } },
  }),
  () => ({
    variants: boolean,
    environment: { enabled: false, offVariant: 'off', fallthrough: { variant: 'on' } },
  }),
  () => ({ variants: boolean, environment: { enabled: true, offVariant: 'off', fallthrough: rollout(25) } }),
  (key) => ({
    variants: boolean,
    environment: {
      enabled: true,
      offVariant: 'off',
      rules: [
        {
          id: `${key}-eu-pro`,
          clauses: [
            { attribute: 'country', op: 'in', values: ['DE', 'FR', 'NL'] },
            { attribute: 'plan', op: 'eq', values: ['pro'] },
            { attribute: 'appVersion', op: 'semverGte', values: ['2.3.0'] },
          ],
          serve: rollout(50),
        },
      ],
      fallthrough: { variant: 'off' },
    },
  }),
  (key) => ({
    variants: boolean,
    environment: {
      enabled: true,
      offVariant: 'off',
      rules: [
        { id: `${key}-staff`, clauses: [{ segment: 'staff' }], serve: { variant: 'on' } },
        { id: `${key}-beta`, clauses: [{ segment: 'beta-testers' }], serve: rollout(10) },
      ],
      fallthrough: { variant: 'off' },
    },
  }),
  () => ({
    variants: boolean,
    environment: {
      enabled: true,
      offVariant: 'off',
      targets: [{ values: ['user-1', 'user-4711', 'user-9000'], variant: 'on' }],
      fallthrough: { variant: 'off' },
    },
  }),
  () => ({
    variants: { blue: 'blue', green: 'green', orange: 'orange' },
    environment: {
      enabled: true,
      offVariant: 'blue',
      fallthrough: {
        rollout: {
          weights: [
            { variant: 'blue', weight: 34_000 },
            { variant: 'green', weight: 33_000 },
            { variant: 'orange', weight: 33_000 },
          ],
        },
      },
    },
  }),
  (key) => ({
    variants: { small: 10, large: 50 },
    environment: {
      enabled: true,
      offVariant: 'small',
      rules: [
        {
          id: `${key}-new-apps`,
          clauses: [{ attribute: 'appVersion', op: 'semverLt', values: ['2.0.0'], negate: true }],
          serve: { variant: 'large' },
        },
      ],
      fallthrough: { variant: 'small' },
    },
  }),
];

/** The 50 flags, as PUT bodies (no version: each is created). */
export function clientEvalFlags(): Array<Omit<FlagDocument, 'version'>> {
  return Array.from({ length: CLIENT_EVAL_FLAG_COUNT }, (_, index) => {
    const key = `client-eval-${String(index).padStart(2, '0')}`;
    const { variants, environment } = (KINDS[index % KINDS.length] as (typeof KINDS)[number])(key);
    return {
      key,
      description: 'client-evaluate benchmark',
      tags: ['benchmark'],
      variants,
      environments: { [CLIENT_EVAL_ENVIRONMENT]: environment },
    };
  });
}
