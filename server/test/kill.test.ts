import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeNotice } from '../src/fanout/fanout';
import type { TestServer } from './helpers';
import { booleanFlag, flagPath, startServer } from './helpers';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

const killPath = (key: string, environment = 'production') =>
  `${flagPath(key)}/environments/${environment}/kill`;
const unkillPath = (key: string, environment = 'production') =>
  `${flagPath(key)}/environments/${environment}/unkill`;

function recordNotices(): { notices: ChangeNotice[]; stop: () => void } {
  const notices: ChangeNotice[] = [];
  const stop = server.app.fanout.subscribe((notice) => notices.push(notice));
  return { notices, stop };
}

describe('kill switch', () => {
  it('kill then unkill restores exactly the previous document (apart from the version)', async () => {
    const document = booleanFlag('roundtrip', {
      environments: {
        production: {
          enabled: true,
          offVariant: 'off',
          targets: [{ values: ['alice'], variant: 'on' }],
          rules: [
            {
              id: 'de',
              clauses: [{ attribute: 'country', op: 'in', values: ['DE'] }],
              serve: { variant: 'on' },
            },
          ],
          fallthrough: {
            rollout: {
              weights: [
                { variant: 'on', weight: 30000 },
                { variant: 'off', weight: 70000 },
              ],
            },
          },
        },
      },
    });
    const before = (await server.request('PUT', flagPath('roundtrip'), { body: document })).body;

    const killed = await server.request('POST', killPath('roundtrip'), {
      body: { reason: 'checkout errors' },
    });
    expect(killed.status).toBe(200);
    expect(killed.body.environments.production.killed).toMatchObject({
      reason: 'checkout errors',
      by: 'admin (SWITCHBOARD_ADMIN_TOKEN)',
    });
    expect(Date.parse(killed.body.environments.production.killed.at)).not.toBeNaN();
    expect({
      ...killed.body,
      environments: { production: { ...killed.body.environments.production, killed: null } },
    }).toEqual({
      ...before,
      version: before.version + 1,
    });

    const unkilled = await server.request('POST', unkillPath('roundtrip'), { body: { reason: 'fixed' } });
    expect(unkilled.status).toBe(200);
    expect(unkilled.body).toEqual({ ...before, version: before.version + 2 });
    expect((await server.request('GET', flagPath('roundtrip'))).body).toEqual(unkilled.body);
  });

  it('needs no version and wins over a concurrent edit based on the pre-kill version', async () => {
    await server.request('PUT', flagPath('race'), { body: booleanFlag('race') });
    const killed = await server.request('POST', killPath('race'), { body: { reason: 'incident' } });
    expect(killed.status).toBe(200);
    const lateEdit = await server.request('PUT', flagPath('race'), {
      body: { ...booleanFlag('race', { description: 'edit based on v1' }), version: 1 },
    });
    expect(lateEdit.status).toBe(409);
    expect(
      (await server.request('GET', flagPath('race'))).body.environments.production.killed,
    ).not.toBeNull();
  });

  it('keeps the first kill when a killed flag is killed again', async () => {
    await server.request('PUT', flagPath('twice'), { body: booleanFlag('twice') });
    const first = await server.request('POST', killPath('twice'), { body: { reason: 'first' } });
    const second = await server.request('POST', killPath('twice'), { body: { reason: 'second' } });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  it('unkills with no body at all', async () => {
    await server.request('PUT', flagPath('no-body'), { body: booleanFlag('no-body') });
    await server.request('POST', killPath('no-body'), { body: { reason: 'r' } });
    const reply = await server.request('POST', unkillPath('no-body'));
    expect(reply.status).toBe(200);
    expect(reply.body.environments.production.killed).toBeNull();
  });

  it('requires a reason', async () => {
    await server.request('PUT', flagPath('reasonless'), { body: booleanFlag('reasonless') });
    for (const body of [{}, { reason: '' }]) {
      const reply = await server.request('POST', killPath('reasonless'), { body });
      expect(reply.status).toBe(400);
      expect(reply.body.details[0].path).toBe('/body/reason');
    }
  });

  it('publishes an urgent notice carrying the killed flag after the commit', async () => {
    await server.request('PUT', flagPath('urgent'), { body: booleanFlag('urgent') });
    const { notices, stop } = recordNotices();
    await server.request('POST', killPath('urgent'), { body: { reason: 'now' } });
    await server.request('POST', unkillPath('urgent'));
    stop();
    expect(notices).toHaveLength(2);
    const [kill, unkill] = notices;
    expect(kill).toMatchObject({ environment: 'production', urgent: true });
    expect(kill?.changes).toHaveLength(1);
    expect(kill?.changes?.[0]).toMatchObject({ kind: 'flag', key: 'urgent', seq: kill?.seq });
    expect(kill?.changes?.[0]?.value).toMatchObject({ killed: { reason: 'now' } });
    expect(unkill).toMatchObject({ environment: 'production', urgent: false, seq: (kill?.seq ?? 0) + 1 });
  });
});

describe('kill by tag', () => {
  it('kills every flag with the tag in one environment, in one transaction, and answers the keys', async () => {
    for (const [key, tags] of [
      ['card-form', ['payments']],
      ['wallet', ['payments', 'beta']],
      ['search-box', ['search']],
    ] as const) {
      await server.request('PUT', flagPath(key), { body: booleanFlag(key, { tags: [...tags] }) });
    }
    await server.request('POST', killPath('wallet'), { body: { reason: 'earlier' } });
    const { notices, stop } = recordNotices();

    const reply = await server.request('POST', '/api/v1/kill', {
      body: { tag: 'payments', environment: 'production', reason: 'payment provider down' },
    });
    stop();
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      tag: 'payments',
      environment: 'production',
      killed: ['card-form'],
      alreadyKilled: ['wallet'],
    });
    const cardForm = (await server.request('GET', flagPath('card-form'))).body;
    expect(cardForm.environments.production.killed.reason).toBe('payment provider down');
    expect(cardForm.environments.staging.killed).toBeNull();
    expect(
      (await server.request('GET', flagPath('search-box'))).body.environments.production.killed,
    ).toBeNull();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ environment: 'production', urgent: true });
  });

  it('answers 404 when no flag in the environment carries the tag, and 404 for an unknown environment', async () => {
    const noTag = await server.request('POST', '/api/v1/kill', {
      body: { tag: 'no-such-tag', environment: 'production', reason: 'typo' },
    });
    expect(noTag.status).toBe(404);
    const noEnv = await server.request('POST', '/api/v1/kill', {
      body: { tag: 'payments', environment: 'mars', reason: 'typo' },
    });
    expect(noEnv.status).toBe(404);
  });
});
