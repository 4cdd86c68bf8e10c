import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { FlagDocument } from '@switchboard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult, TestServer } from './helpers';
import { ADMIN_TOKEN, assertCliBuilt, cliFor, isolatedConfig, json, runCli, startServer } from './helpers';

let server: TestServer;
let admin: ReturnType<typeof cliFor>;

beforeAll(async () => {
  assertCliBuilt();
  server = await startServer();
  admin = cliFor(server);
  expect((await admin(['flags', 'create', 'checkout-v2', '--tag', 'payments'])).code).toBe(0);
});

afterAll(async () => {
  await server?.close();
});

/** A failure is one line on stderr, never a stack trace, and nothing on stdout. */
function expectOneLineFailure(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('exit codes', () => {
  it('0 on success', async () => {
    expect((await admin(['flags', 'list'])).code).toBe(0);
  });

  it('1 for usage errors: unknown commands, missing options, contradicting arguments', async () => {
    const unknown = await admin(['flag', 'list']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown command 'flag'");
    const missing = await admin(['kill', 'checkout-v2', '--reason', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--env <environment>' not specified");
    expectOneLineFailure(
      await admin(['kill', 'checkout-v2', '--tag', 'payments', '--env', 'production', '--reason', 'x']),
      1,
      /either a flag key or --tag/,
    );
    expectOneLineFailure(
      await admin(['eval', 'checkout-v2', '--env', 'production', '--context', '{oops']),
      1,
      /invalid --context: not JSON/,
    );
  });

  it('1 when the server rejects the input (422), naming the problem', async () => {
    expectOneLineFailure(
      await admin(['rollout', 'checkout-v2', '--env', 'production', '--weights', 'on=50,maybe=50']),
      1,
      /^switchboard: rejected: .*unknown variant "maybe"/,
    );
  });

  it('2 without a token, with an unknown token, and with a revoked one', async () => {
    expectOneLineFailure(
      await runCli(['flags', 'list'], { env: { SWITCHBOARD_URL: server.url } }),
      2,
      /no token: pass --token/,
    );
    expectOneLineFailure(
      await cliFor(server, 'sb_admin_not-a-real-token')(['flags', 'list']),
      2,
      /^switchboard: not authenticated: /,
    );
    const viewer = json<{ id: string; token: string }>(
      await admin(['tokens', 'create', '--name', 'dashboards', '--kind', 'viewer', '--json']),
    );
    expect((await cliFor(server, viewer.token)(['flags', 'list'])).code).toBe(0);
    expect((await admin(['tokens', 'revoke', viewer.id])).code).toBe(0);
    expectOneLineFailure(await cliFor(server, viewer.token)(['flags', 'list']), 2, /not authenticated/);
  });

  it('3 on a conflict: creating a flag that exists', async () => {
    expectOneLineFailure(
      await admin(['flags', 'create', 'checkout-v2']),
      3,
      /^switchboard: conflict: flag "checkout-v2" already exists/,
    );
  });

  it('4 for a flag that does not exist', async () => {
    expectOneLineFailure(
      await admin(['flags', 'get', 'no-such-flag']),
      4,
      /^switchboard: not found: flag "no-such-flag" does not exist/,
    );
    expectOneLineFailure(
      await admin(['kill', 'no-such-flag', '--env', 'production', '--reason', 'x']),
      4,
      /not found: flag "no-such-flag" does not exist/,
    );
  });

  it('5 when nothing listens at the URL', async () => {
    const port = await closedPort();
    expectOneLineFailure(
      await runCli(['flags', 'list'], {
        env: { SWITCHBOARD_URL: `http://127.0.0.1:${port}`, SWITCHBOARD_TOKEN: ADMIN_TOKEN },
      }),
      5,
      new RegExp(`cannot reach the server at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`),
    );
  });
});

describe('roles', () => {
  it('a responder token can kill and unkill, but `flags set` exits 2 with a clear message', async () => {
    const responderToken = json<{ token: string }>(
      await admin(['tokens', 'create', '--name', 'oncall', '--kind', 'responder', '--json']),
    ).token;
    const responder = cliFor(server, responderToken);

    const killed = await responder([
      'kill',
      'checkout-v2',
      '--env',
      'production',
      '--reason',
      'INC-1 payments 500s',
    ]);
    expect(killed.code).toBe(0);
    expect(killed.stdout).toMatch(/KILLED checkout-v2 in production \(version \d+\)/);
    const flag = (await server.request<FlagDocument>('GET', '/api/v1/flags/checkout-v2')).body;
    expect(flag.environments.production?.killed).toMatchObject({
      by: 'oncall',
      reason: 'INC-1 payments 500s',
    });

    const set = await responder(['flags', 'set', 'checkout-v2', '--env', 'production', '--on']);
    expectOneLineFailure(set, 2, /^switchboard: permission denied: /);
    expect(set.stderr).toContain('responder');
    expect((await server.request<FlagDocument>('GET', '/api/v1/flags/checkout-v2')).body.version).toBe(
      flag.version,
    );

    expect((await responder(['unkill', 'checkout-v2', '--env', 'production'])).code).toBe(0);
    expect(
      (await server.request<FlagDocument>('GET', '/api/v1/flags/checkout-v2')).body.environments.production
        ?.killed,
    ).toBeNull();
  });
});

describe('tokens', () => {
  it('creates (secret shown once), lists (never secrets) and revokes', async () => {
    const created = await admin([
      'tokens',
      'create',
      '--name',
      'checkout-service',
      '--kind',
      'server',
      '--env',
      'production',
    ]);
    expect(created.code).toBe(0);
    const secret = /Secret \(shown only now\): (\S+)/.exec(created.stdout)?.[1];
    const id = /\(id (\S+)\)/.exec(created.stdout)?.[1];
    expect(secret).toMatch(/^sb_server_/);

    const listed = await admin(['tokens', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+checkout-service\\s+server\\s+production`));
    expect(listed.stdout).not.toContain(secret);

    expect((await admin(['tokens', 'revoke', id!])).stdout).toBe(`Revoked token ${id}.\n`);
    const active = json<Array<{ id: string }>>(await admin(['tokens', 'list', '--json']));
    expect(active.map((token) => token.id)).not.toContain(id);
    const all = json<Array<{ id: string; revokedAt: string | null }>>(
      await admin(['tokens', 'list', '--all', '--json']),
    );
    expect(all.find((token) => token.id === id)?.revokedAt).not.toBeNull();
  });

  it('an SDK key needs --env, other kinds refuse it', async () => {
    expectOneLineFailure(
      await admin(['tokens', 'create', '--name', 'x', '--kind', 'client']),
      1,
      /a client key needs --env/,
    );
    expectOneLineFailure(
      await admin(['tokens', 'create', '--name', 'x', '--kind', 'viewer', '--env', 'production']),
      1,
      /--env is only for server and client keys/,
    );
  });
});

describe('login', () => {
  it('checks the token, saves a profile readable only by the user, and later commands use it', async () => {
    const profile = isolatedConfig();
    const login = await runCli(['login', '--url', server.url], {
      env: { SWITCHBOARD_CONFIG: profile },
      input: `${ADMIN_TOKEN}\n`,
    });
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Logged in to ${server.url} as `);
    expect(login.stdout).toContain('(admin)');
    expect(statSync(profile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(profile, 'utf8'))).toEqual({ url: server.url, token: ADMIN_TOKEN });

    const list = await runCli(['flags', 'list', '--json'], { env: { SWITCHBOARD_CONFIG: profile } });
    expect(json<FlagDocument[]>(list).map((flag) => flag.key)).toContain('checkout-v2');

    expect((await runCli(['logout'], { env: { SWITCHBOARD_CONFIG: profile } })).code).toBe(0);
    expect(existsSync(profile)).toBe(false);
  });

  it('refuses a token the server does not accept and saves nothing', async () => {
    const profile = isolatedConfig();
    const login = await runCli(['login', '--url', server.url, '--token', 'sb_admin_wrong'], {
      env: { SWITCHBOARD_CONFIG: profile },
    });
    expectOneLineFailure(login, 2, /not authenticated/);
    expect(existsSync(profile)).toBe(false);
  });

  it('refuses an SDK key, which cannot use the admin API', async () => {
    const profile = isolatedConfig();
    const sdkKey = await server.token('server', 'production');
    const login = await runCli(['login', '--url', server.url, '--token', sdkKey], {
      env: { SWITCHBOARD_CONFIG: profile },
    });
    expectOneLineFailure(
      login,
      2,
      /is a server SDK key; the CLI needs an admin, editor, responder or viewer token/,
    );
    expect(existsSync(profile)).toBe(false);
  });
});
