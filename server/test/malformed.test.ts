/**
 * Bad input, table-driven: each request gets a 4xx with `{ error, message, details }` and leaves the
 * store exactly as it was (documents, environments and their sequences, tokens, audit chain).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json, RequestOptions, TestServer } from './helpers';
import { booleanFlag, flagPath, startServer } from './helpers';

let server: TestServer;
let viewer: string;

const flag = booleanFlag('existing');
const env = (overrides: Json = {}) => ({
  enabled: true,
  offVariant: 'off',
  fallthrough: { variant: 'off' },
  ...overrides,
});
const withProduction = (overrides: Json) => ({
  ...flag,
  key: 'new-flag',
  environments: { production: env(overrides) },
});
const newFlag = flagPath('new-flag');
const production = `${flagPath('existing')}/environments/production`;

beforeAll(async () => {
  server = await startServer();
  viewer = await server.token('viewer');
  await server.request('PUT', flagPath('existing'), { body: flag });
  await server.request('PUT', '/api/v1/segments/seg', { body: { key: 'seg', included: ['a'] } });
  await server.request('PUT', flagPath('uses-seg'), {
    body: booleanFlag('uses-seg', {
      environments: {
        production: env({ rules: [{ id: 'r', clauses: [{ segment: 'seg' }], serve: { variant: 'on' } }] }),
      },
    }),
  });
});
afterAll(async () => {
  await server.close();
});

async function snapshot() {
  const { store } = server.app;
  return {
    flags: await store.listFlags({ limit: 500 }),
    segments: await store.listSegments({ limit: 500 }),
    environments: await store.listEnvironments(),
    tokens: await store.listTokens(),
    audit: await store.readAuditChain(0, 10_000),
    production: await store.changesSince('production', 0),
  };
}

type Case = [name: string, method: string, path: string, options: RequestOptions, status: number];

const cases: Case[] = [
  // Bodies that are not a JSON object.
  [
    'invalid JSON',
    'PUT',
    newFlag,
    { rawBody: '{"key": "new-flag",', headers: { 'content-type': 'application/json' } },
    400,
  ],
  ['empty JSON body', 'PUT', newFlag, { rawBody: '', headers: { 'content-type': 'application/json' } }, 400],
  [
    'text/plain body',
    'PUT',
    newFlag,
    { rawBody: 'key=new-flag', headers: { 'content-type': 'text/plain' } },
    415,
  ],
  ['array body', 'PUT', newFlag, { body: [flag] }, 400],
  [
    'body over 1 MiB',
    'PUT',
    newFlag,
    { body: { ...flag, key: 'new-flag', description: 'x'.repeat(1_100_000) } },
    413,
  ],
  // Shape and bounds (schema).
  ['unknown top-level field', 'PUT', newFlag, { body: { ...flag, key: 'new-flag', owner: 'me' } }, 400],
  ['unknown field in an environment', 'PUT', newFlag, { body: withProduction({ colour: 'red' }) }, 400],
  ['missing variants', 'PUT', newFlag, { body: { key: 'new-flag', environments: {} } }, 400],
  ['no variants', 'PUT', newFlag, { body: { ...flag, key: 'new-flag', variants: {} } }, 400],
  ['enabled as a string', 'PUT', newFlag, { body: withProduction({ enabled: 'true' }) }, 400],
  ['version as a string', 'PUT', flagPath('existing'), { body: { ...flag, version: '1' } }, 400],
  ['negative version', 'PUT', flagPath('existing'), { body: { ...flag, version: -1 } }, 400],
  [
    'unknown operator',
    'PUT',
    newFlag,
    {
      body: withProduction({
        rules: [
          { id: 'r', clauses: [{ attribute: 'a', op: 'like', values: ['x'] }], serve: { variant: 'on' } },
        ],
      }),
    },
    400,
  ],
  [
    'serve with neither variant nor rollout',
    'PUT',
    newFlag,
    { body: withProduction({ fallthrough: { everyone: 'on' } }) },
    400,
  ],
  [
    '201 rules',
    'PUT',
    newFlag,
    {
      body: withProduction({
        rules: Array.from({ length: 201 }, (_, i) => ({
          id: `r${i}`,
          clauses: [],
          serve: { variant: 'on' },
        })),
      }),
    },
    400,
  ],
  [
    '10,001 clause values',
    'PUT',
    newFlag,
    {
      body: withProduction({
        rules: [
          {
            id: 'r',
            clauses: [
              { attribute: 'a', op: 'in', values: Array.from({ length: 10_001 }, (_, i) => `v${i}`) },
            ],
            serve: { variant: 'on' },
          },
        ],
      }),
    },
    400,
  ],
  [
    'description over 1,000 characters',
    'PUT',
    newFlag,
    { body: { ...flag, key: 'new-flag', description: 'd'.repeat(1001) } },
    400,
  ],
  [
    '51 tags',
    'PUT',
    newFlag,
    { body: { ...flag, key: 'new-flag', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) } },
    400,
  ],
  // Keys.
  ['body key differs from URL key', 'PUT', newFlag, { body: { ...flag, key: 'other' } }, 400],
  ['key with a space', 'PUT', flagPath('has space'), { body: { ...flag, key: 'has space' } }, 400],
  [
    'key with a control character',
    'PUT',
    flagPath('bell\u0007'),
    { body: { ...flag, key: 'bell\u0007' } },
    400,
  ],
  [
    'key of 201 characters',
    'PUT',
    flagPath('k'.repeat(201)),
    { body: { ...flag, key: 'k'.repeat(201) } },
    400,
  ],
  // Semantics (422).
  [
    'weights not summing to 100000',
    'PUT',
    newFlag,
    { body: withProduction({ fallthrough: { rollout: { weights: [{ variant: 'on', weight: 99_999 }] } } }) },
    422,
  ],
  ['unknown offVariant', 'PUT', newFlag, { body: withProduction({ offVariant: 'nope' }) }, 422],
  [
    'missing segment',
    'PUT',
    newFlag,
    {
      body: withProduction({
        rules: [{ id: 'r', clauses: [{ segment: 'ghost' }], serve: { variant: 'on' } }],
      }),
    },
    422,
  ],
  [
    'invalid regex',
    'PUT',
    newFlag,
    {
      body: withProduction({
        rules: [
          {
            id: 'r',
            clauses: [{ attribute: 'a', op: 'matches', values: ['(unclosed'] }],
            serve: { variant: 'on' },
          },
        ],
      }),
    },
    422,
  ],
  [
    'regex over 500 characters',
    'PUT',
    newFlag,
    {
      body: withProduction({
        rules: [
          {
            id: 'r',
            clauses: [{ attribute: 'a', op: 'matches', values: ['a'.repeat(501)] }],
            serve: { variant: 'on' },
          },
        ],
      }),
    },
    422,
  ],
  [
    'invalid semver',
    'PUT',
    newFlag,
    {
      body: withProduction({
        rules: [
          {
            id: 'r',
            clauses: [{ attribute: 'v', op: 'semverGte', values: ['two'] }],
            serve: { variant: 'on' },
          },
        ],
      }),
    },
    422,
  ],
  [
    'duplicate rule ids',
    'PUT',
    newFlag,
    {
      body: withProduction({
        rules: [
          { id: 'r', clauses: [], serve: { variant: 'on' } },
          { id: 'r', clauses: [], serve: { variant: 'off' } },
        ],
      }),
    },
    422,
  ],
  [
    'prerequisite on itself',
    'PUT',
    newFlag,
    { body: { ...withProduction({}), prerequisites: [{ flag: 'new-flag', variants: ['on'] }] } },
    422,
  ],
  [
    'unknown environment',
    'PUT',
    newFlag,
    { body: { ...flag, key: 'new-flag', environments: { moon: env() } } },
    422,
  ],
  ['delete a segment in use', 'DELETE', '/api/v1/segments/seg', {}, 422],
  [
    'segment with an unparseable number',
    'PUT',
    '/api/v1/segments/s2',
    { body: { key: 's2', rules: [{ clauses: [{ attribute: 'age', op: 'gt', values: ['old'] }] }] } },
    422,
  ],
  // Concurrency.
  ['stale version', 'PUT', flagPath('existing'), { body: { ...flag, description: 'x', version: 7 } }, 409],
  ['create of an existing flag', 'PUT', flagPath('existing'), { body: { ...flag, description: 'x' } }, 409],
  [
    'malformed If-Match',
    'PUT',
    flagPath('existing'),
    { body: { ...flag, version: 1 }, headers: { 'if-match': 'W/"1"' } },
    400,
  ],
  [
    'If-Match and version disagree',
    'PUT',
    flagPath('existing'),
    { body: { ...flag, version: 1 }, headers: { 'if-match': '"2"' } },
    400,
  ],
  ['delete with a non-numeric version', 'DELETE', `${flagPath('existing')}?version=latest`, {}, 400],
  // Focused endpoints and the kill switch.
  ['toggle without enabled', 'PUT', `${production}/enabled`, { body: {} }, 400],
  ['rollout without weights', 'PUT', `${production}/rollout`, { body: { weights: [] } }, 400],
  [
    'rollout with a negative weight',
    'PUT',
    `${production}/rollout`,
    { body: { weights: [{ variant: 'on', weight: -1 }] } },
    400,
  ],
  ['targets without values', 'POST', `${production}/targets`, { body: { variant: 'on', values: [] } }, 400],
  [
    'target value that is a number',
    'POST',
    `${production}/targets`,
    { body: { variant: 'on', values: [42] } },
    400,
  ],
  [
    'rule order that is not a permutation',
    'PUT',
    `${production}/rules/order`,
    { body: { ruleIds: ['x'] } },
    422,
  ],
  ['kill without a reason', 'POST', `${production}/kill`, { body: {} }, 400],
  ['kill with a version field', 'POST', `${production}/kill`, { body: { reason: 'r', version: 1 } }, 400],
  [
    'kill reason over 1,000 characters',
    'POST',
    `${production}/kill`,
    { body: { reason: 'r'.repeat(1001) } },
    400,
  ],
  [
    'kill of an unknown flag',
    'POST',
    `${flagPath('ghost')}/environments/production/kill`,
    { body: { reason: 'r' } },
    404,
  ],
  [
    'kill in an unknown environment',
    'POST',
    `${flagPath('existing')}/environments/mars/kill`,
    { body: { reason: 'r' } },
    404,
  ],
  [
    'kill by tag without environment',
    'POST',
    '/api/v1/kill',
    { body: { tag: 'payments', reason: 'r' } },
    400,
  ],
  // Environments and tokens.
  [
    'environment key with a slash-free space',
    'POST',
    '/api/v1/environments',
    { body: { key: 'my env' } },
    400,
  ],
  ['existing environment', 'POST', '/api/v1/environments', { body: { key: 'production' } }, 409],
  ['token of an unknown kind', 'POST', '/api/v1/tokens', { body: { name: 'x', kind: 'superuser' } }, 400],
  ['token with an empty name', 'POST', '/api/v1/tokens', { body: { name: '', kind: 'viewer' } }, 400],
  ['client key without environment', 'POST', '/api/v1/tokens', { body: { name: 'x', kind: 'client' } }, 400],
  ['revoke an unknown token', 'DELETE', '/api/v1/tokens/tok_nope', {}, 404],
  // Query strings.
  ['limit 0', 'GET', '/api/v1/flags?limit=0', {}, 400],
  ['limit 501', 'GET', '/api/v1/flags?limit=501', {}, 400],
  ['limit not a number', 'GET', '/api/v1/flags?limit=ten', {}, 400],
  ['cursor that was never issued', 'GET', '/api/v1/flags?cursor=%%%', {}, 400],
  ['audit cursor that is not an id', 'GET', '/api/v1/audit?cursor=abc', {}, 400],
  ['unknown query parameter', 'GET', '/api/v1/flags?colour=red', {}, 400],
  ['audit since that is not a time', 'GET', '/api/v1/audit?since=yesterday', {}, 400],
  // Authentication and routing.
  ['no token', 'PUT', newFlag, { token: null, body: withProduction({}) }, 401],
  ['unknown token', 'PUT', newFlag, { token: 'sb_admin_nope', body: withProduction({}) }, 401],
  ['viewer writing', 'PUT', newFlag, { token: '<viewer>', body: withProduction({}) }, 403],
  ['unknown route', 'POST', '/api/v1/flags/existing/explode', { body: {} }, 404],
];

describe('malformed requests', () => {
  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  const rows = cases.map(([name, method, path, options, status]) => ({
    name,
    method,
    path,
    options,
    status,
  }));
  it.each(rows)('$name → $status, nothing changed', async ({ method, path, options, status }) => {
    const before = await snapshot();
    const token = options.token === '<viewer>' ? viewer : options.token;
    const reply = await server.request(method, path, { ...options, token });
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({
      ...reply.body,
      error: expect.any(String),
      message: expect.any(String),
      details: expect.any(Array),
    });
    if (status === 400 || status === 422) {
      for (const detail of reply.body.details) {
        expect(detail).toEqual({ path: expect.stringMatching(/^\//), problem: expect.any(String) });
      }
    }
    expect(await snapshot()).toEqual(before);
  });
});
