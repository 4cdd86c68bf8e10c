/**
 * Read-only mode: the server takes its flags and segments from a YAML file (the format `switchboard
 * export` writes), reloads it when it changes, and refuses flag and segment writes through the API.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlagDocument } from '@switchboard/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers';
import { ADMIN_TOKEN, booleanFlag, flagPath, startServer } from './helpers';

const FILE = `flags:
  checkout-v2:
    description: From the file
    environments:
      production:
        enabled: true
        fallthrough:
          variant: on
        offVariant: off
        rules:
          - clauses:
              - segment: beta-testers
            id: beta
            serve:
              variant: off
    tags:
      - payments
    variants:
      off: false
      on: true
    version: 7
segments:
  beta-testers:
    included:
      - bob
`;

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

function flagsFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'switchboard-flags-file-')), 'flags.yaml');
  writeFileSync(path, text);
  return path;
}

async function serve(file: string): Promise<TestServer> {
  const server = await startServer({ flagsFile: file });
  servers.push(server);
  return server;
}

async function eventually(check: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const description = async (server: TestServer) =>
  (await server.request<FlagDocument>('GET', flagPath('checkout-v2'))).body.description;

describe('--flags-file (read-only mode)', () => {
  it('serves the flags and segments of the file, loaded as one change set', async () => {
    const server = await serve(flagsFile(FILE));
    const flag = (await server.request<FlagDocument>('GET', flagPath('checkout-v2'))).body;
    expect(flag).toMatchObject({ description: 'From the file', tags: ['payments'], version: 1 });
    expect(flag.environments.production?.rules?.[0]?.id).toBe('beta');
    const evaluation = await server.request(
      'POST',
      `${flagPath('checkout-v2')}/environments/production/evaluate`,
      {
        body: { context: { userId: 'bob' } },
      },
    );
    expect(evaluation.body).toMatchObject({ variant: 'off', reason: 'RULE_MATCH' });
    const entries = (await server.request('GET', '/api/v1/audit?actor=system&limit=10')).body
      .entries as Array<{
      action: string;
      reason: string;
    }>;
    expect(entries.slice(0, 2).map((entry) => entry.action)).toEqual(['flag.create', 'segment.create']);
    expect(entries[0]?.reason).toMatch(/^flags file flags\.yaml \[change set cs_[0-9a-f]+\]$/);
  });

  it('refuses flag and segment writes through the API, but still evaluates and manages tokens', async () => {
    const server = await serve(flagsFile(FILE));
    const put = await server.request('PUT', flagPath('other'), { body: booleanFlag('other') });
    expect(put.status).toBe(403);
    expect(put.body.message).toBe(
      'the server is read-only: its flags come from flags.yaml; edit that file instead',
    );
    for (const [method, path, body] of [
      ['PUT', `${flagPath('checkout-v2')}/environments/production/enabled`, { enabled: false }],
      ['POST', `${flagPath('checkout-v2')}/environments/production/kill`, { reason: 'x' }],
      ['POST', '/api/v1/kill', { tag: 'payments', environment: 'production', reason: 'x' }],
      ['DELETE', '/api/v1/segments/beta-testers', undefined],
      ['POST', '/api/v1/changesets', { message: 'm', flags: [], segments: [] }],
    ] as const) {
      expect((await server.request(method, path, { body })).status, `${method} ${path}`).toBe(403);
    }
    expect(
      (
        await server.request('POST', '/api/v1/tokens', {
          body: { name: 'sdk', kind: 'server', environment: 'production' },
        })
      ).status,
    ).toBe(201);
    expect(await description(server)).toBe('From the file');
  });

  it('reloads when the file changes, including when an editor replaces it by rename', async () => {
    const file = flagsFile(FILE);
    const server = await serve(file);
    writeFileSync(file, FILE.replace('From the file', 'Edited in place'));
    await eventually(async () => expect(await description(server)).toBe('Edited in place'));

    const replacement = `${file}.tmp`;
    writeFileSync(replacement, FILE.replace('From the file', 'Replaced by rename'));
    renameSync(replacement, file);
    await eventually(async () => expect(await description(server)).toBe('Replaced by rename'));
    expect((await server.request<FlagDocument>('GET', flagPath('checkout-v2'))).body.version).toBe(3);
  });

  it('keeps serving the last good state when a changed file is broken', async () => {
    const file = flagsFile(FILE);
    const server = await serve(file);
    writeFileSync(file, 'flags: [unclosed\n');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await description(server)).toBe('From the file');
    writeFileSync(file, FILE.replace('From the file', 'Fixed'));
    await eventually(async () => expect(await description(server)).toBe('Fixed'));
  });

  it('refuses to start from an invalid file, naming the item and field', async () => {
    const file = flagsFile(FILE.replace('offVariant: off', 'offVariant: maybe'));
    await expect(startServer({ flagsFile: file })).rejects.toThrow(
      `${file}: /flags/checkout-v2/environments/production/offVariant: unknown variant "maybe"`,
    );
    await expect(startServer({ flagsFile: flagsFile('flags:\n  a: 1\n') })).rejects.toThrow(
      /flags\.a: expected a mapping/,
    );
    await expect(startServer({ flagsFile: join(tmpdir(), 'no-such-dir', 'flags.yaml') })).rejects.toThrow(
      /ENOENT/,
    );
  });
});

describe('switchboard-server --flags-file FILE', () => {
  const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  it('starts the built server in read-only mode from the file', async () => {
    if (!existsSync(MAIN))
      throw new Error(`${MAIN} is missing: run \`npm run build -w core && npm run build -w server\``);
    const file = flagsFile(FILE);
    child = spawn(process.execPath, [MAIN, '--flags-file', file], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        DATABASE_URL: ':memory:',
        SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(async () => expect(output).toMatch(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/));
    const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
    expect(output).toContain('loaded the flags file (read-only mode)');
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const flag = (await (
      await fetch(`${url}${flagPath('checkout-v2')}`, { headers })
    ).json()) as FlagDocument;
    expect(flag.description).toBe('From the file');
    const write = await fetch(`${url}${flagPath('checkout-v2')}`, { method: 'DELETE', headers });
    expect(write.status).toBe(403);
  });
});
