/**
 * `POST /sdk/v1/events` and `POST /client/v1/events`: which flags SDKs are told to watch, which
 * exposures and tracked events count for a guard (and how), and what the routes refuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json, TestServer } from './helpers';
import { booleanFlag, flagPath, startServer } from './helpers';

let server: TestServer;
let serverKey: string;
let clientKey: string;

const ORIGIN = 'https://app.example.com';
const planPath = (key: string) => `${flagPath(key)}/environments/production/plan`;
const sdk = { instanceId: 'app-1', name: 'test-sdk', version: '9.9.9', rulesetVersion: 3 };
const report = (body: Json, token = serverKey, path = '/sdk/v1/events') =>
  server.request('POST', path, { token, body: { sdk, ...body } });

const GUARDS = [
  { name: 'errors', event: 'error', kind: 'rate', treatment: 'on', control: 'off', minSample: 10 },
  { name: 'latency', event: 'latency', kind: 'mean', treatment: 'on', control: 'off', minSample: 10 },
];

async function startedPlan(key: string, body: Json): Promise<Json> {
  expect((await server.request('PUT', planPath(key), { body })).status).toBe(201);
  const deadline = Date.now() + 5_000;
  for (;;) {
    const plan = (await server.request('GET', planPath(key))).body;
    if (plan.currentStep >= 0) return plan;
    if (Date.now() > deadline) throw new Error('the first step was not applied');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  server = await startServer({ delivery: { tickMs: 50 }, corsOrigins: [ORIGIN] });
  serverKey = await server.token('server', 'production');
  clientKey = await server.token('client', 'production');
});

afterAll(async () => {
  await server.close();
});

describe('reports', () => {
  it('name the guarded flags once their plan has applied a step', async () => {
    await server.request('PUT', flagPath('watched'), { body: booleanFlag('watched') });
    await server.request('PUT', flagPath('later'), { body: booleanFlag('later') });
    expect((await report({})).body).toEqual({ accepted: { exposures: 0, events: 0 }, guarded: {} });

    await server.request('PUT', planPath('later'), {
      body: {
        startAt: new Date(Date.now() + 600_000).toISOString(),
        steps: [{ enabled: true }],
        guards: GUARDS,
      },
    });
    const plan = await startedPlan('watched', {
      steps: [
        {
          weights: [
            { variant: 'on', weight: 50000 },
            { variant: 'off', weight: 50000 },
          ],
          holdSeconds: 600,
        },
        { enabled: true },
      ],
      guards: GUARDS,
    });
    const answer = await report({});
    expect(answer.status).toBe(202);
    expect(answer.body.guarded).toEqual({ watched: plan.runId });
  });

  it('count users served by the rollout, and their events under the variant they were served', async () => {
    await server.request('PUT', flagPath('counted'), {
      body: booleanFlag('counted', {
        environments: {
          production: {
            enabled: true,
            offVariant: 'off',
            targets: [{ values: ['vip'], variant: 'on' }],
            fallthrough: { variant: 'off' },
          },
        },
      }),
    });
    await startedPlan('counted', {
      steps: [
        {
          weights: [
            { variant: 'on', weight: 50000 },
            { variant: 'off', weight: 50000 },
          ],
          holdSeconds: 600,
        },
        { enabled: true },
      ],
      guards: GUARDS,
    });
    const exposure = (user: string, variant: string, reason = 'SPLIT') => ({
      flag: 'counted',
      variant,
      user,
      reason,
    });
    const event = (name: string, user: string, variant: string, value?: number) => ({
      event: name,
      user,
      ...(value === undefined ? {} : { value }),
      variants: { counted: variant, unrelated: 'x' },
    });
    const answer = await report({
      exposures: [
        exposure('u1', 'on'),
        exposure('u2', 'off'),
        exposure('u3', 'on'),
        exposure('vip', 'on', 'TARGET_MATCH'),
      ],
      events: [
        event('error', 'u1', 'on'),
        event('error', 'u1', 'on'),
        event('error', 'u2', 'off'),
        event('error', 'vip', 'on'),
        event('signup', 'u3', 'on'),
        event('latency', 'u1', 'on', 100),
        event('latency', 'u1', 'on', 300),
        event('latency', 'u2', 'off', 50),
      ],
    });
    // vip was targeted, not assigned by the rollout; signup is no guard's event.
    expect(answer.body.accepted).toEqual({ exposures: 3, events: 7 });
    // Reporting the same exposure again counts the user once.
    await report({ exposures: [exposure('u1', 'on')] });

    const readings = (await server.request('GET', planPath('counted'))).body.readings as Json[];
    const [errors, latency] = readings;
    expect(errors.treatment).toEqual({ variant: 'on', users: 2, withEvent: 1, value: 0.5 });
    expect(errors.control).toEqual({ variant: 'off', users: 1, withEvent: 1, value: 1 });
    expect(errors.status).toBe('insufficient');
    // Each user's mean value counts once: u1 (100, 300) → 200.
    expect(latency.treatment).toEqual({ variant: 'on', users: 1, withEvent: null, value: 200 });
    expect(latency.control).toEqual({ variant: 'off', users: 1, withEvent: null, value: 50 });
  });

  it('for a rule plan, count only users that rule assigned', async () => {
    await server.request('PUT', flagPath('by-rule'), {
      body: booleanFlag('by-rule', {
        environments: {
          production: {
            enabled: true,
            offVariant: 'off',
            rules: [
              {
                id: 'eu',
                clauses: [{ attribute: 'country', op: 'in', values: ['DE'] }],
                serve: { variant: 'off' },
              },
            ],
            fallthrough: { variant: 'off' },
          },
        },
      }),
    });
    await startedPlan('by-rule', {
      ruleId: 'eu',
      steps: [
        {
          weights: [
            { variant: 'on', weight: 50000 },
            { variant: 'off', weight: 50000 },
          ],
          holdSeconds: 600,
        },
        { enabled: true },
      ],
      guards: GUARDS,
    });
    const answer = await report({
      exposures: [
        { flag: 'by-rule', variant: 'on', user: 'de-1', reason: 'RULE_MATCH', ruleId: 'eu' },
        { flag: 'by-rule', variant: 'on', user: 'other-rule', reason: 'RULE_MATCH', ruleId: 'us' },
        { flag: 'by-rule', variant: 'off', user: 'fallthrough', reason: 'SPLIT' },
      ],
    });
    expect(answer.body.accepted.exposures).toBe(1);
  });

  it('refuse what does not fit, and only SDK keys of the right kind', async () => {
    expect((await server.request('POST', '/sdk/v1/events', { token: serverKey, body: {} })).status).toBe(400);
    const tooMany = Array.from({ length: 5001 }, (_, index) => ({
      flag: 'watched',
      variant: 'on',
      user: `u${index}`,
      reason: 'SPLIT',
    }));
    const large = await report({ exposures: tooMany });
    expect(large.status).toBe(400);
    expect(large.body.details[0].path).toBe('/body/exposures');
    const badValue = await report({ events: [{ event: 'error', user: 'u', value: 'slow', variants: {} }] });
    expect(badValue.status).toBe(400);

    expect((await server.request('POST', '/sdk/v1/events', { token: null, body: { sdk } })).status).toBe(401);
    expect((await report({}, await server.token('admin'))).status).toBe(403);
    expect((await report({}, clientKey)).status).toBe(403);
    expect((await report({}, serverKey, '/client/v1/events')).status).toBe(403);
  });

  it('take browser reports on /client/v1/events, with the client API CORS policy', async () => {
    const preflight = await server.request('OPTIONS', '/client/v1/events', {
      token: null,
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const answer = await server.request('POST', '/client/v1/events', {
      token: clientKey,
      headers: { origin: ORIGIN },
      body: { sdk: { ...sdk, instanceId: 'browser-1' } },
    });
    expect(answer.status).toBe(202);
    expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(Object.keys(answer.body.guarded)).toContain('watched');
  });
});
