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

const segmentPath = (key: string) => `/api/v1/segments/${encodeURIComponent(key)}`;
const betaTesters = {
  key: 'beta-testers',
  description: 'People who asked for early access',
  included: ['alice'],
  rules: [{ id: 'staff', clauses: [{ attribute: 'email', op: 'endsWith', values: ['@example.com'] }] }],
};

describe('segments', () => {
  it('creates, reads, lists, replaces and deletes a segment', async () => {
    const created = await server.request('PUT', segmentPath('beta-testers'), { body: betaTesters });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ ...betaTesters, version: 1 });
    expect(created.headers.get('etag')).toBe('"1"');

    expect((await server.request('GET', segmentPath('beta-testers'))).body).toEqual(created.body);
    const listed = await server.request('GET', '/api/v1/segments?search=EARLY');
    expect(listed.body).toEqual({ segments: [created.body], nextCursor: null });

    const replaced = await server.request('PUT', segmentPath('beta-testers'), {
      body: { ...betaTesters, included: ['alice', 'bob'], version: 1 },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.version).toBe(2);

    const stale = await server.request('PUT', segmentPath('beta-testers'), {
      body: { ...betaTesters, included: [], version: 1 },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.currentVersion).toBe(2);

    expect((await server.request('DELETE', `${segmentPath('beta-testers')}?version=1`)).status).toBe(409);
    expect(
      (await server.request('DELETE', segmentPath('beta-testers'), { headers: { 'if-match': '"2"' } }))
        .status,
    ).toBe(204);
    expect((await server.request('GET', segmentPath('beta-testers'))).status).toBe(404);
  });

  it('answers 422 for a clause value its operator cannot use', async () => {
    const reply = await server.request('PUT', segmentPath('bad-semver'), {
      body: {
        key: 'bad-semver',
        rules: [{ clauses: [{ attribute: 'v', op: 'semverGt', values: ['not.a.version'] }] }],
      },
    });
    expect(reply.status).toBe(422);
    expect(reply.body.details[0].path).toBe('/rules/0/clauses/0/values/0');
  });

  it('refuses (422) to delete a segment a flag rule uses', async () => {
    await server.request('PUT', segmentPath('used'), { body: { key: 'used', included: ['x'] } });
    await server.request('PUT', flagPath('uses-segment'), {
      body: booleanFlag('uses-segment', {
        environments: {
          production: {
            enabled: true,
            offVariant: 'off',
            rules: [{ id: 'r', clauses: [{ segment: 'used' }], serve: { variant: 'on' } }],
            fallthrough: { variant: 'off' },
          },
        },
      }),
    });
    const reply = await server.request('DELETE', segmentPath('used'));
    expect(reply.status).toBe(422);
    expect(reply.body.details).toEqual([
      {
        path: '/flags/uses-segment/environments/production/rules/0/clauses/0',
        problem: 'flag "uses-segment" uses the segment',
      },
    ]);
    expect((await server.request('GET', segmentPath('used'))).status).toBe(200);
  });

  it('publishes a segment change to every environment', async () => {
    const notices: ChangeNotice[] = [];
    const stop = server.app.fanout.subscribe((notice) => notices.push(notice));
    await server.request('PUT', segmentPath('everywhere'), { body: { key: 'everywhere', included: ['a'] } });
    stop();
    expect(notices.map((notice) => notice.environment).sort()).toEqual([
      'development',
      'production',
      'staging',
    ]);
    for (const notice of notices) {
      expect(notice.changes).toEqual([
        {
          environment: notice.environment,
          seq: notice.seq,
          kind: 'segment',
          key: 'everywhere',
          value: { key: 'everywhere', included: ['a'], version: 1 },
        },
      ]);
    }
  });
});
