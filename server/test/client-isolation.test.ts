/** A client key reads its own environment's evaluated values and nothing else. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventReader } from './client-sse';
import { banner, putFlag, seedFlags } from './client-fixture';
import type { TestServer } from './helpers';
import { startServer } from './helpers';

let server: TestServer;
let productionKey: string;
let stagingKey: string;

beforeAll(async () => {
  server = await startServer();
  await seedFlags(server);
  productionKey = await server.token('client', 'production');
  stagingKey = await server.token('client', 'staging');
});

afterAll(async () => {
  await server.close();
});

describe('a client key', () => {
  it('is refused (403) by every admin-API and server-SDK route', async () => {
    const document = server.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const tokenId = (await server.request('GET', '/api/v1/tokens')).body.tokens[0].id as string;
    const routes = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/api/') || path.startsWith('/sdk/'))
      .flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => [method.toUpperCase(), path] as const),
      );
    expect(routes.length).toBeGreaterThan(20);
    for (const [method, template] of routes) {
      // "Who am I": answers the presented key's own id, name, kind and environment, nothing more.
      if (method === 'GET' && template === '/api/v1/me') continue;
      const path = template
        .replace('{key}', 'checkout')
        .replace('{env}', 'production')
        .replace('{id}', tokenId)
        .replace(/\{[^}]+\}/g, 'x');
      const reply = await server.request(method, path, {
        token: productionKey,
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }),
      });
      expect(reply.status, `${method} ${path}`).toBe(403);
    }
  });

  it('may ask who it is, and learns nothing else there', async () => {
    const me = await server.request('GET', '/api/v1/me', { token: productionKey });
    expect(Object.keys(me.body).sort()).toEqual(['environment', 'id', 'kind', 'name']);
    expect(me.body).toMatchObject({ kind: 'client', environment: 'production' });
  });

  it('evaluates in its own environment, whatever the request asks for', async () => {
    const sneaky = await server.request('POST', '/client/v1/evaluate', {
      token: stagingKey,
      body: { context: {}, environment: 'production' },
    });
    expect(sneaky.status).toBe(400);
    const staging = await server.request('POST', '/client/v1/evaluate', {
      token: stagingKey,
      body: { context: {} },
    });
    expect(Object.keys(staging.body.flags)).toEqual(['checkout']);
    const ofrep = await server.request('POST', '/ofrep/v1/evaluate/flags?environment=production', {
      token: stagingKey,
      body: { context: {}, environment: 'production' },
    });
    expect(ofrep.body.flags.map((flag: { key: string }) => flag.key)).toEqual(['checkout']);
    const single = await server.request('POST', '/ofrep/v1/evaluate/flags/banner', {
      token: stagingKey,
      body: { context: {} },
    });
    expect(single.status).toBe(404);
  });

  it('hears nothing of another environment’s changes', async () => {
    const staging = await EventReader.open(`${server.url}/client/v1/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stagingKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { userId: 'alice' } }),
    });
    const bulk = await server.request('POST', '/ofrep/v1/evaluate/flags', { token: stagingKey, body: {} });
    const notifications = await EventReader.open(server.url + bulk.body.eventStreams[0].endpoint.requestUri);
    try {
      await staging.next();
      await putFlag(server, { ...banner, variants: { ...banner.variants, green: 'lime' } });
      await expect(staging.next(300)).rejects.toThrow('no event');
      await expect(notifications.next(300)).rejects.toThrow('no event');
    } finally {
      staging.close();
      notifications.close();
      await putFlag(server, banner);
    }
  });

  it('never receives rules, segments, targets or rule ids, on any route', async () => {
    const context = { userId: 'zoe', email: 'zoe@example.com', targetingKey: 'zoe' };
    const answers = [
      await server.request('POST', '/client/v1/evaluate', { token: productionKey, body: { context } }),
      await server.request('POST', '/ofrep/v1/evaluate/flags', { token: productionKey, body: { context } }),
      await server.request('POST', '/ofrep/v1/evaluate/flags/checkout', {
        token: productionKey,
        body: { context },
      }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      const text = JSON.stringify(answer.body);
      for (const secret of ['clauses', 'segment', 'staff', 'alice', 'targets', 'weights', 'rules'])
        expect(text).not.toContain(secret);
    }
  });
});
