/** Flags and admin-API helpers shared by the client-API and OFREP route tests. */
import type { FlagDocument, SegmentDocument } from '@switchboard/core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { EventReader } from './client-sse';
import type { Json, TestServer } from './helpers';
import { flagPath, startServer } from './helpers';

/** The browser origin the suite's server allows (CORS). */
export const ALLOWED_ORIGIN = 'https://app.example.com';

/**
 * Registers the suite's hooks: a server allowing ALLOWED_ORIGIN, seeded with the fixture flags, and a
 * production client key, handed to `ready`. Answers the list of event readers closed after each test.
 */
export function useClientSuite(ready: (server: TestServer, clientKey: string) => void): EventReader[] {
  const readers: EventReader[] = [];
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startServer({ corsOrigins: [ALLOWED_ORIGIN] });
    await seedFlags(server);
    ready(server, await server.token('client', 'production'));
  });
  afterEach(() => {
    for (const reader of readers.splice(0)) reader.close();
  });
  afterAll(async () => {
    await server?.close();
  });
  return readers;
}

export type FlagInput = Omit<FlagDocument, 'version'>;

const production = (config: Partial<FlagDocument['environments'][string]>) => ({
  enabled: true,
  offVariant: 'off',
  fallthrough: { variant: 'off' },
  ...config,
});

/** On for alice (a target), for @example.com staff (a rule using a segment), off otherwise. */
export const checkout: FlagInput = {
  key: 'checkout',
  variants: { on: true, off: false },
  environments: {
    production: production({
      targets: [{ values: ['alice'], variant: 'on' }],
      rules: [{ id: 'staff-rule', clauses: [{ segment: 'staff' }], serve: { variant: 'on' } }],
    }),
    staging: production({ fallthrough: { variant: 'on' } }),
  },
};

/** A string flag: green for everyone. */
export const banner: FlagInput = {
  key: 'banner',
  variants: { green: 'green', red: 'red', off: 'none' },
  environments: { production: production({ fallthrough: { variant: 'green' } }) },
};

/** On only where `checkout` is on (a prerequisite). */
export const upsell: FlagInput = {
  key: 'upsell',
  variants: { on: true, off: false },
  prerequisites: [{ flag: 'checkout', variants: ['on'] }],
  environments: { production: production({ fallthrough: { variant: 'on' } }) },
};

/** A 50/50 rollout by userId: TARGETING_KEY_MISSING for a context without one. */
export const rollout: FlagInput = {
  key: 'rollout',
  variants: { on: true, off: false },
  environments: {
    production: production({
      fallthrough: {
        rollout: {
          weights: [
            { variant: 'on', weight: 50_000 },
            { variant: 'off', weight: 50_000 },
          ],
        },
      },
    }),
  },
};

export const staff: Omit<SegmentDocument, 'version'> = {
  key: 'staff',
  rules: [{ clauses: [{ attribute: 'email', op: 'endsWith', values: ['@example.com'] }] }],
};

async function expectOk(server: TestServer, method: string, path: string, body?: unknown): Promise<Json> {
  const reply = await server.request(method, path, body === undefined ? {} : { body });
  if (reply.status >= 300)
    throw new Error(`${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** Creates or replaces a flag (based on its current version). */
export async function putFlag(server: TestServer, flag: FlagInput): Promise<void> {
  const current = await server.request('GET', flagPath(flag.key));
  const version = current.status === 200 ? (current.body.version as number) : undefined;
  await expectOk(server, 'PUT', flagPath(flag.key), { ...flag, version });
}

export async function putSegment(
  server: TestServer,
  segment: Omit<SegmentDocument, 'version'>,
): Promise<void> {
  const path = `/api/v1/segments/${encodeURIComponent(segment.key)}`;
  const current = await server.request('GET', path);
  const version = current.status === 200 ? (current.body.version as number) : undefined;
  await expectOk(server, 'PUT', path, { ...segment, version });
}

export async function kill(server: TestServer, key: string, reason: string): Promise<void> {
  await expectOk(server, 'POST', `${flagPath(key)}/environments/production/kill`, { reason });
}

export async function deleteFlag(server: TestServer, key: string): Promise<void> {
  await expectOk(server, 'DELETE', flagPath(key));
}

/** The standard set: staff segment, checkout, banner, upsell, rollout. */
export async function seedFlags(server: TestServer): Promise<void> {
  await putSegment(server, staff);
  for (const flag of [checkout, banner, upsell, rollout]) await putFlag(server, flag);
}

/** The environment's change sequence. */
export async function environmentVersion(server: TestServer, environment = 'production'): Promise<number> {
  const reply = await server.request('GET', `/api/v1/environments/${environment}/ruleset`);
  return reply.body.version as number;
}
