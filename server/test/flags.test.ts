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

describe('flag documents', () => {
  it('creates with 201 at version 1, reads it back with an ETag, replaces with 200 at version 2', async () => {
    const created = await server.request('PUT', flagPath('crud'), { body: booleanFlag('crud') });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'crud', version: 1 });
    expect(created.headers.get('etag')).toBe('"1"');

    const read = await server.request('GET', flagPath('crud'));
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect(read.headers.get('etag')).toBe('"1"');

    const replaced = await server.request('PUT', flagPath('crud'), {
      body: { ...booleanFlag('crud', { description: 'changed' }), version: 1 },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ description: 'changed', version: 2 });
    expect((await server.request('GET', flagPath('crud'))).body.description).toBe('changed');
  });

  it('stores killed as null in every environment, so the stored form is canonical', async () => {
    const created = await server.request('PUT', flagPath('canonical'), { body: booleanFlag('canonical') });
    expect(created.body.environments.production.killed).toBeNull();
    expect(created.body.environments.staging.killed).toBeNull();
  });

  it('round-trips a Unicode key with dots and dashes through the URL', async () => {
    const key = 'Feature.UTF-8.Hellø_Wørld';
    const created = await server.request('PUT', flagPath(key), { body: booleanFlag(key) });
    expect(created.status).toBe(201);
    const read = await server.request('GET', flagPath(key));
    expect(read.status).toBe(200);
    expect(read.body.key).toBe(key);
    const listed = await server.request('GET', `/api/v1/flags?search=${encodeURIComponent('hellø')}`);
    expect(listed.body.flags.map((flag: { key: string }) => flag.key)).toEqual([key]);
  });

  it('accepts a 200-character key with characters that need percent-encoding', async () => {
    const key = `${'ü'.repeat(190)}%?#&+=0123`.slice(0, 200);
    expect([...key].length).toBeLessThanOrEqual(200);
    expect((await server.request('PUT', flagPath(key), { body: booleanFlag(key) })).status).toBe(201);
    expect((await server.request('GET', flagPath(key))).body.key).toBe(key);
  });

  it('answers 409 with the current version to a stale version, and changes nothing', async () => {
    await server.request('PUT', flagPath('stale'), { body: booleanFlag('stale') });
    await server.request('PUT', flagPath('stale'), {
      body: { ...booleanFlag('stale', { description: 'v2' }), version: 1 },
    });

    const stale = await server.request('PUT', flagPath('stale'), {
      body: { ...booleanFlag('stale', { description: 'lost update' }), version: 1 },
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: 'conflict', currentVersion: 2, details: [] });
    expect((await server.request('GET', flagPath('stale'))).body).toMatchObject({
      description: 'v2',
      version: 2,
    });
  });

  it('answers 409 to a stale If-Match and accepts a current one', async () => {
    await server.request('PUT', flagPath('if-match'), { body: booleanFlag('if-match') });
    const stale = await server.request('PUT', flagPath('if-match'), {
      body: booleanFlag('if-match', { description: 'x' }),
      headers: { 'if-match': '"7"' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.currentVersion).toBe(1);

    const current = await server.request('PUT', flagPath('if-match'), {
      body: booleanFlag('if-match', { description: 'x' }),
      headers: { 'if-match': '"1"' },
    });
    expect(current.status).toBe(200);
    expect(current.body.version).toBe(2);
  });

  it('answers 409 to a create (no version, or version 0) of an existing flag', async () => {
    await server.request('PUT', flagPath('exists'), { body: booleanFlag('exists') });
    for (const body of [booleanFlag('exists'), { ...booleanFlag('exists'), version: 0 }]) {
      const reply = await server.request('PUT', flagPath('exists'), { body });
      expect(reply.status).toBe(409);
      expect(reply.body.currentVersion).toBe(1);
    }
  });

  it('answers 404 to a replace of a flag that does not exist', async () => {
    const reply = await server.request('PUT', flagPath('never-created'), {
      body: { ...booleanFlag('never-created'), version: 3 },
    });
    expect(reply.status).toBe(404);
    expect((await server.request('GET', flagPath('never-created'))).status).toBe(404);
  });

  it('keeps the version when a PUT changes nothing', async () => {
    const created = await server.request('PUT', flagPath('same'), { body: booleanFlag('same') });
    const again = await server.request('PUT', flagPath('same'), {
      body: { ...booleanFlag('same'), version: 1 },
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
  });

  it('keeps a kill when a PUT based on the killed version sends killed: null', async () => {
    await server.request('PUT', flagPath('kill-kept'), { body: booleanFlag('kill-kept') });
    const killed = await server.request('POST', `${flagPath('kill-kept')}/environments/production/kill`, {
      body: { reason: 'incident' },
    });
    const edited = await server.request('PUT', flagPath('kill-kept'), {
      body: {
        ...booleanFlag('kill-kept', { description: 'edited during incident' }),
        version: killed.body.version,
      },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.description).toBe('edited during incident');
    expect(edited.body.environments.production.killed).toEqual(killed.body.environments.production.killed);
  });

  it('deletes with 204, optionally only at an expected version', async () => {
    await server.request('PUT', flagPath('doomed'), { body: booleanFlag('doomed') });
    const stale = await server.request('DELETE', `${flagPath('doomed')}?version=5`);
    expect(stale.status).toBe(409);
    expect((await server.request('GET', flagPath('doomed'))).status).toBe(200);

    const deleted = await server.request('DELETE', `${flagPath('doomed')}?version=1&reason=cleanup`);
    expect(deleted.status).toBe(204);
    expect((await server.request('GET', flagPath('doomed'))).status).toBe(404);
    expect((await server.request('DELETE', flagPath('doomed'))).status).toBe(404);
  });

  it('refuses (422) to delete a prerequisite of another flag, or to drop a variant another flag requires', async () => {
    await server.request('PUT', flagPath('base'), { body: booleanFlag('base') });
    const dependent = await server.request('PUT', flagPath('dependent'), {
      body: booleanFlag('dependent', { prerequisites: [{ flag: 'base', variants: ['on'] }] }),
    });
    expect(dependent.status).toBe(201);

    const deletion = await server.request('DELETE', flagPath('base'));
    expect(deletion.status).toBe(422);
    expect(deletion.body.details).toEqual([
      { path: '/flags/dependent/prerequisites/0', problem: 'flag "dependent" requires it' },
    ]);

    const dropped = await server.request('PUT', flagPath('base'), {
      body: {
        ...booleanFlag('base', {
          variants: { yes: true, off: false },
          environments: {
            production: { enabled: true, offVariant: 'off', fallthrough: { variant: 'off' } },
          },
        }),
        version: 1,
      },
    });
    expect(dropped.status).toBe(422);
    expect(dropped.body.details).toContainEqual({
      path: '/variants',
      problem: 'flag "dependent" requires variant "on"',
    });
    expect((await server.request('GET', flagPath('base'))).body.version).toBe(1);
  });

  it('answers 422 naming the path for a missing segment, an unknown variant, bad weights and a cycle', async () => {
    const reply = await server.request('PUT', flagPath('broken'), {
      body: booleanFlag('broken', {
        prerequisites: [{ flag: 'broken-2', variants: ['on'] }],
        environments: {
          production: {
            enabled: true,
            offVariant: 'missing-variant',
            rules: [{ id: 'r1', clauses: [{ segment: 'no-such-segment' }], serve: { variant: 'on' } }],
            fallthrough: { rollout: { weights: [{ variant: 'on', weight: 1 }] } },
          },
        },
      }),
    });
    expect(reply.status).toBe(422);
    const paths = reply.body.details.map((detail: { path: string }) => detail.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/environments/production/offVariant',
        '/environments/production/rules/0/clauses/0/segment',
        '/environments/production/fallthrough/rollout/weights',
        '/prerequisites/0/flag',
      ]),
    );

    await server.request('PUT', flagPath('cycle-a'), { body: booleanFlag('cycle-a') });
    await server.request('PUT', flagPath('cycle-b'), {
      body: booleanFlag('cycle-b', { prerequisites: [{ flag: 'cycle-a', variants: ['on'] }] }),
    });
    const cycle = await server.request('PUT', flagPath('cycle-a'), {
      body: {
        ...booleanFlag('cycle-a', { prerequisites: [{ flag: 'cycle-b', variants: ['on'] }] }),
        version: 1,
      },
    });
    expect(cycle.status).toBe(422);
    expect(cycle.body.details[0].path).toBe('/prerequisites/0/flag');
    expect(cycle.body.details[0].problem).toMatch(/cycle/);
  });

  it('answers 422 for an environment that does not exist', async () => {
    const reply = await server.request('PUT', flagPath('moon'), {
      body: booleanFlag('moon', {
        environments: { moon: { enabled: true, offVariant: 'off', fallthrough: { variant: 'on' } } },
      }),
    });
    expect(reply.status).toBe(422);
    expect(reply.body.details).toEqual([
      { path: '/environments/moon', problem: 'unknown environment "moon"' },
    ]);
  });
});

describe('flag list', () => {
  let listServer: TestServer;
  beforeAll(async () => {
    listServer = await startServer();
    for (const [key, tags, description] of [
      ['pay-a', ['payments'], 'Checkout button'],
      ['pay-b', ['payments', 'beta'], 'Card vault'],
      ['search-c', ['search'], 'New ranking for CHECKOUT pages'],
      ['misc-d', [], 'Nothing'],
    ] as const) {
      await listServer.request('PUT', flagPath(key), {
        body: booleanFlag(key, { tags: [...tags], description }),
      });
    }
  });
  afterAll(async () => {
    await listServer.close();
  });

  const keysOf = (reply: { body: { flags: Array<{ key: string }> } }) =>
    reply.body.flags.map((flag) => flag.key);

  it('lists every flag by key', async () => {
    const reply = await listServer.request('GET', '/api/v1/flags');
    expect(reply.status).toBe(200);
    expect(keysOf(reply)).toEqual(['misc-d', 'pay-a', 'pay-b', 'search-c']);
    expect(reply.body.nextCursor).toBeNull();
  });

  it('filters by tag', async () => {
    expect(keysOf(await listServer.request('GET', '/api/v1/flags?tag=payments'))).toEqual(['pay-a', 'pay-b']);
    expect(keysOf(await listServer.request('GET', '/api/v1/flags?tag=beta'))).toEqual(['pay-b']);
    expect(keysOf(await listServer.request('GET', '/api/v1/flags?tag=nope'))).toEqual([]);
  });

  it('searches key and description, ignoring case', async () => {
    expect(keysOf(await listServer.request('GET', '/api/v1/flags?search=checkout'))).toEqual([
      'pay-a',
      'search-c',
    ]);
    expect(keysOf(await listServer.request('GET', '/api/v1/flags?search=PAY-'))).toEqual(['pay-a', 'pay-b']);
  });

  it('pages with a cursor until nextCursor is null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const reply = await listServer.request('GET', `/api/v1/flags?limit=3${query}`);
      expect(reply.body.flags.length).toBeLessThanOrEqual(3);
      seen.push(...keysOf(reply));
      cursor = reply.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(['misc-d', 'pay-a', 'pay-b', 'search-c']);
  });
});
