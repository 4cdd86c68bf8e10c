/** `switchboard import unleash` (the built CLI) against a real server: dry run, refusal, import, exit codes. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../cli/test/helpers';
import { assertCliBuilt, cliFor, json, startServer } from '../cli/test/helpers';

let server: TestServer;
let cli: ReturnType<typeof cliFor>;
const directory = mkdtempSync(join(tmpdir(), 'switchboard-unleash-cli-'));

function payloadFile(name: string, payload: unknown): string {
  const path = join(directory, name);
  writeFileSync(path, JSON.stringify(payload));
  return path;
}

const features = [
  {
    name: 'new-checkout',
    enabled: true,
    strategies: [{ name: 'userWithId', parameters: { userIds: 'alice,bob' } }],
  },
  { name: 'legacy-widget', enabled: true, strategies: [{ name: 'myCompanyStrategy', parameters: {} }] },
];

beforeAll(async () => {
  assertCliBuilt();
  server = await startServer();
  cli = cliFor(server);
});
afterAll(() => server.close());

describe('switchboard import unleash', () => {
  it('shows the report and plan with --dry-run, changing nothing', async () => {
    const file = payloadFile('one.json', { version: 2, features: [features[0]] });
    const result = await cli(['import', 'unleash', '--file', file, '--env', 'production', '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Unleash client-features → production');
    expect(result.stdout).toContain('1 feature: 1 translated');
    expect(result.stdout).toContain('+ flag new-checkout');
    expect(result.stdout).toContain('Dry run: nothing was changed.');
    expect((await server.request('GET', '/api/v1/flags/new-checkout')).status).toBe(404);
  });

  it('refuses (exit 1) when a feature cannot be carried over, naming it and the reason', async () => {
    const file = payloadFile('two.json', { version: 2, features });
    const result = await cli(['import', 'unleash', '-f', file, '--env', 'production']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/legacy-widget\s+cannot import\s+strategy 1: strategy "myCompanyStrategy"/);
    expect(result.stderr).toContain('1 Unleash feature cannot be imported exactly; nothing was changed');
    expect((await server.request('GET', '/api/v1/flags/new-checkout')).status).toBe(404);
  });

  it('imports the others with --skip-untranslatable, as one change set', async () => {
    const file = payloadFile('two.json', { version: 2, features });
    const result = await cli([
      'import',
      'unleash',
      '-f',
      file,
      '--env',
      'production',
      '--skip-untranslatable',
      '--json',
    ]);
    const body = json<{ changeset: { changeSet: string; changes: Array<{ key: string }> } }>(result);
    expect(body.changeset.changeSet).toMatch(/^cs_/);
    expect(body.changeset.changes.map((change) => change.key)).toEqual(['new-checkout']);
    const evaluated = await cli([
      'eval',
      'new-checkout',
      '--env',
      'production',
      '--context',
      '{"userId":"alice"}',
      '--json',
    ]);
    expect(json<{ value: unknown }>(evaluated).value).toBe(true);
  });

  it('reports unreadable input as a usage error', async () => {
    const notJson = join(directory, 'broken.json');
    writeFileSync(notJson, '{ not json');
    expect((await cli(['import', 'unleash', '-f', notJson, '--env', 'production'])).code).toBe(1);
    expect(
      (await cli(['import', 'unleash', '-f', join(directory, 'missing.json'), '--env', 'production'])).stderr,
    ).toContain('no such file');
    const file = payloadFile('one.json', { features: [] });
    expect((await cli(['import', 'unleash', '-f', file, '--env', 'nowhere'])).code).toBe(4);
  });
});
