/**
 * How often the Node SDK reports itself to a real server: an idle client only every heartbeatIntervalMs,
 * while its stream keeps the server's insight view up to date; a change to a flag serving a rollout (a
 * ramp plan may have started) brings a report at the next tick.
 */
import { createClient } from '@switchboard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { booleanFlag, eventually, flagPath, SdkTestServer } from './sdk-harness';

const server = new SdkTestServer();
let serverKey: string;

interface Instance {
  instanceId: string;
  lastSeenAt: string;
  rulesetVersion: number | null;
  current: boolean;
}

const insight = async (flag: string) =>
  (await server.admin('GET', `${flagPath(flag)}/environments/production/insight`)).body.sdks as {
    currentVersion: number;
    instances: Instance[];
  };

/** The instance the insight view lists for `flag` that is not among `known` (waits for its first report). */
async function newInstance(flag: string, known: Set<string>): Promise<Instance> {
  let found: Instance | undefined;
  await eventually(async () => {
    found = (await insight(flag)).instances.find((instance) => !known.has(instance.instanceId));
    return found !== undefined;
  }, 'the first report');
  return found as Instance;
}

const instanceIds = async (flag: string) =>
  new Set((await insight(flag)).instances.map((instance) => instance.instanceId));

const lastSeen = async (flag: string, instanceId: string) =>
  (await insight(flag)).instances.find((instance) => instance.instanceId === instanceId)?.lastSeenAt;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A client ticking every 50 ms with the given heartbeat, its first report seen for `flag` (a boolean flag
 * created here): the client, and its instance as that report left it.
 */
async function reportingClient(flag: string, heartbeatIntervalMs: number) {
  await server.putFlag(booleanFlag(flag));
  const known = await instanceIds(flag);
  const client = createClient({
    url: server.url,
    sdkKey: serverKey,
    eventsFlushIntervalMs: 50,
    heartbeatIntervalMs,
    metrics: false,
  });
  try {
    await client.ready();
    return { client, first: await newInstance(flag, known) };
  } catch (error) {
    await client.close();
    throw error;
  }
}

beforeAll(async () => {
  await server.start();
  serverKey = (await server.serverKey()).token;
});

afterAll(async () => {
  await server.dispose();
});

describe('SDK instance reports', () => {
  it('an idle client reports once, then only at its heartbeat, while its stream keeps it current', async () => {
    const { client, first } = await reportingClient('idle-watched', 60_000);
    try {
      // Twenty ticks with nothing to send: no report.
      await sleep(1_000);
      expect(await lastSeen('idle-watched', first.instanceId)).toBe(first.lastSeenAt);

      // A change the client takes from its stream: the view shows it current without a report.
      await server.putFlag(booleanFlag('idle-watched', 'on'));
      await eventually(async () => {
        const view = await insight('idle-watched');
        const instance = view.instances.find((item) => item.instanceId === first.instanceId);
        return instance?.current === true && instance.rulesetVersion === view.currentVersion;
      }, 'the instance shown current');
      // The view shows what the server sent; the client applies it a moment later.
      const currentVersion = (await insight('idle-watched')).currentVersion;
      await eventually(async () => client.version === currentVersion, 'the client at the current version');
      expect(await lastSeen('idle-watched', first.instanceId)).toBe(first.lastSeenAt);
    } finally {
      await client.close();
    }
  });

  it('a change to a flag serving a rollout brings a report at the next tick', async () => {
    const { client, first } = await reportingClient('ramped', 60_000);
    try {
      await sleep(300);
      expect(await lastSeen('ramped', first.instanceId)).toBe(first.lastSeenAt);
      await server.putFlag({
        ...booleanFlag('ramped'),
        environments: {
          production: {
            enabled: true,
            offVariant: 'off',
            fallthrough: {
              rollout: {
                weights: [
                  { variant: 'on', weight: 10_000 },
                  { variant: 'off', weight: 90_000 },
                ],
              },
            },
          },
        },
      });
      await eventually(
        async () => (await lastSeen('ramped', first.instanceId)) !== first.lastSeenAt,
        'a report after the rollout change',
      );
    } finally {
      await client.close();
    }
  });

  it('reports at its heartbeat when idle', async () => {
    const { client, first } = await reportingClient('heartbeat', 400);
    try {
      await eventually(
        async () => (await lastSeen('heartbeat', first.instanceId)) !== first.lastSeenAt,
        'the heartbeat',
      );
    } finally {
      await client.close();
    }
  });
});
