/**
 * Read-only views of an environment for operators: its SDK ruleset, evaluation on the server, and how
 * many SDK streams have received a change (what `switchboard kill` reports).
 */
import type { EnvironmentRuleset, FlagDocument } from '@switchboard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers';
import { booleanFlag, flagPath, startServer } from './helpers';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
  await server.request('PUT', '/api/v1/segments/beta-testers', {
    body: { key: 'beta-testers', included: ['bob'] },
  });
  const flag = booleanFlag('checkout-v2');
  flag.environments.production = {
    enabled: true,
    offVariant: 'off',
    targets: [{ values: ['carol'], variant: 'on' }],
    rules: [{ id: 'beta', clauses: [{ segment: 'beta-testers' }], serve: { variant: 'on' } }],
    fallthrough: {
      rollout: {
        weights: [
          { variant: 'on', weight: 80_000 },
          { variant: 'off', weight: 20_000 },
        ],
      },
    },
  };
  expect((await server.request('PUT', flagPath('checkout-v2'), { body: flag })).status).toBe(201);
});

afterAll(async () => {
  await server.close();
});

const evaluate = (key: string, environment: string, context: unknown, token?: string) =>
  server.request('POST', `${flagPath(key)}/environments/${environment}/evaluate`, {
    body: { context },
    token,
  });

describe('POST /api/v1/flags/:key/environments/:env/evaluate', () => {
  it('answers value, variant and reason as an SDK would compute them', async () => {
    expect((await evaluate('checkout-v2', 'production', { userId: 'carol' })).body).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGET_MATCH',
    });
    expect((await evaluate('checkout-v2', 'production', { userId: 'bob' })).body).toMatchObject({
      variant: 'on',
      reason: 'RULE_MATCH',
      ruleId: 'beta',
    });
    // Contract bucketing examples for flag checkout-v2: alice → 73564 (< 80000), user-1 → 99361.
    expect((await evaluate('checkout-v2', 'production', { userId: 'alice' })).body).toMatchObject({
      variant: 'on',
      reason: 'SPLIT',
    });
    expect((await evaluate('checkout-v2', 'production', { userId: 'user-1' })).body).toMatchObject({
      variant: 'off',
      reason: 'SPLIT',
    });
    expect((await evaluate('checkout-v2', 'development', { userId: 'alice' })).status).toBe(404);
  });

  it('reports a kill with its reason, to a viewer too', async () => {
    await server.request('POST', `${flagPath('checkout-v2')}/environments/staging/kill`, {
      body: { reason: 'INC-9' },
    });
    const reply = await evaluate('checkout-v2', 'staging', { userId: 'carol' }, await server.token('viewer'));
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ value: false, variant: 'off', reason: 'KILLED', killReason: 'INC-9' });
  });

  it('answers 404 for unknown flags and environments, 400 for a context that is not an object', async () => {
    expect((await evaluate('nope', 'production', {})).status).toBe(404);
    expect((await evaluate('checkout-v2', 'mars', {})).status).toBe(404);
    expect((await evaluate('checkout-v2', 'production', ['alice'])).status).toBe(400);
    expect(
      (
        await server.request('POST', `${flagPath('checkout-v2')}/environments/production/evaluate`, {
          body: {},
        })
      ).status,
    ).toBe(400);
  });

  it('is not for SDK keys', async () => {
    expect(
      (await evaluate('checkout-v2', 'production', {}, await server.token('server', 'production'))).status,
    ).toBe(403);
  });
});

describe('GET /api/v1/environments/:env/ruleset', () => {
  it('is the ruleset a server SDK of the environment polls', async () => {
    const ruleset = (
      await server.request<EnvironmentRuleset>('GET', '/api/v1/environments/production/ruleset')
    ).body;
    const polled = await server.request<EnvironmentRuleset>('GET', '/sdk/v1/flags', {
      token: await server.token('server', 'production'),
    });
    expect(polled.status).toBe(200);
    expect(ruleset).toEqual(polled.body);
    expect(ruleset.flags['checkout-v2']?.rules?.[0]?.id).toBe('beta');
    expect(ruleset.segments['beta-testers']?.included).toEqual(['bob']);
    expect((await server.request('GET', '/api/v1/environments/mars/ruleset')).status).toBe(404);
  });
});

describe('GET /api/v1/environments/:env/sdk-status', () => {
  async function openStream(): Promise<{ received: () => string; close: () => void }> {
    const abort = new AbortController();
    const response = await fetch(`${server.url}/sdk/v1/stream`, {
      headers: { authorization: `Bearer ${await server.token('server', 'production')}` },
      signal: abort.signal,
    });
    const reader = response.body!.getReader();
    let text = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += new TextDecoder().decode(value);
        }
      } catch {
        // aborted
      }
    })();
    return { received: () => text, close: () => abort.abort() };
  }

  const status = async (query = '') =>
    (await server.request('GET', `/api/v1/environments/production/sdk-status${query}`)).body as {
      seq: number;
      connected: number;
      acknowledged: number;
    };

  async function until(condition: () => Promise<boolean>): Promise<void> {
    for (let attempt = 0; attempt < 200 && !(await condition()); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('counts the connected streams and those that were sent a change', async () => {
    expect(await status()).toMatchObject({ connected: 0, acknowledged: 0 });
    const stream = await openStream();
    try {
      await until(async () => (await status()).acknowledged === 1);
      expect(await status()).toMatchObject({ connected: 1, acknowledged: 1 });

      const killed = await server.request<FlagDocument>(
        'POST',
        `${flagPath('checkout-v2')}/environments/production/kill`,
        {
          body: { reason: 'INC-10' },
        },
      );
      expect(killed.status).toBe(200);
      await until(async () => stream.received().includes('INC-10'));
      const after = await status();
      expect(after).toMatchObject({ connected: 1, acknowledged: 1 });
      // A change sequence not reached yet has no acknowledgements.
      expect(await status(`?seq=${after.seq + 1}`)).toMatchObject({
        seq: after.seq + 1,
        connected: 1,
        acknowledged: 0,
      });
    } finally {
      stream.close();
    }
    await until(async () => (await status()).connected === 0);
    expect(await status()).toMatchObject({ connected: 0, acknowledged: 0 });
    expect((await server.request('GET', '/api/v1/environments/mars/sdk-status')).status).toBe(404);
    expect((await server.request('GET', '/api/v1/environments/production/sdk-status?seq=x')).status).toBe(
      400,
    );
  });
});
