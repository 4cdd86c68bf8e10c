/** POST /api/v1/changesets: a desired state of flags and segments, planned and applied atomically. */
import type { FlagDocument, SegmentDocument } from '@switchboard/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangesetResult } from '../src/mutations/changesets';
import type { Json, TestServer } from './helpers';
import { booleanFlag, flagPath, startServer } from './helpers';

let server: TestServer;

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  await server.close();
});

const post = (body: unknown, token?: string | null) =>
  server.request('POST', '/api/v1/changesets', { body, token });

async function flags(): Promise<FlagDocument[]> {
  return (await server.request<{ flags: FlagDocument[] }>('GET', '/api/v1/flags?limit=500')).body.flags;
}

async function auditEntries(): Promise<Json[]> {
  return (await server.request('GET', '/api/v1/audit?limit=500')).body.entries;
}

async function environmentSeqs(): Promise<Record<string, number>> {
  const { environments } = (await server.request('GET', '/api/v1/environments')).body as {
    environments: Array<{ key: string; seq: number }>;
  };
  return Object.fromEntries(environments.map((environment) => [environment.key, environment.seq]));
}

async function putFlag(document: Omit<FlagDocument, 'version'>): Promise<FlagDocument> {
  const reply = await server.request<FlagDocument>('PUT', flagPath(document.key), { body: document });
  expect(reply.status).toBe(201);
  return reply.body;
}

const segment = (key: string, included: string[]): Omit<SegmentDocument, 'version'> => ({ key, included });

function withRule(flag: Omit<FlagDocument, 'version'>, segmentKey: string): Omit<FlagDocument, 'version'> {
  const production = flag.environments.production!;
  return {
    ...flag,
    environments: {
      ...flag.environments,
      production: {
        ...production,
        rules: [{ id: 'beta', clauses: [{ segment: segmentKey }], serve: { variant: 'on' } }],
      },
    },
  };
}

describe('POST /api/v1/changesets', () => {
  it('plans a dry run: creates, updates and deletes with diffs, and changes nothing', async () => {
    const existing = await putFlag(booleanFlag('checkout-v2'));
    await putFlag(booleanFlag('old-flag'));
    const auditBefore = await auditEntries();
    const seqsBefore = await environmentSeqs();

    const reply = await post({
      message: 'plan only',
      dryRun: true,
      flags: [
        { ...booleanFlag('checkout-v2'), description: 'changed', version: existing.version },
        withRule(booleanFlag('new-flag'), 'beta-testers'),
      ],
      segments: [segment('beta-testers', ['alice'])],
    });
    expect(reply.status).toBe(200);
    const plan = reply.body as ChangesetResult;
    expect(plan).toMatchObject({ dryRun: true, changeSet: null, unchanged: 0, message: 'plan only' });
    expect(plan.changes.map((change) => `${change.action} ${change.kind} ${change.key}`)).toEqual([
      'create segment beta-testers',
      'update flag checkout-v2',
      'create flag new-flag',
      'delete flag old-flag',
    ]);
    expect(plan.changes[1]).toMatchObject({
      currentVersion: 1,
      baseVersion: 1,
      newVersion: 2,
      conflict: false,
      diff: [{ op: 'replace', path: '/description', before: 'the checkout-v2 flag', after: 'changed' }],
    });

    expect(await auditEntries()).toEqual(auditBefore);
    expect(await environmentSeqs()).toEqual(seqsBefore);
    expect((await flags()).map((flag) => flag.key)).toEqual(['checkout-v2', 'old-flag']);
  });

  it('applies everything in one transaction, auditing each change with the message and change set id', async () => {
    const existing = await putFlag(booleanFlag('checkout-v2'));
    await putFlag(booleanFlag('old-flag'));
    const auditBefore = (await auditEntries()).length;
    const seqsBefore = await environmentSeqs();

    const reply = await post({
      message: 'Q3 cleanup',
      flags: [
        { ...booleanFlag('checkout-v2'), description: 'changed', version: existing.version },
        withRule(booleanFlag('new-flag'), 'beta-testers'),
      ],
      segments: [segment('beta-testers', ['alice'])],
    });
    expect(reply.status).toBe(200);
    const result = reply.body as ChangesetResult;
    expect(result.changeSet).toMatch(/^cs_[0-9a-f]{12}$/);

    const entries = (await auditEntries()).slice(0, 4);
    expect((await auditEntries()).length).toBe(auditBefore + 4);
    expect(entries.map((entry) => `${entry.action} ${entry.target.key}`).reverse()).toEqual([
      'segment.create beta-testers',
      'flag.update checkout-v2',
      'flag.create new-flag',
      'flag.delete old-flag',
    ]);
    for (const entry of entries) expect(entry.reason).toBe(`Q3 cleanup [change set ${result.changeSet}]`);

    expect((await flags()).map((flag) => `${flag.key}@${flag.version}`)).toEqual([
      'checkout-v2@2',
      'new-flag@1',
    ]);
    const seqs = await environmentSeqs();
    expect(seqs.production).toBeGreaterThan(seqsBefore.production!);
    expect((await server.request('GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true });
  });

  it('changes nothing at all when one item is invalid, naming it by request pointer', async () => {
    await putFlag(booleanFlag('checkout-v2'));
    const auditBefore = await auditEntries();
    const broken = booleanFlag('broken');
    broken.environments.production = { ...broken.environments.production!, offVariant: 'maybe' };
    const reply = await post({
      message: 'm',
      flags: [booleanFlag('fine'), broken],
      segments: [],
    });
    expect(reply.status).toBe(422);
    expect(reply.body.details).toContainEqual({
      path: '/flags/1/environments/production/offVariant',
      problem: 'unknown variant "maybe"',
    });
    expect((await flags()).map((flag) => flag.key)).toEqual(['checkout-v2']);
    expect(await auditEntries()).toEqual(auditBefore);
  });

  it('checks references across the resulting state: segments, prerequisites, environments, duplicates', async () => {
    const uses = withRule(booleanFlag('uses-segment'), 'gone');
    const missingSegment = await post({ message: 'm', flags: [uses], segments: [] });
    expect(missingSegment.status).toBe(422);
    expect(missingSegment.body.details[0]).toMatchObject({
      path: '/flags/0/environments/production/rules/0/clauses/0/segment',
    });

    const needsOn = { ...booleanFlag('child'), prerequisites: [{ flag: 'parent', variants: ['on'] }] };
    const parent = { ...booleanFlag('parent'), variants: { yes: true, off: false } };
    parent.environments = {
      production: { enabled: false, offVariant: 'off', fallthrough: { variant: 'off' } },
    };
    const prerequisite = await post({ message: 'm', flags: [needsOn, parent], segments: [] });
    expect(prerequisite.status).toBe(422);
    expect(JSON.stringify(prerequisite.body.details)).toContain('/flags/0/prerequisites');

    const unknownEnvironment = booleanFlag('far');
    unknownEnvironment.environments = { mars: unknownEnvironment.environments.production! };
    const environment = await post({ message: 'm', flags: [unknownEnvironment], segments: [] });
    expect(environment.status).toBe(422);
    expect(environment.body.details).toContainEqual({
      path: '/flags/0/environments/mars',
      problem: 'unknown environment "mars"',
    });

    const duplicate = await post({
      message: 'm',
      flags: [booleanFlag('twice'), booleanFlag('twice')],
      segments: [],
    });
    expect(duplicate.status).toBe(422);
    expect(duplicate.body.details).toContainEqual({
      path: '/flags/1/key',
      problem: '"twice" appears more than once',
    });
    expect(await flags()).toEqual([]);
  });

  it('refuses to overwrite items changed since their base version (409 with the plan) unless forced', async () => {
    const exported = await putFlag(booleanFlag('checkout-v2'));
    await server.request('PUT', `${flagPath('checkout-v2')}/environments/staging/enabled`, {
      body: { enabled: false },
    });
    const current = (await server.request<FlagDocument>('GET', flagPath('checkout-v2'))).body;
    const desired = {
      ...booleanFlag('checkout-v2'),
      description: 'from the file',
      version: exported.version,
    };

    const refused = await post({ message: 'm', flags: [desired], segments: [] });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: 'conflict',
      message: '1 item changed on the server since the export; export again, or force',
      details: [
        {
          path: '/flags/checkout-v2',
          problem: 'changed on the server: version 2, the request is based on 1',
        },
      ],
      plan: { changes: [{ key: 'checkout-v2', action: 'update', conflict: true }] },
    });
    expect((await server.request('GET', flagPath('checkout-v2'))).body).toEqual(current);

    const forced = await post({ message: 'm', force: true, flags: [desired], segments: [] });
    expect(forced.status).toBe(200);
    expect((await server.request('GET', flagPath('checkout-v2'))).body).toMatchObject({
      description: 'from the file',
      version: 3,
      environments: { staging: { enabled: true } },
    });
  });

  it('treats an item created since the export (no base version) as a conflict, and matching items as none', async () => {
    await putFlag(booleanFlag('checkout-v2'));
    const created = await post({
      message: 'm',
      flags: [{ ...booleanFlag('checkout-v2'), description: 'mine' }],
      segments: [],
    });
    expect(created.status).toBe(409);
    expect(created.body.details[0].problem).toBe(
      'exists on the server (version 1) but the request has no base version',
    );

    const same = await post({
      message: 'm',
      flags: [{ ...booleanFlag('checkout-v2'), version: 99 }],
      segments: [],
    });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ changes: [], unchanged: 1, changeSet: null });
  });

  it('never changes kill states', async () => {
    const flag = await putFlag(booleanFlag('checkout-v2'));
    await server.request('POST', `${flagPath('checkout-v2')}/environments/production/kill`, {
      body: { reason: 'INC-7' },
    });
    const killed = (await server.request<FlagDocument>('GET', flagPath('checkout-v2'))).body;
    const reply = await post({
      message: 'm',
      force: true,
      flags: [{ ...booleanFlag('checkout-v2'), description: 'edited', version: flag.version }],
      segments: [],
    });
    expect(reply.status).toBe(200);
    const after = (await server.request<FlagDocument>('GET', flagPath('checkout-v2'))).body;
    expect(after.environments.production?.killed).toEqual(killed.environments.production?.killed);
    expect(after.description).toBe('edited');
  });

  it('with `environment`, replaces only that environment and gives new flags an off configuration elsewhere', async () => {
    const existing = await putFlag(booleanFlag('checkout-v2'));
    const production = { enabled: true, offVariant: 'off', fallthrough: { variant: 'on' } };
    const reply = await post({
      message: 'production only',
      environment: 'production',
      flags: [
        { ...booleanFlag('checkout-v2'), environments: { production }, version: existing.version },
        { ...booleanFlag('brand-new'), environments: { production } },
      ],
      segments: [],
    });
    expect(reply.status).toBe(200);
    const updated = (await server.request<FlagDocument>('GET', flagPath('checkout-v2'))).body;
    expect(updated.environments.production).toEqual({ ...production, killed: null });
    expect(updated.environments.staging).toEqual(existing.environments.staging);
    const created = (await server.request<FlagDocument>('GET', flagPath('brand-new'))).body;
    expect(Object.keys(created.environments).sort()).toEqual(['development', 'production', 'staging']);
    expect(created.environments.staging).toEqual({
      enabled: false,
      offVariant: 'off',
      fallthrough: { variant: 'off' },
      killed: null,
    });

    const other = await post({
      message: 'm',
      environment: 'production',
      flags: [{ ...booleanFlag('x'), environments: { staging: production } }],
      segments: [],
    });
    expect(other.status).toBe(422);
    expect(other.body.details[0]).toEqual({
      path: '/flags/0/environments/staging',
      problem: 'the change set manages only environment "production"',
    });
    const unknown = await post({ message: 'm', environment: 'mars', flags: [], segments: [] });
    expect(unknown.status).toBe(404);
  });

  it('needs write permission and a well-formed body', async () => {
    const body = { message: 'm', flags: [], segments: [] };
    expect((await post(body, await server.token('responder'))).status).toBe(403);
    expect((await post(body, await server.token('viewer'))).status).toBe(403);
    expect((await post(body, null)).status).toBe(401);
    expect((await post({ flags: [], segments: [] })).status).toBe(400);
    expect((await post({ ...body, message: '' })).status).toBe(400);
    expect((await post({ ...body, extra: true })).status).toBe(400);
    expect((await post({ message: 'm', flags: [] })).status).toBe(400);
    expect((await post({ ...body, flags: [{ key: 'x' }] })).status).toBe(400);
  });
});
