/**
 * The scheduler's state lives in the store: a step that fell due while no server ran is applied by
 * the restarted server — once, with the next step's hold counted from then, not all at once. SDK
 * instance reports, kept in memory between flushes, are stored by the time the server has closed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, expect, it } from 'vitest';
import { buildApp } from '../src/app';
import type { Json } from './helpers';
import { ADMIN_TOKEN, booleanFlag, flagPath, testConfig } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-restart-'));
const databasePath = join(dir, 'switchboard.db');
const PLAN_PATH = `${flagPath('resilient')}/environments/production/plan`;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = () =>
  buildApp(testConfig(databasePath, { delivery: { tickMs: 50 } }), { adminUiRoot: join(dir, 'no-ui') });

async function call(
  app: FastifyInstance,
  method: 'GET' | 'PUT' | 'POST',
  url: string,
  body?: Json,
  token = ADMIN_TOKEN,
): Promise<Json> {
  const response = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body }),
  });
  return response.json();
}

async function until(app: FastifyInstance, check: (plan: Json) => boolean, what: string): Promise<Json> {
  const deadline = Date.now() + 8_000;
  for (;;) {
    const plan = await call(app, 'GET', PLAN_PATH);
    if (check(plan)) return plan;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(plan)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('applies a step that fell due while the server was down once after the restart', async () => {
  const weights = (on: number) => [
    { variant: 'on', weight: on * 1000 },
    { variant: 'off', weight: (100 - on) * 1000 },
  ];
  let app = await start();
  await call(app, 'PUT', flagPath('resilient'), booleanFlag('resilient'));
  await call(app, 'PUT', PLAN_PATH, {
    steps: [
      { weights: weights(10), holdSeconds: 1 },
      { weights: weights(50), holdSeconds: 1 },
      { weights: weights(100) },
    ],
  });
  const first = await until(app, (plan) => plan.currentStep === 0, 'the first step');
  await app.close();

  // Down long enough for step 2 to fall due, and for step 3 too had the server been running.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const restartedAt = Date.now();
  app = await start();
  try {
    const second = await until(app, (plan) => plan.currentStep >= 1, 'the step that fell due');
    expect(second.currentStep).toBe(1);
    expect(Date.parse(second.stepStartedAt)).toBeGreaterThanOrEqual(restartedAt);
    expect(Date.parse(second.nextAt) - Date.parse(second.stepStartedAt)).toBe(1000);
    expect(Date.parse(first.nextAt)).toBeLessThan(restartedAt);

    const done = await until(app, (plan) => plan.status === 'completed', 'completion');
    const advances = done.history.filter((event: Json) => event.event === 'advanced');
    expect(advances.map((event: Json) => event.step)).toEqual([0, 1, 2]);
    expect(Date.parse(advances[2].at) - Date.parse(advances[1].at)).toBeGreaterThanOrEqual(1000);

    const audit = await call(app, 'GET', '/api/v1/audit?flag=resilient&action=plan.advance');
    expect(audit.entries).toHaveLength(3);
  } finally {
    await app.close();
  }
});

it('still lists the SDK instances that reported just before the server closed', async () => {
  let app = await start();
  const insightPath = `${flagPath('reported')}/environments/production/insight`;
  try {
    await call(app, 'PUT', flagPath('reported'), booleanFlag('reported'));
    const { token } = await call(app, 'POST', '/api/v1/tokens', {
      name: 'reporting-sdk',
      kind: 'server',
      environment: 'production',
    });
    const report = (rulesetVersion: number) =>
      call(
        app,
        'POST',
        '/sdk/v1/events',
        {
          sdk: { instanceId: 'before-restart', name: 'test-sdk', version: '1.0.0', rulesetVersion },
        },
        token,
      );
    await report(1);
    await report(2);
  } finally {
    await app.close();
  }

  app = await start();
  try {
    const { instances } = (await call(app, 'GET', insightPath)).sdks;
    expect(instances).toEqual([
      expect.objectContaining({ instanceId: 'before-restart', sdk: 'test-sdk', rulesetVersion: 2 }),
    ]);
  } finally {
    await app.close();
  }
});
