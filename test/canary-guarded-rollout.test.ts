/**
 * The canary story end to end: a real server (scheduler ticking every 100 ms), four application
 * instances each with the real Node SDK, and 2,000 simulated users arriving at 400 per second. The
 * flag `checkout-v2` ramps 2 % → 25 % → 50 % → 100 % on a plan whose guard watches the `error`
 * rate of treatment (`on`) against control (`off`).
 *
 * Run 1: the treatment raises the error rate from 0.5 % to 5 %. The guard trips at the first step
 * where both variants have its minimum sample, the server kills the flag by itself, every SDK
 * serves `off`, and the audit log shows the scheduler's advances and the kill with the numbers.
 * Run 2: the treatment is healthy; the same plan ramps to 100 % by itself.
 *
 * Each user's luck is drawn up front from a seeded generator (whether a request would fail under
 * each error rate), so the runs differ only in which step a user happens to arrive at.
 */
import type { SwitchboardClient } from '@switchboard/sdk-node';
import { createClient } from '@switchboard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, flagPath, SdkTestServer } from './sdk-harness';

const USERS = 2000;
const APP_INSTANCES = 4;
const ARRIVALS_PER_TICK = 40;
const ARRIVAL_TICK_MS = 100;
const CONTROL_ERROR_RATE = 0.005;
const BAD_ERROR_RATE = 0.05;
const FLAG = 'checkout-v2';
const PLAN_PATH = `${flagPath(FLAG)}/environments/production/plan`;

const weights = (percent: number) => [
  { variant: 'on', weight: percent * 1000 },
  { variant: 'off', weight: (100 - percent) * 1000 },
];

const GUARD = {
  name: 'error-rate',
  event: 'error',
  kind: 'rate',
  treatment: 'on',
  control: 'off',
  minSample: 50,
  absoluteThreshold: 0.01,
  relativeThreshold: 0.5,
};

const PLAN = {
  steps: [
    { weights: weights(2), holdSeconds: 2 },
    { weights: weights(25), holdSeconds: 3 },
    { weights: weights(50), holdSeconds: 1 },
    { weights: weights(100) },
  ],
  guards: [GUARD],
  alpha: 0.01,
};

/** mulberry32: a small seeded generator, so every run draws the same luck per user. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RunResult {
  /** Users served `on` at least once. */
  exposedToTreatment: number;
  errors: number;
}

/** Every user arrives once, at one of the app instances, and fails with the rate of what it was served. */
async function simulateUsers(clients: SwitchboardClient[], treatmentErrorRate: number): Promise<RunResult> {
  const luck = seeded(20240601);
  const draws = Array.from({ length: USERS }, () => luck());
  const exposed = new Set<string>();
  let errors = 0;
  for (let index = 0; index < USERS; index++) {
    if (index > 0 && index % ARRIVALS_PER_TICK === 0) await sleep(ARRIVAL_TICK_MS);
    const user = { userId: `user-${index}` };
    const client = clients[index % clients.length]!;
    const served = client.evaluate(FLAG, user);
    if (served.variant === 'on') exposed.add(user.userId);
    const errorRate = served.variant === 'on' ? treatmentErrorRate : CONTROL_ERROR_RATE;
    if (draws[index]! < errorRate) {
      errors++;
      client.track('error', user);
    }
  }
  return { exposedToTreatment: exposed.size, errors };
}

describe('a guarded canary through the Node SDK', () => {
  const server = new SdkTestServer({ delivery: { tickMs: 100 } });
  let clients: SwitchboardClient[] = [];

  const plan = async () => (await server.admin('GET', PLAN_PATH)).body;
  const audit = async () =>
    (
      (await server.admin('GET', `/api/v1/audit?flag=${FLAG}&limit=500`)).body.entries as Array<{
        id: number;
        actor: { name: string };
        action: string;
        reason: string | null;
      }>
    ).reverse();

  /** Evaluates every user on every instance; answers the distinct (variant, reason) pairs served. */
  const servedEverywhere = () =>
    new Set(
      clients.flatMap((client) =>
        Array.from({ length: USERS }, (_, index) => {
          const result = client.evaluate(FLAG, { userId: `user-${index}` });
          return `${result.variant}/${result.reason}`;
        }),
      ),
    );

  beforeAll(async () => {
    await server.start();
    await server.putFlag({
      key: FLAG,
      variants: { on: true, off: false },
      environments: { production: { enabled: true, offVariant: 'off', fallthrough: { variant: 'off' } } },
    });
    const { token } = await server.serverKey();
    clients = Array.from({ length: APP_INSTANCES }, () =>
      createClient({ url: server.url, sdkKey: token, eventsFlushIntervalMs: 100 }),
    );
    await Promise.all(clients.map((client) => client.ready()));
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server.dispose();
  });

  it('kills a harmful treatment by itself at the first step with enough sample', async () => {
    expect((await server.admin('PUT', PLAN_PATH, PLAN)).status).toBe(201);
    const result = await simulateUsers(clients, BAD_ERROR_RATE);
    await eventually(async () => (await plan()).status !== 'running', 'the plan to stop', 15_000);

    const stopped = await plan();
    expect(stopped.status).toBe('aborted');
    expect(stopped.endedReason).toMatch(/^guard "error-rate" tripped/);
    const trip = stopped.history.find((event: { event: string }) => event.event === 'tripped');
    const tripReading = trip.guards.find((reading: { name: string }) => reading.name === 'error-rate');
    expect(tripReading.treatment.users).toBeGreaterThanOrEqual(GUARD.minSample);
    expect(tripReading.control.users).toBeGreaterThanOrEqual(GUARD.minSample);
    // It never moved on from a step where it already had enough users without tripping first.
    const advances = stopped.history.filter((event: { event: string }) => event.event === 'advanced');
    for (const advance of advances.slice(1)) {
      expect(advance.guards[0].status).toBe('insufficient');
    }
    expect(trip.step).toBeLessThan(PLAN.steps.length - 1);

    // Every instance serves the off variant to every user, because of the kill.
    await eventually(() => servedEverywhere().size === 1, 'every SDK to serve the kill');
    expect([...servedEverywhere()]).toEqual(['off/KILLED']);

    const entries = await audit();
    const byScheduler = entries.filter((entry) => entry.actor.name === 'scheduler');
    expect(byScheduler.map((entry) => entry.action)).toEqual([
      ...advances.flatMap(() => ['flag.rollout', 'plan.advance']),
      'plan.abort',
      'flag.kill',
    ]);
    const killEntry = byScheduler[byScheduler.length - 1]!;
    expect(killEntry.reason).toMatch(
      /^guard "error-rate" tripped: error rate "on" \d+\.\d{2}% \(\d+ of \d+ users\) vs "off" \d+\.\d{2}% \(\d+ of \d+ users\); difference \+\d+\.\d{2} points, 99% always-valid interval \[.+\], p [=<] /,
    );
    expect((await server.admin('GET', '/api/v1/audit/verify')).body.ok).toBe(true);

    // The closing note of the issue asks for this number.
    console.info(
      `canary: ${result.exposedToTreatment} of ${USERS} simulated users were served the bad variant ` +
        `before the automatic kill at step ${trip.step + 1} (${tripReading.treatment.users} of them counted ` +
        `by the guard when it tripped); ${result.errors} requests failed in all`,
    );
    expect(result.exposedToTreatment).toBeGreaterThan(0);
    expect(result.exposedToTreatment).toBeLessThanOrEqual(USERS * 0.25);
  });

  it('ramps a healthy treatment to 100 % by itself', async () => {
    const unkill = await server.admin('POST', `${flagPath(FLAG)}/environments/production/unkill`, {
      reason: 'fixed the bug, canary again',
    });
    expect(unkill.status).toBe(200);
    const rerun = await server.admin('PUT', PLAN_PATH, PLAN);
    expect(rerun.status).toBe(201);
    const since = (await audit()).at(-1)!.id;

    await simulateUsers(clients, CONTROL_ERROR_RATE);
    await eventually(async () => (await plan()).status !== 'running', 'the plan to finish', 15_000);

    const finished = await plan();
    expect(finished.status).toBe('completed');
    expect(finished.history.map((event: { event: string }) => event.event)).toEqual([
      'created',
      'advanced',
      'advanced',
      'advanced',
      'advanced',
    ]);
    const flag = (await server.admin('GET', flagPath(FLAG))).body;
    expect(flag.environments.production.fallthrough).toEqual({ rollout: { weights: weights(100) } });
    expect(flag.environments.production.killed).toBeNull();

    await eventually(() => servedEverywhere().size === 1, 'every SDK to serve the last step');
    expect([...servedEverywhere()]).toEqual(['on/SPLIT']);

    const byScheduler = (await audit()).filter(
      (entry) => entry.id > since && entry.actor.name === 'scheduler',
    );
    expect(byScheduler.map((entry) => entry.action)).toEqual(
      PLAN.steps.flatMap(() => ['flag.rollout', 'plan.advance']),
    );
  });
});
