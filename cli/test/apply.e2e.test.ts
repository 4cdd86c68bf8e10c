/** Flags as code: export → edit → apply (plan, dry run, conflicts, one change set) and the round trip. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvironmentRuleset, FlagDocument } from '@switchboard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AuditEntry } from '../src/api-types';
import type { ChangesetResult } from '@switchboard/core';
import type { TestServer } from './helpers';
import { assertCliBuilt, cliFor, json, startServer } from './helpers';

let source: TestServer;
let cli: ReturnType<typeof cliFor>;
const directory = mkdtempSync(join(tmpdir(), 'switchboard-apply-'));
const file = (name: string) => join(directory, name);

async function flag(server: TestServer, key: string): Promise<FlagDocument> {
  return (await server.request<FlagDocument>('GET', `/api/v1/flags/${key}`)).body;
}

async function auditIds(server: TestServer): Promise<number[]> {
  return (await server.request<{ entries: AuditEntry[] }>('GET', '/api/v1/audit?limit=500')).body.entries.map(
    (entry) => entry.id,
  );
}

beforeAll(async () => {
  assertCliBuilt();
  source = await startServer();
  cli = cliFor(source);
  const put = async (path: string, body: unknown) =>
    expect((await source.request('PUT', path, { body })).status).toBe(201);
  await put('/api/v1/segments/beta-testers', { key: 'beta-testers', included: ['alice', 'bob'] });
  const off = { enabled: false, offVariant: 'off', fallthrough: { variant: 'off' } };
  await put('/api/v1/flags/checkout-v2', {
    key: 'checkout-v2',
    description: 'New checkout flow',
    tags: ['payments'],
    variants: { on: true, off: false },
    environments: {
      development: { ...off, enabled: true, fallthrough: { variant: 'on' } },
      staging: off,
      production: {
        enabled: true,
        offVariant: 'off',
        targets: [{ values: ['carol'], variant: 'on' }],
        rules: [
          {
            id: 'eu-beta',
            clauses: [{ attribute: 'country', op: 'in', values: ['DE', 'FR'] }, { segment: 'beta-testers' }],
            serve: { variant: 'on' },
          },
        ],
        fallthrough: {
          rollout: {
            weights: [
              { variant: 'on', weight: 25_000 },
              { variant: 'off', weight: 75_000 },
            ],
          },
        },
      },
    },
  });
  await put('/api/v1/flags/banner', {
    key: 'banner',
    variants: { red: '#f00', blue: '#00f' },
    prerequisites: [{ flag: 'checkout-v2', variants: ['on'] }],
    environments: { development: { ...off, offVariant: 'red', fallthrough: { variant: 'blue' } } },
  });
  // Kill state is incident state, not configuration: exports leave it out.
  expect((await cli(['kill', 'checkout-v2', '--env', 'production', '--reason', 'INC-1'])).code).toBe(0);
});

afterAll(async () => {
  await source?.close();
});

describe('export', () => {
  it('writes stable YAML: the same bytes twice, sorted keys, base versions, nothing volatile', async () => {
    const first = await cli(['export']);
    const second = await cli(['export', '--output', file('flags.yaml')]);
    expect(first.code).toBe(0);
    expect(second.stderr).toContain(`Wrote ${file('flags.yaml')}`);
    expect(readFileSync(file('flags.yaml'), 'utf8')).toBe(first.stdout);
    expect(first.stdout).not.toMatch(/killed|INC-1|\d{4}-\d{2}-\d{2}T/);
    const parsed = parse(first.stdout) as { flags: Record<string, { version: number }> };
    expect(Object.keys(parsed.flags)).toEqual(['banner', 'checkout-v2']);
    expect(parsed.flags['checkout-v2']?.version).toBe((await flag(source, 'checkout-v2')).version);
    expect(first.stdout).toMatch(
      /checkout-v2:\n {4}description: New checkout flow\n {4}environments:\n {6}development:/,
    );
  });

  it('writes an SDK bootstrap file: the ruleset of one environment', async () => {
    const ruleset = json<EnvironmentRuleset>(
      await cli(['export', '--env', 'production', '--format', 'sdk-bootstrap']),
    );
    expect(ruleset.environment).toBe('production');
    expect(Object.keys(ruleset.flags)).toEqual(['checkout-v2']);
    expect(ruleset.flags['checkout-v2']).toMatchObject({ key: 'checkout-v2', killed: { reason: 'INC-1' } });
    expect(ruleset.segments['beta-testers']?.included).toEqual(['alice', 'bob']);
    const missing = await cli(['export', '--format', 'sdk-bootstrap']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--format sdk-bootstrap needs --env');
  });
});

describe('apply', () => {
  it('--dry-run shows the plan with diffs and changes nothing', async () => {
    const edited = readFileSync(file('flags.yaml'), 'utf8')
      .replace('description: New checkout flow', 'description: The new checkout flow')
      .replace(/\n {2}banner:\n(?: {4}.*\n)+/, '\n')
      .replace('segments:\n', 'segments:\n  staff:\n    included: [dave]\n');
    writeFileSync(file('edited.yaml'), edited);
    const before = { flag: await flag(source, 'checkout-v2'), audit: await auditIds(source) };

    const result = await cli(['apply', '-f', file('edited.yaml'), '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Plan: 1 to create, 1 to change, 1 to delete (1 unchanged).');
    expect(result.stdout).toContain('+ segment staff');
    expect(result.stdout).toContain(
      `~ flag checkout-v2 (version ${before.flag.version} → ${before.flag.version + 1})`,
    );
    expect(result.stdout).toContain('    ~ /description: "New checkout flow" → "The new checkout flow"');
    expect(result.stdout).toContain('- flag banner');
    expect(result.stdout).toContain('Dry run: nothing was changed.');

    expect(await flag(source, 'checkout-v2')).toEqual(before.flag);
    expect((await source.request('GET', '/api/v1/flags/banner')).status).toBe(200);
    expect(await auditIds(source)).toEqual(before.audit);
  });

  it('applies everything as one audited change set with the message, keeping kill states', async () => {
    const before = await auditIds(source);
    const result = json<ChangesetResult>(
      await cli(['apply', '-f', file('edited.yaml'), '--message', 'Q3 cleanup', '--json']),
    );
    expect(result.changes.map((change) => `${change.action} ${change.kind} ${change.key}`).sort()).toEqual([
      'create segment staff',
      'delete flag banner',
      'update flag checkout-v2',
    ]);
    expect(result.changeSet).toMatch(/^cs_/);

    const entries = (await source.request<{ entries: AuditEntry[] }>('GET', '/api/v1/audit?limit=500')).body
      .entries;
    const added = entries.filter((entry) => !before.includes(entry.id));
    expect(added).toHaveLength(3);
    for (const entry of added) expect(entry.reason).toBe(`Q3 cleanup [change set ${result.changeSet}]`);
    const ids = added.map((entry) => entry.id).sort((a, b) => a - b);
    expect(ids[2]! - ids[0]!).toBe(2);

    const updated = await flag(source, 'checkout-v2');
    expect(updated.description).toBe('The new checkout flow');
    expect(updated.environments.production?.killed).toMatchObject({ reason: 'INC-1' });
    expect((await source.request('GET', '/api/v1/flags/banner')).status).toBe(404);

    // Applying the same file again finds nothing to do (items that already match are no conflict).
    const again = await cli(['apply', '-f', file('edited.yaml')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('No changes: the server already matches the file (3 items).\n');
  });

  it('refuses to overwrite a change made since the export (exit 3) unless --force', async () => {
    await cli(['export', '--output', file('current.yaml')]);
    writeFileSync(
      file('current.yaml'),
      readFileSync(file('current.yaml'), 'utf8').replace('The new checkout flow', 'From the file'),
    );
    expect((await cli(['flags', 'set', 'checkout-v2', '--env', 'staging', '--on'])).code).toBe(0);
    const changed = await flag(source, 'checkout-v2');

    const refused = await cli(['apply', '-f', file('current.yaml')]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^switchboard: conflict: 1 item changed on the server since the export/m);
    expect(refused.stdout).toContain('! changed on the server since the export');
    expect(await flag(source, 'checkout-v2')).toEqual(changed);

    const forced = await cli(['apply', '-f', file('current.yaml'), '--force']);
    expect(forced.code).toBe(0);
    const overwritten = await flag(source, 'checkout-v2');
    expect(overwritten.description).toBe('From the file');
    expect(overwritten.environments.staging?.enabled).toBe(false);
  });

  it('with an environment-scoped file changes that environment only', async () => {
    const scoped = await cli(['export', '--env', 'development']);
    expect(scoped.stdout).toContain('environment: development\n');
    expect(scoped.stdout).not.toContain('production:');
    writeFileSync(file('development.yaml'), scoped.stdout.replace(/enabled: true/, 'enabled: false'));
    const before = await flag(source, 'checkout-v2');
    expect((await cli(['apply', '-f', file('development.yaml')])).code).toBe(0);
    const after = await flag(source, 'checkout-v2');
    expect(after.environments.development?.enabled).toBe(false);
    expect(after.environments.production).toEqual(before.environments.production);
    expect(after.environments.staging).toEqual(before.environments.staging);
  });

  it('export → apply on an empty server reproduces the same flags and segments', async () => {
    const target = await startServer();
    try {
      await cli(['export', '--output', file('round-trip.yaml')]);
      const applied = await cliFor(target)(['apply', '-f', file('round-trip.yaml'), '-m', 'copy']);
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain('Plan: 3 to create, 0 to change, 0 to delete');
      const exported = await cliFor(target)(['export']);
      const withoutVersions = (text: string) => text.replace(/^ {4}version: \d+\n/gm, '');
      expect(withoutVersions(exported.stdout)).toBe(
        withoutVersions(readFileSync(file('round-trip.yaml'), 'utf8')),
      );
    } finally {
      await target.close();
    }
  });

  it('a malformed file names the line and field, and sends nothing', async () => {
    const before = await auditIds(source);
    writeFileSync(
      file('broken.yaml'),
      [
        'flags:',
        '  checkout-v2:',
        '    variants: { on: true, off: false }',
        '    environments:',
        '      production:',
        '        enabled: sometimes',
        '        offVariant: off',
        '        fallthrough: { variant: off }',
        '',
      ].join('\n'),
    );
    const result = await cli(['apply', '-f', file('broken.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^switchboard: ${file('broken.yaml').replace(/[.\\/]/g, '\\$&')}:6:9: flags\\.checkout-v2\\.environments\\.production\\.enabled: `,
      ),
    );
    writeFileSync(file('syntax.yaml'), 'flags:\n  checkout-v2:\n    tags: [payments\n');
    const syntax = await cli(['apply', '-f', file('syntax.yaml')]);
    expect(syntax.code).toBe(1);
    // The parser notices the unclosed list at the end of the file; the field still says where it is.
    expect(syntax.stderr).toMatch(
      /syntax\.yaml:4:1: flags\.checkout-v2\.tags\[0\]: invalid YAML: Flow sequence/,
    );
    const missing = await cli(['apply', '-f', file('missing.yaml')]);
    expect(missing.stderr).toContain('no such file');
    expect(await auditIds(source)).toEqual(before);
  });

  it('needs write permission: a responder gets exit 2', async () => {
    const responder = await source.token('responder');
    const result = await cliFor(source, responder)(['apply', '-f', file('round-trip.yaml'), '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^switchboard: permission denied: /);
  });
});
