/**
 * Every route the server registers × every kind of credential, against a policy written per route
 * group. The routes come from the app itself (Fastify's `fastify.initialization` diagnostics channel
 * lets the test see each route as it is added), so a new route that no group covers fails here
 * until someone decides who may call it. "Allowed" means the auth hooks let the request through:
 * anything but 401/403 (a validation 400 or a 404 for the made-up ids below is still allowed).
 * The same route list checks CORS: only the browser-facing client and OFREP routes answer a
 * configured origin, and no route answers any other.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from './helpers';

type Credential =
  | 'none'
  | 'garbage'
  | 'revoked'
  | 'admin'
  | 'editor'
  | 'responder'
  | 'viewer'
  | 'server'
  | 'client'
  | 'server of staging'
  | 'client of staging'
  | 'client key as X-API-Key'
  | 'server key as X-API-Key';

const CREDENTIALS: readonly Credential[] = [
  'none',
  'garbage',
  'revoked',
  'admin',
  'editor',
  'responder',
  'viewer',
  'server',
  'client',
  'server of staging',
  'client of staging',
  'client key as X-API-Key',
  'server key as X-API-Key',
];

const ADMINS: Credential[] = ['admin', 'editor', 'responder', 'viewer'];
const SERVER_KEYS: Credential[] = ['server', 'server of staging'];
const CLIENT_KEYS: Credential[] = ['client', 'client of staging'];
const BEARER_TOKENS: Credential[] = [...ADMINS, ...SERVER_KEYS, ...CLIENT_KEYS];

/** Who may call each group of routes. */
const POLICY = {
  /** Health, metrics, the OpenAPI document, the admin UI (`/`, `/*`) and CORS preflights: no credential. */
  public: CREDENTIALS,
  /** Authorized by the ticket in its URL, never by a header credential. */
  'ofrep event ticket': [],
  'any token': BEARER_TOKENS,
  'admin read': ADMINS,
  'admin write': ['admin', 'editor'],
  'kill switch': ['admin', 'editor', 'responder'],
  'admin manage': ['admin'],
  'server SDK': SERVER_KEYS,
  client: CLIENT_KEYS,
  ofrep: [...SERVER_KEYS, ...CLIENT_KEYS, 'client key as X-API-Key', 'server key as X-API-Key'],
} satisfies Record<string, readonly Credential[]>;

type Group = keyof typeof POLICY;

/** First match wins. There is deliberately no catch-all: an unmatched route fails the test. */
const GROUPS: Array<[Group, RegExp, RegExp]> = [
  ['public', /^(GET|HEAD)$/, /^\/(healthz|readyz|metrics|api\/v1\/openapi\.json|\*)?$/],
  ['public', /^OPTIONS$/, /^\/(client|ofrep)\/v1\//],
  ['ofrep event ticket', /^(GET|HEAD)$/, /^\/ofrep\/v1\/events$/],
  ['ofrep', /^POST$/, /^\/ofrep\/v1\/evaluate\/flags(\/:key)?$/],
  ['server SDK', /^(GET|HEAD|POST)$/, /^\/sdk\/v1\/(stream|flags|metrics|events)$/],
  ['client', /^POST$/, /^\/client\/v1\/(evaluate|stream|events)$/],
  ['any token', /^(GET|HEAD)$/, /^\/api\/v1\/me$/],
  ['admin manage', /^(GET|HEAD|POST|DELETE)$/, /^\/api\/v1\/(tokens|webhooks)(\/|$)/],
  ['admin manage', /^POST$/, /^\/api\/v1\/environments$/],
  ['kill switch', /^POST$/, /^\/api\/v1\/(kill|flags\/:key\/environments\/:env\/(kill|unkill))$/],
  ['kill switch', /^POST$/, /^\/api\/v1\/flags\/:key\/environments\/:env\/plan\/(pause|abort)$/],
  ['admin read', /^POST$/, /^\/api\/v1\/flags\/:key\/environments\/:env\/evaluate$/],
  ['admin read', /^(GET|HEAD)$/, /^\/api\/v1\/(flags|segments|environments|audit|events|plans)(\/|$)/],
  [
    'admin write',
    /^(PUT|POST|DELETE)$/,
    /^\/api\/v1\/(flags|segments)\/:key(\/environments\/:env\/(enabled|rollout|rules\/order|targets|plan|plan\/resume|plan\/skip))?$/,
  ],
  ['admin write', /^POST$/, /^\/api\/v1\/(changesets|import\/unleash)$/],
];

const groupOf = (method: string, url: string): Group | undefined =>
  GROUPS.find(([, methods, urls]) => methods.test(method) && urls.test(url))?.[0];

// Collect the routes as the app registers them.
const routes: Array<{ method: string; url: string }> = [];
const watchRoutes = ({ fastify }: { fastify: FastifyInstance }) => {
  fastify.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
};
subscribe('fastify.initialization', watchRoutes as (message: unknown) => void);
const ALLOWED_ORIGIN = 'https://app.example.com';
const server = await startServer({
  authFailureLimit: { max: 100_000, windowMs: 60_000 },
  corsOrigins: [ALLOWED_ORIGIN],
}).finally(() => unsubscribe('fastify.initialization', watchRoutes as (message: unknown) => void));
afterAll(async () => {
  await server.close();
});

const secrets = new Map<Credential, string>();
for (const kind of ['admin', 'editor', 'responder', 'viewer'] as const)
  secrets.set(kind, await server.token(kind));
secrets.set('server', await server.token('server', 'production'));
secrets.set('client', await server.token('client', 'production'));
secrets.set('server of staging', await server.token('server', 'staging'));
secrets.set('client of staging', await server.token('client', 'staging'));
const revoked = await server.request('POST', '/api/v1/tokens', { body: { name: 'revoked', kind: 'admin' } });
await server.request('DELETE', `/api/v1/tokens/${revoked.body.id}`);

function headersFor(credential: Credential): Record<string, string> {
  switch (credential) {
    case 'none':
      return {};
    case 'garbage':
      return { authorization: 'Bearer sb_admin_not-a-token-anyone-was-given' };
    case 'revoked':
      return { authorization: `Bearer ${revoked.body.token}` };
    case 'client key as X-API-Key':
      return { 'x-api-key': secrets.get('client')! };
    case 'server key as X-API-Key':
      return { 'x-api-key': secrets.get('server')! };
    default:
      return { authorization: `Bearer ${secrets.get(credential)!}` };
  }
}

/** Made-up but well-formed parameters: nothing is found, so an allowed request changes nothing. */
const concretePath = (url: string) =>
  url
    .replace(':key', 'matrix-no-such-key')
    .replace(':env', 'production')
    .replace(':id', 'no-such-id')
    .replace('*', 'index.html');

/** The answer's status and headers; streams are cancelled once their headers arrive. */
async function send(method: string, url: string, headers: Record<string, string>): Promise<Response> {
  const hasBody = !['GET', 'HEAD', 'OPTIONS'].includes(method);
  const response = await fetch(server.url + concretePath(url), {
    method,
    headers: { ...headers, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
    ...(hasBody ? { body: '{}' } : {}),
  });
  await response.body?.cancel();
  return response;
}

/** Browsers may read the answers of these routes from the configured origins; no other. */
const isBrowserFacing = (url: string) => /^\/(client|ofrep)\/v1\//.test(url);

/** it.each rows: '%s' formatting names each test by its whole path. */
const asRow = ({ method, url }: { method: string; url: string }): [string, string] => [method, url];

const isCredentialValid = (credential: Credential) => !['none', 'garbage', 'revoked'].includes(credential);

describe('route × credential matrix', () => {
  it('has a policy group for every route the app registers', () => {
    expect(routes.length).toBeGreaterThan(40);
    const uncovered = routes.filter(({ method, url }) => groupOf(method, url) === undefined);
    expect(uncovered).toEqual([]);
  });

  it.each(routes.filter(({ method, url }) => groupOf(method, url) !== undefined).map(asRow))(
    '%s %s',
    async (method, url) => {
      const group = groupOf(method, url)!;
      const allowed: readonly Credential[] = POLICY[group];
      const expected: Record<string, string> = {};
      const actual: Record<string, string> = {};
      for (const credential of CREDENTIALS) {
        const { status } = await send(method, url, headersFor(credential));
        actual[credential] = status === 401 || status === 403 ? String(status) : 'allowed';
        // Header credentials that do not authenticate are 401; valid ones of the wrong kind 403. The
        // ticket route authenticates by ticket only, so every header credential is 401 there.
        expected[credential] = allowed.includes(credential)
          ? 'allowed'
          : isCredentialValid(credential) &&
              group !== 'ofrep event ticket' &&
              !credential.endsWith('X-API-Key')
            ? '403'
            : '401';
      }
      expect({ group, statuses: actual }).toEqual({ group, statuses: expected });
    },
  );

  it.each(routes.map(asRow))('CORS: %s %s', async (method, url) => {
    const fromAllowed = await send(method, url, { origin: ALLOWED_ORIGIN });
    const fromOther = await send(method, url, { origin: 'https://elsewhere.example.net' });
    const preflight = await send('OPTIONS', url, {
      origin: ALLOWED_ORIGIN,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization, content-type',
    });
    const expected = isBrowserFacing(url) ? ALLOWED_ORIGIN : null;
    // GET and HEAD from a browser (EventSource) are simple requests: no preflight is needed or answered.
    const expectedPreflight = ['GET', 'HEAD'].includes(method) ? null : expected;
    expect({
      allowed: fromAllowed.headers.get('access-control-allow-origin'),
      other: fromOther.headers.get('access-control-allow-origin'),
      preflight: preflight.headers.get('access-control-allow-origin'),
    }).toEqual({ allowed: expected, other: null, preflight: expectedPreflight });
    if (expectedPreflight !== null)
      expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});
