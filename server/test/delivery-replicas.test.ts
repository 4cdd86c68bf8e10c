/**
 * Several replicas, one store: every replica runs a scheduler, yet each step is applied, audited
 * and announced exactly once, and a tripped guard kills the flag once. On PostgreSQL, the store for
 * replicas (skipped with a warning when unreachable, unless CI=true). Besides their own 20 ms ticks,
 * the test makes both schedulers tick at the same moment over and over, so they read the same plan
 * version and race to advance it.
 *
 * Not on two servers sharing a SQLite file in one process: a writer waiting for SQLite's lock
 * blocks the event loop the lock holder needs to commit (separate processes do not have that).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app';
import type { Json } from './helpers';
import { ADMIN_TOKEN, booleanFlag, flagPath, testConfig } from './helpers';
import { createTestSchema, postgresAvailable } from './postgres-fixture';

const available = await postgresAvailable('the replica scheduler tests');

async function call(app: FastifyInstance, method: string, url: string, body?: Json, token = ADMIN_TOKEN) {
  const response = await app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body }),
  });
  return { status: response.statusCode, body: response.body === '' ? null : response.json() };
}

/** Two replicas on a fresh schema, then `work`, then both closed and the schema dropped. */
async function withReplicas(work: (replicas: FastifyInstance[]) => Promise<void>) {
  const schema = await createTestSchema();
  const replicas: FastifyInstance[] = [];
  try {
    for (let index = 0; index < 2; index++) {
      const config = {
        ...testConfig('unused', { delivery: { tickMs: 20 } }),
        database: { kind: 'postgres' as const, url: schema.url },
      };
      replicas.push(await buildApp(config, { adminUiRoot: join(tmpdir(), 'no-admin-ui') }));
    }
    await work(replicas);
  } finally {
    for (const replica of replicas) await replica.close();
    await schema.drop();
  }
}

/** Makes both schedulers tick together until `done` holds. */
async function raceUntil(replicas: FastifyInstance[], done: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 15_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Promise.all(replicas.map((replica) => replica.delivery.scheduler.tick()));
  }
}

const weights = (on: number) => [
  { variant: 'on', weight: on * 1000 },
  { variant: 'off', weight: (100 - on) * 1000 },
];

describe.skipIf(!available)('replicas on PostgreSQL', () => {
  it('apply each step of a plan exactly once', async () => {
    await withReplicas(async ([first, second]) => {
      await call(first!, 'PUT', flagPath('shared'), booleanFlag('shared'));
      const percents = [10, 50, 100];
      const steps = percents.map((on, index) => ({
        weights: weights(on),
        ...(index < percents.length - 1 ? { holdSeconds: 1 } : {}),
      }));
      const planPath = `${flagPath('shared')}/environments/production/plan`;
      expect((await call(second!, 'PUT', planPath, { steps })).status).toBe(201);

      await raceUntil(
        [first!, second!],
        async () => (await call(first!, 'GET', planPath)).body.status === 'completed',
        'the plan to complete',
      );

      const entries = (
        await call(second!, 'GET', '/api/v1/audit?flag=shared&limit=100')
      ).body.entries.reverse();
      const advances = entries.filter((entry: Json) => entry.action === 'plan.advance');
      expect(advances.map((entry: Json) => entry.after.currentStep)).toEqual([0, 1, 2]);
      expect(entries.filter((entry: Json) => entry.action === 'flag.rollout')).toHaveLength(percents.length);
      const flag = (await call(first!, 'GET', flagPath('shared'))).body;
      expect(flag.version).toBe(1 + percents.length);
      expect(flag.environments.production.fallthrough).toEqual({ rollout: { weights: weights(100) } });
      const plan = (await call(second!, 'GET', planPath)).body;
      const applied = plan.history.filter((event: Json) => event.event === 'advanced');
      expect(applied).toHaveLength(percents.length);
      // A replica acting on a plan version read before the other one advanced would apply the next
      // step at once; each step must hold its full second.
      for (let index = 1; index < applied.length; index++) {
        expect(Date.parse(applied[index].at) - Date.parse(applied[index - 1].at)).toBeGreaterThanOrEqual(
          1000,
        );
      }
      expect((await call(first!, 'GET', '/api/v1/audit/verify')).body.ok).toBe(true);
    });
  });

  it('kill the flag once when a guard trips', async () => {
    await withReplicas(async ([first, second]) => {
      await call(first!, 'PUT', flagPath('guarded'), booleanFlag('guarded'));
      const planPath = `${flagPath('guarded')}/environments/production/plan`;
      await call(first!, 'PUT', planPath, {
        steps: [{ weights: weights(50), holdSeconds: 600 }, { weights: weights(100) }],
        guards: [
          { name: 'errors', event: 'error', kind: 'rate', treatment: 'on', control: 'off', minSample: 100 },
        ],
      });
      await raceUntil(
        [first!, second!],
        async () => (await call(first!, 'GET', planPath)).body.currentStep === 0,
        'the first step',
      );

      // 150 users per variant; 30 % errors under treatment, 1 % under control.
      const key = (
        await call(second!, 'POST', '/api/v1/tokens', {
          name: 'app',
          kind: 'server',
          environment: 'production',
        })
      ).body.token as string;
      const users = Array.from({ length: 300 }, (_, index) => ({
        user: `user-${index}`,
        variant: index % 2 === 0 ? 'on' : 'off',
      }));
      const failing = users.filter(({ variant }, index) =>
        variant === 'on' ? index % 10 < 6 : index % 100 === 1,
      );
      const report = await call(
        second!,
        'POST',
        '/sdk/v1/events',
        {
          sdk: { instanceId: 'app-1', name: 'test', version: '1', rulesetVersion: null },
          exposures: users.map(({ user, variant }) => ({ flag: 'guarded', variant, user, reason: 'SPLIT' })),
          events: failing.map(({ user, variant }) => ({
            event: 'error',
            user,
            variants: { guarded: variant },
          })),
        },
        key,
      );
      expect(report.body.accepted).toEqual({ exposures: 300, events: failing.length });

      await raceUntil(
        [first!, second!],
        async () => (await call(first!, 'GET', planPath)).body.status === 'aborted',
        'the guard to trip',
      );
      // More racing ticks change nothing once the plan has ended.
      await Promise.all([first!.delivery.scheduler.tick(), second!.delivery.scheduler.tick()]);
      const entries = (await call(first!, 'GET', '/api/v1/audit?flag=guarded&limit=100')).body.entries;
      expect(entries.filter((entry: Json) => entry.action === 'flag.kill')).toHaveLength(1);
      expect(entries.filter((entry: Json) => entry.action === 'plan.abort')).toHaveLength(1);
      const killed = (await call(second!, 'GET', flagPath('guarded'))).body.environments.production.killed;
      expect(killed).toMatchObject({
        by: 'scheduler',
        reason: expect.stringMatching(/^guard "errors" tripped: /),
      });
    });
  });
});
