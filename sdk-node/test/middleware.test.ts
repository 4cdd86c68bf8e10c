/**
 * The Fastify plugin and Express middleware against a real Switchboard server: real HTTP servers on
 * 127.0.0.1, a real SDK client streaming from a temp-SQLite Switchboard.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../src';
import type { Context, SwitchboardClient } from '../src';
import { switchboardFlags as expressFlags } from '../src/middleware/express';
import { browserBootstrap, switchboardFlags as fastifyFlags } from '../src/middleware/fastify';
import { createRequestFlags } from '../src/middleware/request-flags';
import type { TestServer } from '../../server/test/helpers';
import { booleanFlag, flagPath, startServer } from '../../server/test/helpers';

let switchboard: TestServer;
let client: SwitchboardClient;
let clientKey: string;

beforeAll(async () => {
  switchboard = await startServer();
  const checkout = booleanFlag('checkout-v2');
  checkout.environments.production!.targets = [{ attribute: 'userId', values: ['alice'], variant: 'on' }];
  const banner = {
    ...booleanFlag('banner'),
    variants: { calm: 'Welcome', loud: 'SALE!' },
  };
  banner.environments = {
    production: {
      enabled: true,
      offVariant: 'calm',
      targets: [],
      rules: [
        {
          id: 'germany',
          clauses: [{ attribute: 'country', op: 'in', values: ['DE'] }],
          serve: { variant: 'loud' },
        },
      ],
      fallthrough: { variant: 'calm' },
    },
  };
  for (const flag of [checkout, banner]) {
    const reply = await switchboard.request('PUT', flagPath(flag.key), { body: flag });
    expect(reply.status).toBeLessThan(300);
  }
  client = createClient({
    url: switchboard.url,
    sdkKey: await switchboard.token('server', 'production'),
    metrics: false,
  });
  await client.ready();
  clientKey = await switchboard.token('client', 'production');
});

afterAll(async () => {
  await client?.close();
  await switchboard?.close();
});

/** The identity a (stand-in) authentication step establishes from the `x-user` header. */
function authenticatedUser(headers: Record<string, string | string[] | undefined>): string | undefined {
  const user = headers['x-user'];
  return typeof user === 'string' ? user : undefined;
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, { headers });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

function nextChange(): Promise<string[]> {
  return new Promise((resolve) => {
    const listener = (keys: string[]) => {
      client.off('change', listener);
      resolve(keys);
    };
    client.on('change', listener);
  });
}

describe('Fastify plugin', () => {
  let app: FastifyInstance;
  let base: string;
  const contextCalls: string[] = [];
  const contextErrors: unknown[] = [];
  const userIds = new WeakMap<FastifyRequest, string>();
  let releaseSlowRequest: () => void = () => {};
  let slowRequestReadFlag: () => void = () => {};

  beforeAll(async () => {
    app = Fastify();
    await app.register(fastifyFlags, {
      client,
      context: (request) => {
        contextCalls.push(request.url);
        if (request.headers['x-broken'] !== undefined) throw new Error('no session store');
        const userId = userIds.get(request);
        if (userId === undefined) throw new Error('flags read before authentication');
        return { userId, country: request.headers['x-country'] };
      },
      onContextError: (error) => contextErrors.push(error),
    });
    // Authentication runs after the plugin's onRequest hook: the context must still see its result.
    app.addHook('preHandler', async (request) => {
      const user = authenticatedUser(request.headers);
      if (user !== undefined) userIds.set(request, user);
    });
    app.get('/checkout', async (request) => ({
      v2: request.flags.isEnabled('checkout-v2'),
      banner: request.flags.stringVariation('banner', 'none'),
      again: request.flags.isEnabled('checkout-v2'),
    }));
    app.get('/health', async () => ({ ok: true }));
    app.get('/slow', async (request) => {
      const before = request.flags.isEnabled('checkout-v2');
      await new Promise<void>((resolve) => {
        releaseSlowRequest = resolve;
        slowRequestReadFlag();
      });
      return { before, after: request.flags.isEnabled('checkout-v2') };
    });
    app.get('/bootstrap', async (request) => request.flags.browserBootstrap());
    app.post('/pay', async (request) => {
      request.flags.track('error', 2);
      return { ok: false };
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app.close();
  });

  it('evaluates flags for the authenticated user of each request', async () => {
    expect(await getJson(`${base}/checkout`, { 'x-user': 'alice', 'x-country': 'DE' })).toEqual({
      v2: true,
      banner: 'SALE!',
      again: true,
    });
    expect(await getJson(`${base}/checkout`, { 'x-user': 'bob', 'x-country': 'FR' })).toEqual({
      v2: false,
      banner: 'Welcome',
      again: false,
    });
  });

  it('builds the context lazily, once per request, and not at all when no flag is read', async () => {
    contextCalls.length = 0;
    await getJson(`${base}/health`, { 'x-user': 'alice' });
    expect(contextCalls).toEqual([]);
    await getJson(`${base}/checkout`, { 'x-user': 'alice' });
    expect(contextCalls).toEqual(['/checkout']);
  });

  it('answers defaults and reports the error when the context cannot be built', async () => {
    contextErrors.length = 0;
    expect(await getJson(`${base}/checkout`, { 'x-user': 'alice', 'x-broken': '1' })).toEqual({
      v2: false,
      banner: 'none',
      again: false,
    });
    expect(contextErrors).toHaveLength(1);
    expect(String(contextErrors[0])).toContain('no session store');
  });

  it('keeps one value per flag for the whole request while later requests see a kill', async () => {
    const readFlag = new Promise<void>((resolve) => (slowRequestReadFlag = resolve));
    const slow = getJson(`${base}/slow`, { 'x-user': 'alice' });
    await readFlag;
    const changed = nextChange();
    const kill = await switchboard.request(
      'POST',
      `${flagPath('checkout-v2')}/environments/production/kill`,
      {
        body: { reason: 'errors in payments' },
      },
    );
    expect(kill.status).toBe(200);
    expect(await changed).toContain('checkout-v2');
    expect((await getJson(`${base}/checkout`, { 'x-user': 'alice' })).v2).toBe(false);
    releaseSlowRequest();
    expect(await slow).toEqual({ before: true, after: true });

    const restored = nextChange();
    await switchboard.request('POST', `${flagPath('checkout-v2')}/environments/production/unkill`, {
      body: {},
    });
    await restored;
    expect((await getJson(`${base}/checkout`, { 'x-user': 'alice' })).v2).toBe(true);
  });

  it("serves a browser bootstrap equal to the server's client evaluation for the same context", async () => {
    const bootstrap = await getJson(`${base}/bootstrap`, { 'x-user': 'alice', 'x-country': 'DE' });
    const fromServer = await switchboard.request('POST', '/client/v1/evaluate', {
      token: clientKey,
      body: { context: { userId: 'alice', country: 'DE' } },
    });
    expect(fromServer.status).toBe(200);
    expect(bootstrap).toEqual(fromServer.body);
    expect(bootstrap.flags).toMatchObject({
      'checkout-v2': { value: true, variant: 'on', reason: 'TARGET_MATCH' },
    });
  });

  it("tracks events for the request's context", async () => {
    const track = vi.spyOn(client, 'track');
    try {
      const response = await fetch(`${base}/pay`, {
        method: 'POST',
        headers: { 'x-user': 'alice', 'x-country': 'NL' },
      });
      expect(response.status).toBe(200);
      expect(track).toHaveBeenCalledWith('error', { userId: 'alice', country: 'NL' }, 2);
    } finally {
      track.mockRestore();
    }
  });

  it('refuses to register without a context function', async () => {
    const broken = Fastify();
    await expect(
      broken.register(fastifyFlags, { client } as unknown as Parameters<typeof fastifyFlags>[1]),
    ).rejects.toThrow(/context/);
    await broken.close();
  });
});

describe('Express middleware', () => {
  let server: Server;
  let base: string;
  const contexts: Context[] = [];

  beforeAll(async () => {
    const app = express();
    const authenticate = (req: Request, res: Response, next: NextFunction) => {
      const user = authenticatedUser(req.headers);
      if (user === undefined) return void res.status(401).json({ error: 'unauthenticated' });
      res.locals.userId = user;
      next();
    };
    app.use(authenticate);
    app.use(
      expressFlags({
        client,
        context: (req) => {
          const context = { userId: req.res?.locals.userId as string, country: req.get('x-country') };
          contexts.push(context);
          return context;
        },
      }),
    );
    app.get('/checkout', (req, res) => {
      res.json({
        v2: req.flags.isEnabled('checkout-v2'),
        banner: req.flags.stringVariation('banner', 'none'),
        limit: req.flags.numberVariation('banner', 5),
      });
    });
    app.get('/all', (req, res) => {
      res.json(req.flags.allFlags());
    });
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('evaluates flags for the authenticated user, with type-checked defaults', async () => {
    contexts.length = 0;
    expect(await getJson(`${base}/checkout`, { 'x-user': 'alice', 'x-country': 'DE' })).toEqual({
      v2: true,
      banner: 'SALE!',
      limit: 5, // a string flag read as a number answers the default
    });
    expect(await getJson(`${base}/checkout`, { 'x-user': 'bob' })).toEqual({
      v2: false,
      banner: 'Welcome',
      limit: 5,
    });
    expect(contexts).toEqual([
      { userId: 'alice', country: 'DE' },
      { userId: 'bob', country: undefined },
    ]);
  });

  it('answers every flag for the request context', async () => {
    expect(await getJson(`${base}/all`, { 'x-user': 'bob', 'x-country': 'DE' })).toEqual({
      'checkout-v2': false,
      banner: 'SALE!',
    });
  });

  it('throws at set-up without a context function', () => {
    expect(() => expressFlags({ client } as unknown as Parameters<typeof expressFlags>[0])).toThrow(
      /context/,
    );
  });
});

describe('browserBootstrap', () => {
  it('leaves out rule ids and kill reasons, which browsers must not see', () => {
    const bootstrap = browserBootstrap(client, { userId: 'carol', country: 'DE' });
    expect(bootstrap.version).toBe(client.version);
    expect(bootstrap.flags.banner).toEqual({ value: 'SALE!', variant: 'loud', reason: 'RULE_MATCH' });
    expect(client.evaluate('banner', { userId: 'carol', country: 'DE' }).ruleId).toBe('germany');
  });
});

describe('createRequestFlags', () => {
  it('treats a context function that returns no object as failed, once', () => {
    const errors: unknown[] = [];
    const flags = createRequestFlags('request', {
      client,
      context: () => undefined as unknown as Context,
      onContextError: (error) => errors.push(error),
    });
    expect(flags.isEnabled('checkout-v2', true)).toBe(true);
    expect(flags.stringVariation('banner', 'none')).toBe('none');
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('not an object');
  });
});
