/**
 * `track()` in the Node and browser SDKs against a real server: exposures of guarded flags and
 * tracked events arrive attributed to the variant each user was served, and nothing else is sent;
 * the Node SDK's queue is bounded; a new plan gets its exposures afresh; without events, nothing
 * is reported.
 */
import { createClient as createBrowserClient } from '@switchboard/sdk-browser';
import type { Logger } from '@switchboard/sdk-node';
import { createClient } from '@switchboard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, flagPath, SdkTestServer } from './sdk-harness';

const server = new SdkTestServer({ delivery: { tickMs: 50 } });
let serverKey: string;

const planPath = (flag: string) => `${flagPath(flag)}/environments/production/plan`;
const half = [
  { variant: 'on', weight: 50_000 },
  { variant: 'off', weight: 50_000 },
];
const guard = {
  name: 'errors',
  event: 'error',
  kind: 'rate',
  treatment: 'on',
  control: 'off',
  minSample: 1000,
};

/** Puts the flag under a guarded 50 % plan and waits until its first step is applied. */
async function guardedFlag(flag: string): Promise<void> {
  await server.putFlag({
    key: flag,
    variants: { on: true, off: false },
    environments: { production: { enabled: true, offVariant: 'off', fallthrough: { variant: 'off' } } },
  });
  expect(
    (
      await server.admin('PUT', planPath(flag), {
        steps: [{ weights: half, holdSeconds: 600 }, { weights: half }],
        guards: [guard],
      })
    ).status,
  ).toBe(201);
  await eventually(
    async () => (await server.admin('GET', planPath(flag))).body.currentStep === 0,
    'the first step',
  );
}

const readings = async (flag: string) => (await server.admin('GET', planPath(flag))).body.readings[0];

const instances = async (flag: string) =>
  (await server.admin('GET', `${flagPath(flag)}/environments/production/insight`)).body.sdks
    .instances as Array<{
    instanceId: string;
  }>;

/** Waits for a new client's first report, whose answer tells it which flags are guarded. */
async function firstReport(flag: string, instancesBefore: number): Promise<void> {
  await eventually(async () => (await instances(flag)).length > instancesBefore, 'the first report');
  // The client reads the answer right after the server recorded the report.
  await new Promise((resolve) => setTimeout(resolve, 100));
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    debug: () => {},
    info: () => {},
    warn: (message: string) => warnings.push(message),
    error: () => {},
  };
}

beforeAll(async () => {
  await server.start();
  serverKey = (await server.serverKey()).token;
});

afterAll(async () => {
  await server.dispose();
});

describe('the Node SDK', () => {
  it('reports who was served what of a guarded flag, and their events under that variant', async () => {
    await guardedFlag('tracked');
    await server.putFlag({
      key: 'unguarded',
      variants: { on: true, off: false },
      environments: { production: { enabled: true, offVariant: 'off', fallthrough: { variant: 'on' } } },
    });
    const logger = recordingLogger();
    const known = (await instances('tracked')).length;
    const client = createClient({ url: server.url, sdkKey: serverKey, eventsFlushIntervalMs: 50, logger });
    try {
      await client.ready();
      await firstReport('tracked', known);
      // Tracked before being served anything: nothing to attribute.
      client.track('error', { userId: 'early' });
      const served = { on: [] as string[], off: [] as string[] };
      for (let index = 0; index < 60; index++) {
        const user = { userId: `user-${index}` };
        client.isEnabled('unguarded', user);
        const variant = client.evaluate('tracked', user).variant as 'on' | 'off';
        client.evaluate('tracked', user); // served again: still one exposure
        served[variant].push(user.userId);
      }
      // What a JavaScript caller may pass instead of a context: a guarded flag still answers, never throws.
      expect(client.evaluate('tracked', null as never).reason).toBe('ERROR');
      expect(() => client.track('error', undefined as never)).not.toThrow();
      const failing = [...served.on.slice(0, 3), ...served.off.slice(0, 1)];
      for (const userId of failing) {
        client.track('error', { userId });
        client.track('error', { userId }); // a user counts once
      }
      client.track('', { userId: 'user-1' });
      client.track('error', { userId: 'user-1' }, Number.NaN);

      await eventually(async () => (await readings('tracked')).control.withEvent === 1, 'the events');
      const reading = await readings('tracked');
      expect(reading.treatment).toMatchObject({ users: served.on.length, withEvent: 3 });
      expect(reading.control).toMatchObject({ users: served.off.length, withEvent: 1 });
      expect(served.on.length).toBeGreaterThan(0);
      expect(served.off.length).toBeGreaterThan(0);
      expect(logger.warnings).toEqual([
        'switchboard: track() needs an event name of 1–200 characters',
        'switchboard: track("error") value must be a finite number',
      ]);
    } finally {
      await client.close();
    }
  });

  it('reports exposures afresh for a new plan on the same flag', async () => {
    await guardedFlag('rerun');
    const known = (await instances('rerun')).length;
    const client = createClient({ url: server.url, sdkKey: serverKey, eventsFlushIntervalMs: 50 });
    try {
      await client.ready();
      await firstReport('rerun', known);
      for (let index = 0; index < 20; index++) client.evaluate('rerun', { userId: `u${index}` });
      const total = async () => {
        const reading = await readings('rerun');
        return reading.treatment.users + reading.control.users;
      };
      await eventually(async () => (await total()) === 20, 'the first run’s exposures');

      await server.admin('POST', `${planPath('rerun')}/abort`, {});
      expect(
        (
          await server.admin('PUT', planPath('rerun'), {
            steps: [{ weights: half, holdSeconds: 600 }, { weights: half }],
            guards: [guard],
          })
        ).status,
      ).toBe(201);
      await eventually(
        async () => (await server.admin('GET', planPath('rerun'))).body.currentStep === 0,
        'the new run',
      );
      expect(await total()).toBe(0);
      // Reading the guarded list takes one report; then the same users count again.
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (let index = 0; index < 20; index++) client.evaluate('rerun', { userId: `u${index}` });
      await eventually(async () => (await total()) === 20, 'the new run’s exposures');
    } finally {
      await client.close();
    }
  });

  it('keeps at most maxQueuedEvents between reports and says how many it dropped', async () => {
    await guardedFlag('bounded');
    const logger = recordingLogger();
    const known = (await instances('bounded')).length;
    const client = createClient({
      url: server.url,
      sdkKey: serverKey,
      eventsFlushIntervalMs: 60_000,
      maxQueuedEvents: 5,
      logger,
    });
    await client.ready();
    await firstReport('bounded', known);
    for (let index = 0; index < 20; index++) client.evaluate('bounded', { userId: `b${index}` });
    await client.close();
    const reading = await readings('bounded');
    expect(reading.treatment.users + reading.control.users).toBe(5);
    expect(logger.warnings).toEqual(['switchboard: 15 exposures or tracked events dropped (queue full)']);
  });

  it('reports nothing with events turned off', async () => {
    const before = (await instances('tracked')).length;
    const client = createClient({
      url: server.url,
      sdkKey: serverKey,
      events: false,
      eventsFlushIntervalMs: 50,
    });
    await client.ready();
    client.evaluate('tracked', { userId: 'quiet' });
    client.track('error', { userId: 'quiet' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.close();
    expect(await instances('tracked')).toHaveLength(before);
  });
});

describe('the browser SDK', () => {
  it('with events on, reports its user’s exposure and tracked events', async () => {
    await guardedFlag('in-browser');
    const clientKey = (
      await server.admin('POST', '/api/v1/tokens', {
        name: 'page',
        kind: 'client',
        environment: 'production',
      })
    ).body.token as string;
    const page = createBrowserClient({
      url: server.url,
      clientKey,
      context: { userId: 'visitor-1' },
      storage: null,
      stream: false,
      events: true,
    });
    const quiet = createBrowserClient({
      url: server.url,
      clientKey,
      context: { userId: 'visitor-2' },
      storage: null,
      stream: false,
    });
    try {
      await Promise.all([page.ready(), quiet.ready()]);
      const variant = page.evaluate('in-browser').variant as 'on' | 'off';
      const side = variant === 'on' ? 'treatment' : 'control';
      await eventually(async () => (await readings('in-browser'))[side].users === 1, 'the exposure');
      page.track('error');
      quiet.track('error');
      await eventually(async () => (await readings('in-browser'))[side].withEvent === 1, 'the event');
      const reading = await readings('in-browser');
      expect(reading.treatment.users + reading.control.users).toBe(1);
    } finally {
      page.close();
      quiet.close();
    }
  });
});
