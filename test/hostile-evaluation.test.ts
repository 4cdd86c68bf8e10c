/**
 * The hostile flags and contexts of core/test/hostile-inputs.ts through the real server (client
 * evaluate and OFREP) and the Node SDK: a 200 or a JSON 4xx naming the problem (413 for a body over
 * the 1 MiB limit, 400 for a context over its bounds), never a 5xx or a hang, bounded time, no
 * prototype pollution; the SDK never throws.
 */
import { performance } from 'node:perf_hooks';
import { createClient } from '@switchboard/sdk-node';
import type { SwitchboardClient } from '@switchboard/sdk-node';
import { EVALUATION_REASONS } from '@switchboard/core';
import type { Context } from '@switchboard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEEP_CONTEXT,
  DEEP_LEVELS,
  hostileContexts,
  hostileFlag,
  hostileSegment,
  inProcessContexts,
  MEGABYTE,
  nestedJson,
} from '../core/test/hostile-inputs';
import { ADMIN_TOKEN, SdkTestServer } from './sdk-harness';

const server = new SdkTestServer();
let clientKey: string;
let sdk: SwitchboardClient;

/** OFREP answers OpenFeature's reasons (KILLED and PREREQUISITE_FAILED keep their names). */
const OPENFEATURE_REASONS = [
  'STATIC',
  'DEFAULT',
  'TARGETING_MATCH',
  'SPLIT',
  'DISABLED',
  'ERROR',
  'KILLED',
  'PREREQUISITE_FAILED',
];

/** Generous per-request bound for a correctness check (a regex blow-up or a hang takes far longer). */
const REQUEST_BOUND_MS = 5_000;

interface Answer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
  ms: number;
}

async function post(path: string, body: string): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(server.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: JSON.parse(text) as Record<string, unknown>,
    ms: performance.now() - started,
  };
}

beforeAll(async () => {
  await server.start();
  const segment = await server.admin('PUT', '/api/v1/segments/hostile-segment', hostileSegment());
  expect(segment.status).toBe(201);
  await server.putFlag(hostileFlag());
  const key = await server.admin('POST', '/api/v1/tokens', {
    name: 'hostile client',
    kind: 'client',
    environment: 'production',
  });
  clientKey = key.body.token as string;
  const { token } = await server.serverKey();
  sdk = createClient({ url: server.url, sdkKey: token, metrics: false, events: false });
  await sdk.ready();
});

afterAll(async () => {
  await sdk?.close();
  await server.dispose();
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('the server under hostile contexts', () => {
  const deep = nestedJson(DEEP_LEVELS, 'object');
  const cases = hostileContexts().map(([name, context]) => {
    const body =
      name === DEEP_CONTEXT
        ? `{"context":{"userId":${deep},"email":${deep},"age":${nestedJson(DEEP_LEVELS, 'array')}}}`
        : JSON.stringify({ context });
    return [name, body] as const;
  });

  it.each(cases)('%s: client evaluate answers 200 or a JSON 4xx naming the problem', async (name, body) => {
    const answer = await post('/client/v1/evaluate', body);
    expect(answer.ms).toBeLessThan(REQUEST_BOUND_MS);
    expect(answer.contentType).toMatch(/^application\/json/);
    if (Buffer.byteLength(body) > MEGABYTE) {
      expect(answer.status).toBe(413);
      expect(answer.body).toMatchObject({
        error: 'payload_too_large',
        message: expect.stringMatching(/body/i),
      });
      return;
    }
    if (body.includes('"__proto__"')) {
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        details: [{ path: '/body/context/__proto__', problem: 'forbidden key' }],
      });
      return;
    }
    if (answer.status !== 200) {
      // Only the bounds of a context: at most 100 attributes, names of at most 200 characters.
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        error: 'bad_request',
        details: [{ path: '/body/context', problem: expect.any(String) }],
      });
      return;
    }
    const result = (answer.body.flags as Record<string, { reason: string; variant?: string }>).hostile!;
    expect(EVALUATION_REASONS).toContain(result.reason);
  });

  it.each(cases)('%s: OFREP answers its value or a JSON OFREP error', async (_, body) => {
    const answer = await post('/ofrep/v1/evaluate/flags/hostile', body);
    expect(answer.ms).toBeLessThan(REQUEST_BOUND_MS);
    expect(answer.status).toBeLessThan(500);
    expect(answer.contentType).toMatch(/^application\/json/);
    if (answer.status === 200) expect(OPENFEATURE_REASONS).toContain(answer.body.reason);
    else
      expect(answer.body).toMatchObject({ errorCode: expect.any(String), errorDetails: expect.any(String) });
    if (body.includes('"__proto__"'))
      expect(answer.body).toMatchObject({
        errorCode: 'INVALID_CONTEXT',
        errorDetails: expect.stringMatching(/__proto__/),
      });
    if (Buffer.byteLength(body) > MEGABYTE) expect(answer.body.errorDetails).toMatch(/exceeds 1048576 bytes/);
  });

  it.each(cases)('%s: OFREP bulk evaluation answers every flag or a JSON OFREP error', async (_, body) => {
    const answer = await post('/ofrep/v1/evaluate/flags', body);
    expect(answer.ms).toBeLessThan(REQUEST_BOUND_MS);
    expect(answer.contentType).toMatch(/^application\/json/);
    if (answer.status === 200) {
      const flags = answer.body.flags as Array<{ key: string; reason?: string; errorCode?: string }>;
      expect(flags.map((flag) => flag.key)).toContain('hostile');
      for (const flag of flags) expect(flag.reason ?? flag.errorCode).toEqual(expect.any(String));
    } else {
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ errorCode: expect.any(String), errorDetails: expect.any(String) });
    }
  });

  it('evaluates a 1,000,000-character attribute (just under the body limit) within the bound', async () => {
    const body = JSON.stringify({
      context: { userId: 'u'.repeat(1_000_000), email: `${'a'.repeat(1_000)}!` },
    });
    const answer = await post('/client/v1/evaluate', body);
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(REQUEST_BOUND_MS);
  });

  it('refuses a context over 100 attributes with a 400 naming the context', async () => {
    const context = Object.fromEntries(Array.from({ length: 101 }, (_, index) => [`a${index}`, 'x']));
    const answer = await post('/client/v1/evaluate', JSON.stringify({ context }));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ details: [{ path: '/body/context' }] });
  });

  it('refuses a body carrying a __proto__ key with a JSON 400 and stores nothing', async () => {
    const document = JSON.stringify(hostileFlag('proto-variant')).replace(
      '"variants":{',
      '"variants":{"__proto__":1,',
    );
    const response = await fetch(`${server.url}/api/v1/flags/proto-variant`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: document,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: 'bad_request',
      message: expect.stringMatching(/__proto__/),
      details: [{ path: '/body/variants/__proto__', problem: 'forbidden key' }],
    });
    expect((await server.admin('GET', '/api/v1/flags/proto-variant')).status).toBe(404);
  });
});

describe('the Node SDK under hostile contexts', () => {
  const contexts = [...hostileContexts(), ...inProcessContexts()];

  it.each(contexts)('%s: evaluate never throws and answers a known reason in bounded time', (_, context) => {
    for (const key of ['hostile', '__proto__', 'constructor', 'toString']) {
      const started = performance.now();
      const result = sdk.evaluate(key, context as Context);
      expect(performance.now() - started).toBeLessThan(REQUEST_BOUND_MS);
      expect(EVALUATION_REASONS).toContain(result.reason);
      if (result.reason === 'ERROR') expect(result.errorCode).toEqual(expect.any(String));
      expect(() => sdk.isEnabled(key, context as Context)).not.toThrow();
      expect(() => sdk.allFlags(context as Context)).not.toThrow();
    }
  });
});
