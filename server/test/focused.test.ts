import type { FlagDocument } from '@switchboard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers';
import { booleanFlag, flagPath, startServer } from './helpers';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

let counter = 0;
/** A fresh multivariate flag with two rules in production. */
async function createFlag(overrides: Partial<FlagDocument> = {}): Promise<{ key: string; path: string }> {
  const key = `focused-${++counter}`;
  const body = booleanFlag(key, {
    variants: { on: true, off: false, beta: true },
    environments: {
      production: {
        enabled: false,
        offVariant: 'off',
        targets: [{ values: ['alice'], variant: 'on' }],
        rules: [
          {
            id: 'eu',
            clauses: [{ attribute: 'country', op: 'in', values: ['DE'] }],
            serve: { variant: 'on' },
          },
          {
            id: 'staff',
            clauses: [{ attribute: 'email', op: 'endsWith', values: ['@example.com'] }],
            serve: { variant: 'beta' },
          },
        ],
        fallthrough: { rollout: { salt: 'keep-me', weights: [{ variant: 'off', weight: 100000 }] } },
      },
    },
    ...overrides,
  });
  const reply = await server.request('PUT', flagPath(key), { body });
  expect(reply.status).toBe(201);
  return { key, path: `${flagPath(key)}/environments/production` };
}

describe('focused flag endpoints', () => {
  it('toggles an environment on and off, bumping the version each time', async () => {
    const { key, path } = await createFlag();
    const on = await server.request('PUT', `${path}/enabled`, { body: { enabled: true } });
    expect(on.status).toBe(200);
    expect(on.body.environments.production.enabled).toBe(true);
    expect(on.body.version).toBe(2);
    expect(on.headers.get('etag')).toBe('"2"');
    const off = await server.request('PUT', `${path}/enabled`, {
      body: { enabled: false, version: 2, reason: 'done' },
    });
    expect(off.body.environments.production.enabled).toBe(false);
    expect((await server.request('GET', flagPath(key))).body.version).toBe(3);
  });

  it('answers 409 to a focused edit with a stale version or If-Match, changing nothing', async () => {
    const { key, path } = await createFlag();
    const stale = await server.request('PUT', `${path}/enabled`, { body: { enabled: true, version: 9 } });
    expect(stale.status).toBe(409);
    expect(stale.body.currentVersion).toBe(1);
    const staleHeader = await server.request('PUT', `${path}/enabled`, {
      body: { enabled: true },
      headers: { 'if-match': '"4"' },
    });
    expect(staleHeader.status).toBe(409);
    expect((await server.request('GET', flagPath(key))).body.environments.production.enabled).toBe(false);
  });

  it('sets the fallthrough rollout, keeping its salt', async () => {
    const { path } = await createFlag();
    const weights = [
      { variant: 'on', weight: 25000 },
      { variant: 'off', weight: 75000 },
    ];
    const reply = await server.request('PUT', `${path}/rollout`, {
      body: { weights, bucketBy: 'accountId' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.environments.production.fallthrough).toEqual({
      rollout: { salt: 'keep-me', bucketBy: 'accountId', weights },
    });
  });

  it("sets a rule's rollout by ruleId and answers 422 for an unknown rule", async () => {
    const { path } = await createFlag();
    const weights = [
      { variant: 'beta', weight: 50000 },
      { variant: 'off', weight: 50000 },
    ];
    const reply = await server.request('PUT', `${path}/rollout`, { body: { weights, ruleId: 'staff' } });
    expect(reply.body.environments.production.rules[1].serve).toEqual({ rollout: { weights } });
    expect(reply.body.environments.production.rules[0].serve).toEqual({ variant: 'on' });

    const unknown = await server.request('PUT', `${path}/rollout`, { body: { weights, ruleId: 'nope' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.details).toEqual([{ path: '/body/ruleId', problem: 'no rule with this id' }]);
  });

  it('answers 422 to weights that do not sum to the bucket count', async () => {
    const { key, path } = await createFlag();
    const reply = await server.request('PUT', `${path}/rollout`, {
      body: { weights: [{ variant: 'on', weight: 10 }] },
    });
    expect(reply.status).toBe(422);
    expect(reply.body.details[0].path).toBe('/environments/production/fallthrough/rollout/weights');
    expect((await server.request('GET', flagPath(key))).body.version).toBe(1);
  });

  it('adds targets, moving a value from another variant, and removes them', async () => {
    const { path } = await createFlag();
    const added = await server.request('POST', `${path}/targets`, {
      body: { variant: 'beta', values: ['alice', 'bob'] },
    });
    expect(added.status).toBe(200);
    // alice moved from "on" (whose list became empty and disappeared) to "beta".
    expect(added.body.environments.production.targets).toEqual([
      { values: ['alice', 'bob'], variant: 'beta' },
    ]);

    const more = await server.request('POST', `${path}/targets`, {
      body: { variant: 'beta', values: ['bob', 'carol'] },
    });
    expect(more.body.environments.production.targets).toEqual([
      { values: ['alice', 'bob', 'carol'], variant: 'beta' },
    ]);

    const byAccount = await server.request('POST', `${path}/targets`, {
      body: { variant: 'on', values: ['acme'], attribute: 'accountId' },
    });
    expect(byAccount.body.environments.production.targets).toEqual([
      { values: ['alice', 'bob', 'carol'], variant: 'beta' },
      { attribute: 'accountId', values: ['acme'], variant: 'on' },
    ]);

    const removed = await server.request('DELETE', `${path}/targets`, {
      body: { variant: 'beta', values: ['alice', 'carol'] },
    });
    expect(removed.status).toBe(200);
    expect(removed.body.environments.production.targets).toEqual([
      { values: ['bob'], variant: 'beta' },
      { attribute: 'accountId', values: ['acme'], variant: 'on' },
    ]);

    const emptied = await server.request('DELETE', `${path}/targets`, {
      body: { variant: 'on', values: ['acme'], attribute: 'accountId' },
    });
    expect(emptied.body.environments.production.targets).toEqual([{ values: ['bob'], variant: 'beta' }]);
  });

  it('answers 422 to targeting a variant the flag does not have', async () => {
    const { path } = await createFlag();
    const reply = await server.request('POST', `${path}/targets`, {
      body: { variant: 'ghost', values: ['x'] },
    });
    expect(reply.status).toBe(422);
    expect(reply.body.details[0].problem).toMatch(/ghost/);
  });

  it('reorders rules, and answers 422 unless ruleIds is a permutation of the rules', async () => {
    const { path } = await createFlag();
    const reordered = await server.request('PUT', `${path}/rules/order`, {
      body: { ruleIds: ['staff', 'eu'] },
    });
    expect(reordered.status).toBe(200);
    expect(reordered.body.environments.production.rules.map((rule: { id: string }) => rule.id)).toEqual([
      'staff',
      'eu',
    ]);
    for (const ruleIds of [['staff'], ['staff', 'staff'], ['staff', 'eu', 'other']]) {
      const reply = await server.request('PUT', `${path}/rules/order`, { body: { ruleIds } });
      expect(reply.status).toBe(422);
      expect(reply.body.details[0].path).toBe('/body/ruleIds');
    }
  });

  it('answers 404 for an unknown flag, an unknown environment, or an environment the flag lacks', async () => {
    const { key } = await createFlag();
    const cases = [
      `${flagPath('no-such-flag')}/environments/production/enabled`,
      `${flagPath(key)}/environments/no-such-env/enabled`,
      `${flagPath(key)}/environments/development/enabled`,
    ];
    for (const path of cases) {
      const reply = await server.request('PUT', path, { body: { enabled: true } });
      expect(reply.status).toBe(404);
      expect(reply.body.error).toBe('not_found');
    }
  });

  it('keeps the document as it is when removing targets from, or reordering, lists it does not have', async () => {
    const { key, path } = await createFlag({
      environments: { production: { enabled: true, offVariant: 'off', fallthrough: { variant: 'on' } } },
    });
    const removed = await server.request('DELETE', `${path}/targets`, {
      body: { variant: 'on', values: ['x'] },
    });
    expect(removed.status).toBe(200);
    const reordered = await server.request('PUT', `${path}/rules/order`, { body: { ruleIds: [] } });
    expect(reordered.status).toBe(200);
    const flag = (await server.request('GET', flagPath(key))).body;
    expect(flag.version).toBe(1);
    expect(flag.environments.production).not.toHaveProperty('targets');
    expect(flag.environments.production).not.toHaveProperty('rules');
  });

  it('changes nothing and keeps the version when the edit is already in effect', async () => {
    const { key, path } = await createFlag();
    const reply = await server.request('PUT', `${path}/enabled`, { body: { enabled: false } });
    expect(reply.status).toBe(200);
    expect(reply.body.version).toBe(1);
    const audit = await server.request('GET', `/api/v1/audit?flag=${key}`);
    expect(audit.body.entries.map((entry: { action: string }) => entry.action)).toEqual(['flag.create']);
  });
});
