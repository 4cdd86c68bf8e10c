/** The shared evaluation vectors through the Node SDK's public API: bootstrapped, and streamed by the real server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRuleset, FlagConfig } from '@switchboard/core';
import { createClient } from '@switchboard/sdk-node';
import type { SwitchboardClient } from '@switchboard/sdk-node';
import { loadVectors } from './vectors/vectors';
import type { VectorCase } from './vectors/vectors';
import { SdkTestServer } from './sdk-harness';

const files = loadVectors();

/** Every public accessor must agree with the vector's expected result. */
function expectCase(client: SwitchboardClient, vector: VectorCase): void {
  const { flag, context, expect: expected } = vector;
  expect({ ...client.evaluate(flag, context) }).toStrictEqual(expected);
  const served = expected.errorCode === undefined;
  const value = expected.value;
  for (const fallback of [true, false]) {
    expect(client.isEnabled(flag, context, fallback)).toBe(
      served && typeof value === 'boolean' ? value : fallback,
    );
  }
  expect(client.stringVariation(flag, context, '\u0000default')).toBe(
    served && typeof value === 'string' ? value : '\u0000default',
  );
  expect(client.numberVariation(flag, context, -0.5)).toBe(
    served && typeof value === 'number' ? value : -0.5,
  );
  expect(client.jsonVariation(flag, context, { fallback: true })).toEqual(
    served ? value : { fallback: true },
  );
}

describe('shared vectors through a bootstrapped client', () => {
  for (const file of files) {
    describe(file.file, () => {
      let client: SwitchboardClient;
      beforeAll(() => {
        client = createClient({
          url: 'http://127.0.0.1:9',
          sdkKey: 'sb_server_offline',
          bootstrap: file.ruleset,
          metrics: false,
          reconnectBaseMs: 60_000,
        });
      });
      afterAll(() => client.close());
      it.each(file.cases.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
        expectCase(client, vector);
      });
    });
  }
});

/** Stores a vector ruleset's segments and flags through the admin API; answers the keys refused. */
async function load(server: SdkTestServer, ruleset: EnvironmentRuleset): Promise<Map<string, string>> {
  for (const segment of Object.values(ruleset.segments)) {
    const reply = await server.admin('PUT', `/api/v1/segments/${encodeURIComponent(segment.key)}`, {
      ...segment,
      version: undefined,
    });
    expect(reply.status, JSON.stringify(reply.body)).toBeLessThan(300);
  }
  const refused = new Map<string, string>();
  let pending = Object.values(ruleset.flags);
  // Prerequisites must exist before the flags needing them: store in rounds until nothing more goes in.
  while (pending.length > 0) {
    const next: FlagConfig[] = [];
    for (const config of pending) {
      const { key, variants, prerequisites, version: _version, killed, ...environment } = config;
      const document = {
        key,
        variants,
        environments: { [ruleset.environment]: environment },
        ...(prerequisites ? { prerequisites } : {}),
      };
      const reply = await server.admin('PUT', `/api/v1/flags/${encodeURIComponent(key)}`, document);
      if (reply.status === 422) {
        next.push(config);
        refused.set(key, (reply.body.details as Array<{ problem: string }>).map((d) => d.problem).join('; '));
      } else {
        expect(reply.status, JSON.stringify(reply.body)).toBeLessThan(300);
        refused.delete(key);
        // A kill is not part of a flag write: it goes through the kill switch, with its reason.
        if (killed) await server.kill(key, killed.reason, ruleset.environment);
      }
    }
    if (next.length === pending.length) break;
    pending = next;
  }
  return refused;
}

describe('shared vectors streamed by the real server', () => {
  for (const file of files) {
    describe(file.file, () => {
      const server = new SdkTestServer();
      let client: SwitchboardClient;
      let refused = new Map<string, string>();
      beforeAll(async () => {
        await server.start();
        refused = await load(server, file.ruleset);
        client = createClient({ url: server.url, sdkKey: (await server.serverKey()).token, metrics: false });
        await client.ready();
      });
      afterAll(async () => {
        await client.close();
        await server.dispose();
      });

      it('the server refuses only flags that reference a missing flag or segment (bootstrapped above)', () => {
        for (const problem of refused.values()) expect(problem).toMatch(/^unknown (flag|segment) /);
      });

      it.each(file.cases.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
        if (refused.has(vector.flag)) {
          expect(client.evaluate(vector.flag, vector.context).errorCode).toBe('FLAG_NOT_FOUND');
          return;
        }
        expectCase(client, vector);
      });
    });
  }
});
