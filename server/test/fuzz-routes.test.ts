/**
 * Property-based fuzzing of every route the server registers (read from the app itself, so a new
 * route is fuzzed without touching this file): mutated valid bodies, malformed JSON, odd headers,
 * query strings and path parameters, mostly as admin and sometimes with other roles or garbage
 * credentials. For every request: never a 5xx; a 4xx answers JSON naming the problem; a rejected
 * request (4xx) leaves every table of the store byte-for-byte as it was; Object.prototype stays clean.
 *
 * Requests go over a real loopback socket rather than `app.inject`: the stream routes hijack the
 * socket and write their head on it, which an injected request never sees.
 *
 * FUZZ_RUNS sets the runs per route (default 20: about 1,750 requests, well under a minute in CI).
 */
import http from 'node:http';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { Credentials, JsonValue } from './fuzz-arbitraries';
import { headers, pathParameter, queryString, rawBody } from './fuzz-arbitraries';
import type { TestServer } from './helpers';
import { ADMIN_TOKEN, booleanFlag, flagPath, startServer } from './helpers';

const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 20);

interface Route {
  method: string;
  url: string;
}

/** Every method and URL of the app, read from Fastify's route tree (`printRoutes`). */
function registeredRoutes(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (match === null) continue;
    const depth = match[1]!.length / 4;
    const url = (prefixes[depth - 1] ?? '') + (depth > 0 && !match[2]!.startsWith('/') ? '/' : '') + match[2];
    prefixes[depth] = url.replace(/\/$/, '');
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, url });
  }
  return routes;
}

const server: TestServer = await startServer({
  authFailureLimit: { max: Number.MAX_SAFE_INTEGER, windowMs: 60_000 },
});
// Ramp plans, webhooks and the SDK instance heartbeats run in the background; paused, every store
// change comes from a request (and no webhook leaves the machine).
await Promise.all([
  server.app.delivery.scheduler.stop(),
  server.app.delivery.webhooks.stop(),
  server.app.delivery.instances.stop(),
]);
const { port } = new URL(server.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const database = new Database(server.databasePath, { readonly: true, fileMustExist: true });
const tables = database
  .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
  .pluck()
  .all() as string[];

const credentials: Credentials = {
  admin: ADMIN_TOKEN,
  editor: await server.token('editor'),
  responder: await server.token('responder'),
  viewer: await server.token('viewer'),
  server: await server.token('server', 'production'),
  client: await server.token('client', 'production'),
  stagingClient: await server.token('client', 'staging'),
};
// Ids the fuzzer may revoke or delete (never a credential above).
const disposableTokens = await Promise.all(
  ['viewer', 'editor'].map(async (kind) => {
    const reply = await server.request('POST', '/api/v1/tokens', {
      body: { name: `disposable ${kind}`, kind },
    });
    return reply.body.id as string;
  }),
);
const webhook = await server.request('POST', '/api/v1/webhooks', {
  body: { url: 'http://127.0.0.1:9/hook' },
});

/** The flag, segment and environments most examples refer to; re-made when a fuzzed request removed them. */
async function ensureFixtures(): Promise<void> {
  if ((await server.app.store.getFlag('existing')) === undefined) {
    await server.request('PUT', flagPath('existing'), {
      body: booleanFlag('existing', { tags: ['payments'] }),
    });
  }
  if ((await server.app.store.getSegment('seg')) === undefined) {
    await server.request('PUT', '/api/v1/segments/seg', { body: { key: 'seg', included: ['alice'] } });
  }
}

const PARAMETER_VALUES: Record<string, string[]> = {
  key: ['existing', 'seg', 'new-flag'],
  env: ['production', 'staging', 'development'],
  id: [...disposableTokens, webhook.body.id as string],
};

const context = { userId: 'u-1', country: 'DE', plan: 'pro' };
const sdk = { instanceId: 'fuzz-1', name: 'fuzz', version: '1.0.0', rulesetVersion: 0 };
const windowStart = new Date(Date.now() - 60_000).toISOString();

/** A valid body per route, the seed of the mutations; routes without one get arbitrary JSON. */
function exampleBody(route: Route, parameters: Record<string, string>): JsonValue | undefined {
  const key = parameters.key ?? 'existing';
  const examples: Record<string, JsonValue> = {
    'PUT /api/v1/flags/:key': booleanFlag(key, { tags: ['payments'] }) as unknown as JsonValue,
    'PUT /api/v1/segments/:key': { key, included: ['alice'], excluded: [], rules: [] },
    'PUT /api/v1/flags/:key/environments/:env/enabled': { enabled: false, reason: 'fuzz' },
    'PUT /api/v1/flags/:key/environments/:env/rollout': {
      weights: [
        { variant: 'on', weight: 50_000 },
        { variant: 'off', weight: 50_000 },
      ],
      bucketBy: 'userId',
    },
    'POST /api/v1/flags/:key/environments/:env/targets': { variant: 'on', values: ['alice'] },
    'DELETE /api/v1/flags/:key/environments/:env/targets': { variant: 'on', values: ['alice'] },
    'PUT /api/v1/flags/:key/environments/:env/rules/order': { ruleIds: [] },
    'POST /api/v1/flags/:key/environments/:env/kill': { reason: 'fuzz' },
    'POST /api/v1/flags/:key/environments/:env/unkill': { reason: 'fuzz' },
    'POST /api/v1/flags/:key/environments/:env/evaluate': { context },
    'PUT /api/v1/flags/:key/environments/:env/plan': {
      steps: [{ weights: [{ variant: 'on', weight: 100_000 }], holdSeconds: 3600 }, { enabled: true }],
      reason: 'fuzz',
    },
    'POST /api/v1/kill': { tag: 'payments', environment: 'production', reason: 'fuzz' },
    'POST /api/v1/environments': { key: 'fuzz-env', name: 'Fuzz', reason: 'fuzz' },
    'POST /api/v1/tokens': { name: 'fuzz', kind: 'viewer' },
    'POST /api/v1/changesets': {
      message: 'fuzz',
      dryRun: true,
      flags: [booleanFlag('existing', { tags: ['payments'] }) as unknown as JsonValue],
      segments: [{ key: 'seg', included: ['alice'] }],
    },
    'POST /api/v1/import/unleash': {
      environment: 'production',
      dryRun: true,
      payload: {
        version: 2,
        features: [{ name: 'u-flag', enabled: true, strategies: [{ name: 'default' }] }],
      },
    },
    'POST /api/v1/webhooks': { url: 'http://127.0.0.1:9/hook', events: ['flag.*'], description: 'fuzz' },
    'POST /sdk/v1/metrics': {
      windowStart,
      windowEnd: new Date().toISOString(),
      counts: [{ flag: 'existing', variant: 'on', reason: 'FALLTHROUGH', count: 3 }],
    },
    'POST /sdk/v1/events': {
      sdk,
      exposures: [{ flag: 'existing', variant: 'on', user: 'u-1', reason: 'FALLTHROUGH' }],
      events: [{ event: 'checkout', user: 'u-1', value: 1, variants: { existing: 'on' } }],
    },
    'POST /client/v1/events': { sdk, events: [{ event: 'checkout', user: 'u-1', variants: {} }] },
    'POST /client/v1/evaluate': { context },
    'POST /client/v1/stream': { context },
    'POST /ofrep/v1/evaluate/flags': { context: { targetingKey: 'u-1', country: 'DE' } },
    'POST /ofrep/v1/evaluate/flags/:key': { context: { targetingKey: 'u-1', country: 'DE' } },
  };
  return examples[`${route.method} ${route.url}`];
}

function primaryRole(url: string): string {
  if (url.startsWith('/sdk/')) return 'server';
  if (url.startsWith('/client/') || url.startsWith('/ofrep/')) return 'client';
  return 'admin';
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** One request over the socket; an event stream is closed as soon as its head arrives. */
function sendOnce(
  method: string,
  path: string,
  headerValues: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        // Without a length, node:http sends a GET or DELETE body unframed (it would read as the next request).
        headers:
          body === undefined ? headerValues : { ...headerValues, 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const contentType = response.headers['content-type'] ?? '';
        const status = response.statusCode ?? 0;
        if (contentType.startsWith('text/event-stream')) {
          answered = true;
          request.destroy();
          resolve({ status, contentType, text: '' });
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          answered = true;
          resolve({ status, contentType, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    request.setTimeout(15_000, () => request.destroy(new Error('no answer within 15 s')));
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    request.end(body);
  });
}

const RESET = new Set(['ECONNRESET', 'EPIPE']);

/**
 * A request rejected before its body is read (401, 413, …) is answered with `connection: close`; a body
 * still being written then meets a reset that can swallow the answer (TCP, not the server). Such a
 * request is sent again.
 */
async function send(method: string, path: string, headerValues: Record<string, string>, body?: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendOnce(method, path, headerValues, body);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reset = code !== undefined && RESET.has(code);
      if (!reset || attempt === 3) throw error;
    }
  }
}

/** Node answers a request head over 16 KiB itself (431) and closes; heads stay below that. */
const headSize = (path: string, headerValues: Record<string, string>) =>
  Object.entries(headerValues).reduce(
    (size, [name, value]) => size + name.length + value.length + 4,
    path.length,
  );

function dumpStore(): Map<string, string> {
  return new Map(
    tables.map((table) => [table, JSON.stringify(database.prepare(`SELECT * FROM "${table}"`).raw().all())]),
  );
}

function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return tables.filter((table) => before.get(table) !== after.get(table));
}

const excerpt = (text: string | undefined) =>
  text === undefined
    ? '(no body)'
    : text.length > 300
      ? `${text.slice(0, 300)}… (${text.length} chars)`
      : text;

let requestsSent = 0;
/** The store as the last request left it. */
let storeState = dumpStore();
const statusCounts = new Map<number, number>();

afterAll(async () => {
  const statuses = [...statusCounts].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`);
  console.log(
    `route fuzzing: ${requestsSent} requests over ${routes.length} routes (${statuses.join(', ')})`,
  );
  agent.destroy();
  database.close();
  await server.close();
});

const routes = registeredRoutes(server.app);

describe('every route under hostile requests', () => {
  it('finds the routes of every API', () => {
    const urls = new Set(routes.map((route) => route.url));
    for (const url of [
      '/api/v1/flags/:key',
      '/sdk/v1/flags',
      '/client/v1/evaluate',
      '/ofrep/v1/evaluate/flags/:key',
    ]) {
      expect(urls).toContain(url);
    }
    expect(routes.length).toBeGreaterThan(50);
  });

  it('refuses a body with a __proto__ or constructor.prototype key on every route taking a body, naming it', async () => {
    const withBody = routes.filter((route) => !['GET', 'HEAD', 'OPTIONS'].includes(route.method));
    for (const route of withBody) {
      for (const body of [
        '{"a":{"__proto__":{"polluted":true}}}',
        '{"constructor":{"prototype":{"polluted":true}}}',
      ]) {
        const path = route.url.replace(/:(\w+)/g, (_, name: string) => PARAMETER_VALUES[name]?.[0] ?? 'x');
        const headerValues = {
          authorization: `Bearer ${credentials[primaryRole(route.url)]}`,
          'content-type': 'application/json',
        };
        const answer = await send(route.method, path, headerValues, body);
        expect(answer.status, `${route.method} ${path}`).toBe(400);
        expect(answer.text, `${route.method} ${path}`).toMatch(/__proto__/);
        expect(answer.text, `${route.method} ${path}`).toMatch(
          /\/body\/(a\/__proto__|constructor\/prototype)/,
        );
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  for (const route of routes) {
    it(`${route.method} ${route.url}`, { timeout: 300_000 }, async () => {
      await ensureFixtures();
      storeState = dumpStore();
      const names = [...route.url.matchAll(/:(\w+)/g)].map((match) => match[1]!);
      const parameters = fc.record(
        Object.fromEntries(names.map((name) => [name, pathParameter(PARAMETER_VALUES[name] ?? ['x'])])),
      );
      const withBody = !['GET', 'HEAD', 'OPTIONS'].includes(route.method) || Math.random() < 0.1;
      const request = parameters
        .chain((encoded) => {
          const decoded = Object.fromEntries(
            Object.entries(encoded).map(([name, value]) => [name, safeDecode(value)]),
          );
          return fc.record({
            path: queryString.map(
              (query) => route.url.replace(/:(\w+)/g, (_, name: string) => encoded[name]!) + query,
            ),
            headers: headers(credentials, primaryRole(route.url), withBody),
            body: withBody ? rawBody(exampleBody(route, decoded)) : fc.constant(undefined),
          });
        })
        .filter((generated) => headSize(generated.path, generated.headers) < 12_000);

      const result = await fc.check(
        fc.asyncProperty(request, async ({ path, headers: headerValues, body }) => {
          requestsSent++;
          const before = storeState;
          const answer = await send(route.method, path, headerValues, body).finally(() => {
            storeState = dumpStore();
          });
          statusCounts.set(answer.status, (statusCounts.get(answer.status) ?? 0) + 1);
          const what = `${route.method} ${path} → ${answer.status} ${excerpt(answer.text)}`;

          expect(answer.status, what).toBeLessThan(500);
          expect(Object.keys(Object.prototype), 'Object.prototype polluted').toEqual([]);
          expect(({} as Record<string, unknown>).polluted, 'Object.prototype polluted').toBeUndefined();

          if (answer.status >= 400) {
            expect(changedTables(before, storeState), `tables changed by ${what}`).toEqual([]);
            if (route.method !== 'HEAD') {
              expect(answer.contentType, what).toMatch(/^application\/json/);
              const error = JSON.parse(answer.text) as Record<string, unknown>;
              const named =
                (typeof error.error === 'string' &&
                  typeof error.message === 'string' &&
                  error.message !== '') ||
                (typeof error.errorCode === 'string' && typeof error.errorDetails === 'string');
              expect(named, `no error naming the problem: ${what}`).toBe(true);
            }
          }
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
      if (result.failed) {
        const [failing] = result.counterexample ?? [];
        const shown =
          failing === undefined
            ? ''
            : {
                path: excerpt(failing.path),
                headers: Object.fromEntries(
                  Object.entries(failing.headers).map(([name, value]) => [name, excerpt(value)]),
                ),
                body: excerpt(failing.body),
              };
        const message =
          result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
        throw new Error(`${message}\ncounterexample: ${JSON.stringify(shown)}\nseed: ${result.seed}`);
      }
    });
  }
});

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
