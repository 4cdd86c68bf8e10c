/**
 * Ramp plans through the admin API, on a real server whose scheduler ticks every 50 ms: validation,
 * steps applied by the scheduler (each audited by `scheduler`), scheduled changes, pause / resume /
 * skip / abort by a person, a kill aborting the plan, and who may do what.
 */
import type { FlagDocument } from '@switchboard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json, TestServer } from './helpers';
import { booleanFlag, flagPath, startServer } from './helpers';

const planPath = (key: string, environment = 'production') =>
  `${flagPath(key)}/environments/${environment}/plan`;

const weights = (onPercent: number) => [
  { variant: 'on', weight: onPercent * 1000 },
  { variant: 'off', weight: (100 - onPercent) * 1000 },
];

/** Polls until `check` holds, failing with `what` after a few seconds. */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 8_000;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// One server for the file: every test works on flags of its own.
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ delivery: { tickMs: 50 } });
});

afterAll(async () => {
  await server.close();
});

async function createFlag(key: string, overrides: Partial<FlagDocument> = {}) {
  const reply = await server.request('PUT', flagPath(key), { body: booleanFlag(key, overrides) });
  expect(reply.status).toBe(201);
  return reply.body as FlagDocument;
}

const readPlan = async (key: string) => (await server.request('GET', planPath(key))).body;
const auditOf = async (key: string) =>
  (
    (await server.request('GET', `/api/v1/audit?flag=${encodeURIComponent(key)}`)).body.entries as Json[]
  ).reverse();

describe('creating a plan', () => {
  it('refuses plans that cannot work, and changes nothing', async () => {
    await createFlag('checkout');
    const before = await auditOf('checkout');
    const cases: Array<[number, Json, string]> = [
      [400, { steps: [{ holdSeconds: 5 }] }, '/body/steps/0'],
      [400, { steps: [{ weights: weights(5) }, { weights: weights(100) }] }, '/body/steps/0/holdSeconds'],
      [400, { steps: [{ enabled: true }], startAt: 'tomorrow' }, '/body/startAt'],
      [400, { steps: [{ enabled: true }], surprise: 1 }, '/body'],
      [400, { steps: [] }, '/body/steps'],
      [
        400,
        {
          steps: [{ enabled: true }],
          guards: [
            { name: 'g', event: 'error', kind: 'rate', treatment: 'on', control: 'on', minSample: 100 },
          ],
        },
        '/body/guards/0/control',
      ],
      [
        422,
        { steps: [{ weights: [{ variant: 'beta', weight: 100000 }] }] },
        '/body/steps/0/weights/0/variant',
      ],
      [422, { steps: [{ weights: [{ variant: 'on', weight: 5 }] }] }, '/body/steps/0/weights'],
      [422, { steps: [{ weights: weights(5) }], ruleId: 'nope' }, '/body/ruleId'],
      [
        422,
        {
          steps: [{ enabled: true }],
          guards: [
            { name: 'g', event: 'error', kind: 'rate', treatment: 'on', control: 'gone', minSample: 100 },
          ],
        },
        '/body/guards/0/control',
      ],
    ];
    for (const [status, body, path] of cases) {
      const reply = await server.request('PUT', planPath('checkout'), { body });
      expect(reply.status, JSON.stringify(body)).toBe(status);
      expect(reply.body.details.map((detail: Json) => detail.path).join(' ')).toContain(path);
    }
    expect(
      (await server.request('PUT', planPath('nope'), { body: { steps: [{ enabled: true }] } })).status,
    ).toBe(404);
    expect(
      (
        await server.request('PUT', planPath('checkout', 'development'), {
          body: { steps: [{ enabled: true }] },
        })
      ).status,
    ).toBe(404);
    expect((await server.request('GET', planPath('checkout'))).status).toBe(404);
    expect(await auditOf('checkout')).toEqual(before);
  });

  it('refuses a second active plan and a plan on a killed flag', async () => {
    await createFlag('busy');
    const plan = { steps: [{ weights: weights(5), holdSeconds: 600 }, { weights: weights(100) }] };
    expect((await server.request('PUT', planPath('busy'), { body: plan })).status).toBe(201);
    const second = await server.request('PUT', planPath('busy'), { body: plan });
    expect(second.status).toBe(409);
    expect(second.body.message).toMatch(/already has a (scheduled|running) plan/);

    await createFlag('killed');
    await server.request('POST', `${flagPath('killed')}/environments/production/kill`, {
      body: { reason: 'x' },
    });
    const onKilled = await server.request('PUT', planPath('killed'), { body: plan });
    expect(onKilled.status).toBe(422);
    expect(onKilled.body.message).toMatch(/killed/);
  });
});

describe('the scheduler', () => {
  it('applies every step by itself, each an audit entry by "scheduler", and completes', async () => {
    await createFlag('ramp');
    const created = await server.request('PUT', planPath('ramp'), {
      body: {
        steps: [
          { weights: weights(10), holdSeconds: 1 },
          { weights: weights(50), holdSeconds: 1 },
          { weights: weights(100) },
        ],
        reason: 'canary for the new checkout',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'scheduled',
      currentStep: -1,
      createdBy: expect.any(String),
    });

    const started = await until(
      () => readPlan('ramp'),
      (plan) => plan.currentStep === 0,
      'the first step',
    );
    expect(started.status).toBe('running');
    expect(Date.parse(started.nextAt) - Date.parse(started.stepStartedAt)).toBe(1000);
    expect((await server.request('GET', flagPath('ramp'))).body.environments.production.fallthrough).toEqual({
      rollout: { weights: weights(10) },
    });

    const done = await until(
      () => readPlan('ramp'),
      (plan) => plan.status === 'completed',
      'completion',
    );
    expect(done).toMatchObject({ currentStep: 2, nextAt: null, endedReason: 'all steps applied' });
    expect(done.history.map((event: Json) => [event.event, event.step ?? null, event.by])).toEqual([
      ['created', null, 'admin (SWITCHBOARD_ADMIN_TOKEN)'],
      ['advanced', 0, 'scheduler'],
      ['advanced', 1, 'scheduler'],
      ['advanced', 2, 'scheduler'],
    ]);
    const flag = (await server.request('GET', flagPath('ramp'))).body;
    expect(flag.environments.production.fallthrough).toEqual({ rollout: { weights: weights(100) } });
    expect(flag.environments.staging.fallthrough).toEqual({ variant: 'off' });

    const entries = await auditOf('ramp');
    expect(entries.map((entry) => [entry.actor.name, entry.action])).toEqual([
      ['admin (SWITCHBOARD_ADMIN_TOKEN)', 'flag.create'],
      ['admin (SWITCHBOARD_ADMIN_TOKEN)', 'plan.create'],
      ...[1, 2, 3].flatMap(() => [
        ['scheduler', 'flag.rollout'],
        ['scheduler', 'plan.advance'],
      ]),
    ]);
    expect(entries[1].reason).toBe('canary for the new checkout');
    expect(entries[3].reason).toBe('step 1 of 3 (on 10%, off 90%); start time reached');
    expect(entries[5].reason).toBe('step 2 of 3 (on 50%, off 50%); hold elapsed');
    expect(entries[5].diff).toEqual(
      expect.arrayContaining([{ op: 'replace', path: '/currentStep', before: 0, after: 1 }]),
    );
    expect((await server.request('GET', '/api/v1/audit/verify')).body.ok).toBe(true);
  });

  it('turns a flag on at the scheduled time, not before', async () => {
    await createFlag('launch', {
      environments: { production: { enabled: false, offVariant: 'off', fallthrough: { variant: 'on' } } },
    });
    const startAt = new Date(Date.now() + 1200).toISOString();
    const created = await server.request('PUT', planPath('launch'), {
      body: { startAt, steps: [{ enabled: true }] },
    });
    expect(created.body).toMatchObject({ status: 'scheduled', nextAt: startAt });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await server.request('GET', flagPath('launch'))).body.environments.production.enabled).toBe(
      false,
    );

    const done = await until(
      () => readPlan('launch'),
      (plan) => plan.status === 'completed',
      'the launch',
    );
    expect(Date.parse(done.stepStartedAt)).toBeGreaterThanOrEqual(Date.parse(startAt));
    expect((await server.request('GET', flagPath('launch'))).body.environments.production.enabled).toBe(true);
    const last = (await auditOf('launch')).filter((entry) => entry.actor.name === 'scheduler');
    expect(last.map((entry) => entry.action)).toEqual(['flag.enable', 'plan.advance']);
  });

  it('ramps the rule named by ruleId', async () => {
    await createFlag('rules', {
      environments: {
        production: {
          enabled: true,
          offVariant: 'off',
          rules: [
            {
              id: 'beta',
              clauses: [{ attribute: 'beta', op: 'eq', values: [true] }],
              serve: { variant: 'off' },
            },
          ],
          fallthrough: { variant: 'off' },
        },
      },
    });
    await server.request('PUT', planPath('rules'), {
      body: { ruleId: 'beta', steps: [{ weights: weights(30) }] },
    });
    await until(
      () => readPlan('rules'),
      (plan) => plan.status === 'completed',
      'the step',
    );
    const production = (await server.request('GET', flagPath('rules'))).body.environments.production;
    expect(production.rules[0].serve).toEqual({ rollout: { weights: weights(30) } });
    expect(production.fallthrough).toEqual({ variant: 'off' });
  });

  it('ends a plan whose next step no longer fits the flag', async () => {
    await createFlag('shrinking', { variants: { on: true, off: false, beta: true } });
    await server.request('PUT', planPath('shrinking'), {
      body: {
        steps: [{ weights: weights(10), holdSeconds: 1 }, { weights: [{ variant: 'beta', weight: 100000 }] }],
      },
    });
    const running = await until(
      () => readPlan('shrinking'),
      (plan) => plan.currentStep === 0,
      'the first step',
    );
    const flag = (await server.request('GET', flagPath('shrinking'))).body;
    const { beta: _beta, ...variants } = flag.variants;
    expect((await server.request('PUT', flagPath('shrinking'), { body: { ...flag, variants } })).status).toBe(
      200,
    );

    const ended = await until(
      () => readPlan('shrinking'),
      (plan) => plan.status === 'aborted',
      'the plan to end',
    );
    expect(ended.version).toBeGreaterThan(running.version);
    expect(ended.endedReason).toMatch(/^step 2 could not be applied: flag "shrinking" is not valid/);
    const last = (await auditOf('shrinking')).at(-1)!;
    expect(last).toMatchObject({ action: 'plan.abort', actor: { name: 'scheduler' } });
  });
});

describe('people steering a plan', () => {
  const longPlan = {
    steps: [
      { weights: weights(5), holdSeconds: 600 },
      { weights: weights(50), holdSeconds: 600 },
      { weights: weights(100) },
    ],
  };
  const act = (key: string, action: string, body: Json = {}, token?: string) =>
    server.request('POST', `${planPath(key)}/${action}`, { body, ...(token === undefined ? {} : { token }) });

  it('pause holds the current step, skip applies the next one now, resume goes on, abort ends it', async () => {
    await createFlag('steer');
    await server.request('PUT', planPath('steer'), { body: longPlan });
    const running = await until(
      () => readPlan('steer'),
      (plan) => plan.currentStep === 0,
      'the first step',
    );

    const paused = await act('steer', 'pause', { reason: 'checking dashboards' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: 'paused', nextAt: null, currentStep: 0 });
    expect(paused.body.pausedRemainingMs).toBeGreaterThan(590_000);
    expect(paused.body.pausedRemainingMs).toBeLessThanOrEqual(
      Date.parse(running.nextAt) - Date.parse(running.stepStartedAt),
    );
    expect((await act('steer', 'pause')).status).toBe(409);

    const skipped = await act('steer', 'skip');
    expect(skipped.body).toMatchObject({ status: 'paused', currentStep: 1, pausedRemainingMs: 600_000 });
    expect((await server.request('GET', flagPath('steer'))).body.environments.production.fallthrough).toEqual(
      {
        rollout: { weights: weights(50) },
      },
    );

    const resumed = await act('steer', 'resume');
    expect(resumed.body).toMatchObject({ status: 'running', currentStep: 1 });
    expect(Date.parse(resumed.body.nextAt) - Date.now()).toBeGreaterThan(590_000);

    const aborted = await act('steer', 'abort', { reason: 'not today' });
    expect(aborted.body).toMatchObject({ status: 'aborted', nextAt: null });
    expect(aborted.body.endedReason).toBe('aborted by admin (SWITCHBOARD_ADMIN_TOKEN)');
    for (const action of ['pause', 'resume', 'skip', 'abort']) {
      expect((await act('steer', action)).status).toBe(409);
    }
    // Aborting leaves the rollout where it was.
    expect((await server.request('GET', flagPath('steer'))).body.environments.production.fallthrough).toEqual(
      {
        rollout: { weights: weights(50) },
      },
    );
    const people = (await auditOf('steer')).filter((entry) => entry.actor.name !== 'scheduler');
    expect(people.map((entry) => entry.action)).toEqual([
      'flag.create',
      'plan.create',
      'plan.pause',
      'flag.rollout',
      'plan.skip',
      'plan.resume',
      'plan.abort',
    ]);
    expect(people[2].reason).toBe('checking dashboards');

    // An ended plan can be replaced; the new one starts from its first step.
    const again = await server.request('PUT', planPath('steer'), { body: longPlan });
    expect(again.status).toBe(201);
    expect(again.body.version).toBeGreaterThan(aborted.body.version);
    expect(again.body.runId).not.toBe(aborted.body.runId);
  });

  it('a kill aborts the plan in the same transaction, and nothing more happens to the flag', async () => {
    await createFlag('incident', { tags: ['payments'] });
    await createFlag('incident-2', { tags: ['payments'] });
    for (const key of ['incident', 'incident-2']) {
      await server.request('PUT', planPath(key), { body: longPlan });
      await until(
        () => readPlan(key),
        (plan) => plan.currentStep === 0,
        `the first step of ${key}`,
      );
    }
    await server.request('POST', `${flagPath('incident')}/environments/production/kill`, {
      body: { reason: 'error spike' },
    });
    await server.request('POST', '/api/v1/kill', {
      body: { tag: 'payments', environment: 'production', reason: 'payments incident' },
    });
    const single = await readPlan('incident');
    expect(single).toMatchObject({
      status: 'aborted',
      endedReason: 'flag killed by admin (SWITCHBOARD_ADMIN_TOKEN): error spike',
    });
    expect((await readPlan('incident-2')).endedReason).toBe(
      'flag killed by admin (SWITCHBOARD_ADMIN_TOKEN): payments incident',
    );
    const entries = await auditOf('incident');
    const killAt = entries.findIndex((entry) => entry.action === 'flag.kill');
    expect(entries.slice(killAt).map((entry) => [entry.action, entry.actor.name, entry.reason])).toEqual([
      ['flag.kill', 'admin (SWITCHBOARD_ADMIN_TOKEN)', 'error spike'],
      [
        'plan.abort',
        'admin (SWITCHBOARD_ADMIN_TOKEN)',
        'flag killed by admin (SWITCHBOARD_ADMIN_TOKEN): error spike',
      ],
    ]);
  });

  it('lets responders stop a plan but not start or move one; viewers only read', async () => {
    await createFlag('roles');
    const [viewer, responder, editor] = [
      await server.token('viewer'),
      await server.token('responder'),
      await server.token('editor'),
    ];
    expect((await server.request('PUT', planPath('roles'), { body: longPlan, token: viewer })).status).toBe(
      403,
    );
    expect(
      (await server.request('PUT', planPath('roles'), { body: longPlan, token: responder })).status,
    ).toBe(403);
    expect((await server.request('PUT', planPath('roles'), { body: longPlan, token: editor })).status).toBe(
      201,
    );
    expect((await server.request('GET', planPath('roles'), { token: viewer })).status).toBe(200);
    const activeRoles = async () =>
      (
        (await server.request('GET', '/api/v1/plans?active=true', { token: viewer })).body.plans as Json[]
      ).filter((plan) => plan.flag === 'roles');
    expect(await activeRoles()).toHaveLength(1);
    expect((await act('roles', 'pause', {}, viewer)).status).toBe(403);
    expect((await act('roles', 'skip', {}, responder)).status).toBe(403);
    expect((await act('roles', 'pause', {}, responder)).status).toBe(200);
    expect((await act('roles', 'resume', {}, responder)).status).toBe(403);
    expect((await act('roles', 'abort', {}, responder)).status).toBe(200);
    expect(await activeRoles()).toEqual([]);
  });
});
