/** The incident-responder flow: list, eval, kill (with SDK acknowledgements), unkill, audit. */
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import type { EvaluationResult } from '@switchboard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/api-types';
import type { TestServer } from './helpers';
import { ADMIN_TOKEN, assertCliBuilt, CLI_MAIN, cliFor, json, startServer } from './helpers';

let server: TestServer;
let cli: ReturnType<typeof cliFor>;

beforeAll(async () => {
  assertCliBuilt();
  server = await startServer();
  cli = cliFor(server);
  for (const args of [
    ['flags', 'create', 'checkout-v2', '--tag', 'payments'],
    ['flags', 'create', 'payment-retries', '--tag', 'payments'],
    ['flags', 'set', 'checkout-v2', '--env', 'production', '--on'],
    ['rollout', 'checkout-v2', '--env', 'production', '--percent', '80'],
    ['flags', 'set', 'payment-retries', '--env', 'production', '--on'],
  ]) {
    expect((await cli(args)).code).toBe(0);
  }
});

afterAll(async () => {
  await server?.close();
});

const evaluate = async (userId: string) =>
  json<EvaluationResult>(
    await cli([
      'eval',
      'checkout-v2',
      '--env',
      'production',
      '--context',
      JSON.stringify({ userId }),
      '--json',
    ]),
  );

/** An SDK stream as a server SDK holds it, read until its first full ruleset has arrived. */
async function connectSdk(environment: string): Promise<AbortController> {
  const key = await server.token('server', environment);
  const abort = new AbortController();
  const response = await fetch(`${server.url}/sdk/v1/stream`, {
    headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' },
    signal: abort.signal,
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  let received = '';
  while (!received.includes('event: put')) {
    const { value } = await reader.read();
    received += new TextDecoder().decode(value);
  }
  // Keep draining, as an SDK does, until the test aborts the stream.
  void (async () => {
    try {
      for (;;) if ((await reader.read()).done) return;
    } catch {
      // aborted
    }
  })();
  return abort;
}

describe('eval', () => {
  it('shows value, variant and reason as a table or JSON', async () => {
    // Buckets of flag checkout-v2 (contract examples): user-1 → 99361, alice → 73564; 80% = buckets 0–79999.
    expect(await evaluate('alice')).toMatchObject({ value: true, variant: 'on', reason: 'SPLIT' });
    expect(await evaluate('user-1')).toMatchObject({ value: false, variant: 'off', reason: 'SPLIT' });
    const table = await cli(['eval', 'checkout-v2', '--env', 'staging', '--context', '{"userId":"alice"}']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^FLAG\s+ENV\s+VALUE\s+VARIANT\s+REASON\ncheckout-v2\s+staging\s+false\s+off\s+DISABLED\n$/,
    );
  });

  it('exits 4 for a flag that does not exist', async () => {
    const result = await cli(['eval', 'nope', '--env', 'production']);
    expect(result.code).toBe(4);
  });
});

describe('kill and unkill', () => {
  it('kills at once, reporting the new version and the connected SDKs that received it', async () => {
    const sdks = [await connectSdk('production'), await connectSdk('production')];
    try {
      const result = await cli([
        'kill',
        'checkout-v2',
        '--env',
        'production',
        '--reason',
        'INC-4211 payments 500s',
      ]);
      expect(result.code).toBe(0);
      const version = (await server.request('GET', '/api/v1/flags/checkout-v2')).body.version as number;
      expect(result.stdout).toBe(
        `KILLED checkout-v2 in production (version ${version}).\n2/2 connected SDKs have received it.\n`,
      );
    } finally {
      for (const sdk of sdks) sdk.abort();
    }
    expect(await evaluate('alice')).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'KILLED',
      killReason: 'INC-4211 payments 500s',
    });
  });

  it('kills every flag with a tag; --json reports each flag, its version and the SDK counts', async () => {
    const sdk = await connectSdk('production');
    try {
      const result = json<{
        environment: string;
        flags: Array<{ key: string; version: number; earlier: boolean; killed: { reason: string } }>;
        sdks: { connected: number; acknowledged: number };
      }>(
        await cli([
          'kill',
          '--tag',
          'payments',
          '--env',
          'production',
          '--reason',
          'INC-4212',
          '--wait',
          '--json',
        ]),
      );
      expect(result.environment).toBe('production');
      expect(result.sdks).toMatchObject({ connected: 1, acknowledged: 1 });
      const byKey = Object.fromEntries(result.flags.map((flag) => [flag.key, flag]));
      // checkout-v2 was killed already: the first kill (and its reason) stands.
      expect(byKey['checkout-v2']).toMatchObject({
        earlier: true,
        killed: { reason: 'INC-4211 payments 500s' },
      });
      expect(byKey['payment-retries']).toMatchObject({ earlier: false, killed: { reason: 'INC-4212' } });
    } finally {
      sdk.abort();
    }
  });

  it('says so when no SDK is connected', async () => {
    const result = await cli(['kill', 'payment-retries', '--env', 'staging', '--reason', 'drill']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No SDKs are connected to this environment right now.');
  });

  it('unkill restores exactly the state before the kill', async () => {
    const result = await cli(['unkill', 'checkout-v2', '--env', 'production']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /Unkilled checkout-v2 in production \(version \d+\); it is on as before the kill\./,
    );
    expect(await evaluate('alice')).toMatchObject({ variant: 'on', reason: 'SPLIT' });
  });
});

describe('audit', () => {
  it('lists entries oldest first, filtered by flag, actor, action and time', async () => {
    const entries = json<AuditEntry[]>(await cli(['audit', '--flag', 'checkout-v2', '--json']));
    const actions = entries.map((entry) => entry.action);
    expect(actions[0]).toBe('flag.create');
    expect(actions.slice(-2)).toEqual(['flag.kill', 'flag.unkill']);
    expect(entries.find((entry) => entry.action === 'flag.kill')?.reason).toBe('INC-4211 payments 500s');
    expect(entries.map((entry) => entry.id)).toEqual(
      [...entries.map((entry) => entry.id)].sort((a, b) => a - b),
    );

    const kills = json<AuditEntry[]>(
      await cli(['audit', '--action', 'flag.kill', '--since', '1h', '--json']),
    );
    expect(kills.map((entry) => `${entry.target.key}@${entry.environment}`)).toEqual([
      'checkout-v2@production',
      'payment-retries@production',
      'payment-retries@staging',
    ]);
    expect(json<AuditEntry[]>(await cli(['audit', '--since', '2999-01-01T00:00:00Z', '--json']))).toEqual([]);
    expect(json<AuditEntry[]>(await cli(['audit', '--actor', 'nobody', '--json']))).toEqual([]);

    const table = await cli(['audit', '--flag', 'checkout-v2', '--limit', '2']);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TIME\s+ACTOR\s+ACTION\s+TARGET\s+ENV\s+REASON \/ CHANGE$/);
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/)[3])).toEqual(['flag.kill', 'flag.unkill']);
    expect(lines[1]).toContain('INC-4211 payments 500s');

    // Entries without a reason show their first changed field (the version bump aside).
    const enable = await cli(['audit', '--flag', 'payment-retries', '--action', 'flag.enable']);
    expect(enable.stdout).toMatch(
      /flag\.enable\s+flag payment-retries\s+production\s+\/environments\/production\/enabled: false → true\n$/,
    );
    const create = await cli(['audit', '--flag', 'payment-retries', '--action', 'flag.create']);
    expect(create.stdout).toMatch(/flag\.create\s+flag payment-retries\s+-\s+created\n$/);
  });

  it('--follow prints entries as they are recorded', async () => {
    const child = spawn(
      process.execPath,
      [CLI_MAIN, 'audit', '--follow', '--interval', '0.2', '--limit', '1'],
      {
        env: { ...process.env, SWITCHBOARD_URL: server.url, SWITCHBOARD_TOKEN: ADMIN_TOKEN, NO_COLOR: '1' },
      },
    );
    let output = '';
    const seen = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => output.includes(text) && resolve();
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((output += chunk), check()));
        child.on('close', (code) => reject(new Error(`audit --follow exited ${code}: ${output}`)));
        check();
      });
    try {
      await seen('flag.unkill');
      expect((await cli(['flags', 'set', 'payment-retries', '--env', 'development', '--on'])).code).toBe(0);
      await seen('flag.enable');
      expect(output).toMatch(/flag\.enable\s+flag payment-retries\s+development/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('verify confirms the chain, and exits 1 naming the entry once a row was edited in the database', async () => {
    const ok = await cli(['audit', 'verify']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK: audit chain intact, \d+ entries verified\.\n$/);

    const database = new Database(server.databasePath);
    try {
      database.prepare("UPDATE audit SET reason = 'nothing happened' WHERE action = 'flag.kill'").run();
    } finally {
      database.close();
    }
    const broken = await cli(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^switchboard: audit chain BROKEN at entry \d+/);
    const verdict = JSON.parse((await cli(['audit', 'verify', '--json'])).stdout) as { ok: boolean };
    expect(verdict.ok).toBe(false);
  });
});
