import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/audit/canonical';
import { hashEntry } from '../src/audit/chain';
import { jsonDiff } from '../src/audit/diff';
import type { Json, TestServer } from './helpers';
import { booleanFlag, flagPath, startServer } from './helpers';

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  await server.close();
});

/** Entries appended after the first `skip` (the bootstrap entries), oldest first. */
async function entriesSince(skip: number): Promise<Json[]> {
  const reply = await server.request('GET', '/api/v1/audit?limit=500');
  return (reply.body.entries as Json[]).reverse().slice(skip);
}

describe('audit log', () => {
  it('records every mutation with actor, action, target, reason, before, after and diff', async () => {
    const bootstrap = (await entriesSince(0)).length;
    // The configured admin token and the three default environments.
    expect(bootstrap).toBe(4);

    const editor = await server.token('editor');
    const v1 = (
      await server.request('PUT', flagPath('audited'), { body: booleanFlag('audited'), token: editor })
    ).body;
    const v2 = (
      await server.request('PUT', `${flagPath('audited')}?reason=${encodeURIComponent('new copy')}`, {
        body: { ...booleanFlag('audited', { description: 'new' }), version: 1 },
        token: editor,
      })
    ).body;
    const v3 = (
      await server.request('PUT', `${flagPath('audited')}/environments/production/enabled`, {
        body: { enabled: false, reason: 'too early' },
      })
    ).body;
    const v4 = (
      await server.request('POST', `${flagPath('audited')}/environments/production/kill`, {
        body: { reason: 'fire' },
      })
    ).body;
    const v5 = (await server.request('POST', `${flagPath('audited')}/environments/production/unkill`)).body;
    await server.request('DELETE', flagPath('audited'));
    const segment = (
      await server.request('PUT', '/api/v1/segments/s', { body: { key: 's', included: ['a'] } })
    ).body;
    await server.request('DELETE', '/api/v1/segments/s');
    const environment = (await server.request('POST', '/api/v1/environments', { body: { key: 'qa' } })).body;
    const token = (
      await server.request('POST', '/api/v1/tokens', { body: { name: 'robot', kind: 'viewer' } })
    ).body;
    const revoked = (await server.request('DELETE', `/api/v1/tokens/${token.id}`)).body;

    const entries = await entriesSince(bootstrap + 1); // + the editor token created above
    const summary = entries.map(({ action, target, environment: env, reason, before, after }) => ({
      action,
      target,
      environment: env,
      reason,
      before,
      after,
    }));
    const { token: _secret, ...tokenInfo } = token;
    expect(summary).toEqual([
      {
        action: 'flag.create',
        target: { kind: 'flag', key: 'audited' },
        environment: null,
        reason: null,
        before: null,
        after: v1,
      },
      {
        action: 'flag.update',
        target: { kind: 'flag', key: 'audited' },
        environment: null,
        reason: 'new copy',
        before: v1,
        after: v2,
      },
      {
        action: 'flag.disable',
        target: { kind: 'flag', key: 'audited' },
        environment: 'production',
        reason: 'too early',
        before: v2,
        after: v3,
      },
      {
        action: 'flag.kill',
        target: { kind: 'flag', key: 'audited' },
        environment: 'production',
        reason: 'fire',
        before: v3,
        after: v4,
      },
      {
        action: 'flag.unkill',
        target: { kind: 'flag', key: 'audited' },
        environment: 'production',
        reason: null,
        before: v4,
        after: v5,
      },
      {
        action: 'flag.delete',
        target: { kind: 'flag', key: 'audited' },
        environment: null,
        reason: null,
        before: v5,
        after: null,
      },
      {
        action: 'segment.create',
        target: { kind: 'segment', key: 's' },
        environment: null,
        reason: null,
        before: null,
        after: segment,
      },
      {
        action: 'segment.delete',
        target: { kind: 'segment', key: 's' },
        environment: null,
        reason: null,
        before: segment,
        after: null,
      },
      {
        action: 'environment.create',
        target: { kind: 'environment', key: 'qa' },
        environment: 'qa',
        reason: null,
        before: null,
        after: environment,
      },
      {
        action: 'token.create',
        target: { kind: 'token', key: token.id },
        environment: null,
        reason: null,
        before: null,
        after: { ...tokenInfo, revokedAt: null },
      },
      {
        action: 'token.revoke',
        target: { kind: 'token', key: token.id },
        environment: null,
        reason: null,
        before: { ...tokenInfo, revokedAt: null },
        after: revoked,
      },
    ]);

    expect(entries[0].actor).toEqual({
      tokenId: expect.stringMatching(/^tok_/),
      name: expect.stringMatching(/^editor-/),
    });
    expect(entries[2].actor).toEqual({
      tokenId: 'tok_configured_admin',
      name: 'admin (SWITCHBOARD_ADMIN_TOKEN)',
    });
    expect(entries[2].diff).toEqual([
      { op: 'replace', path: '/environments/production/enabled', before: true, after: false },
      { op: 'replace', path: '/version', before: 2, after: 3 },
    ]);
    expect(entries[0].diff).toEqual([{ op: 'add', path: '' }]);
    for (const entry of entries) {
      if (entry.before !== null && entry.after !== null)
        expect(entry.diff).toEqual(jsonDiff(entry.before, entry.after));
    }
  });

  it('filters by flag, actor, action and time range, newest first, with cursor paging', async () => {
    const editor = await server.token('editor');
    for (const key of ['f1', 'f2', 'f1-other']) {
      await server.request('PUT', flagPath(key), { body: booleanFlag(key), token: editor });
    }
    await server.request('POST', `${flagPath('f1')}/environments/production/kill`, { body: { reason: 'x' } });

    const byFlag = await server.request('GET', '/api/v1/audit?flag=f1');
    expect(byFlag.body.entries.map((entry: Json) => entry.action)).toEqual(['flag.kill', 'flag.create']);

    const byAction = await server.request('GET', '/api/v1/audit?action=flag.create');
    expect(byAction.body.entries.map((entry: Json) => entry.target.key)).toEqual(['f1-other', 'f2', 'f1']);

    const editorName = byAction.body.entries[0].actor.name as string;
    const editorId = byAction.body.entries[0].actor.tokenId as string;
    for (const actor of [editorName, editorId]) {
      const byActor = await server.request('GET', `/api/v1/audit?actor=${encodeURIComponent(actor)}`);
      expect(byActor.body.entries).toHaveLength(3);
    }

    const all = (await server.request('GET', '/api/v1/audit')).body.entries as Json[];
    const middle = all[2];
    const ranged = await server.request(
      'GET',
      `/api/v1/audit?since=${encodeURIComponent(middle.at)}&until=${encodeURIComponent(middle.at)}`,
    );
    expect(ranged.body.entries.map((entry: Json) => entry.id)).toContain(middle.id);
    expect(ranged.body.entries.every((entry: Json) => entry.at === middle.at)).toBe(true);
    const future = await server.request('GET', '/api/v1/audit?since=2999-01-01');
    expect(future.body.entries).toEqual([]);

    const paged: number[] = [];
    let cursor: string | null = null;
    do {
      const suffix: string = cursor === null ? '' : `&cursor=${cursor}`;
      const page = await server.request('GET', `/api/v1/audit?limit=2${suffix}`);
      paged.push(...page.body.entries.map((entry: Json) => entry.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(paged).toEqual(all.map((entry) => entry.id));
  });

  it('hash-chains the entries: each hash covers the previous hash and the entry', async () => {
    await server.request('PUT', flagPath('chained'), { body: booleanFlag('chained') });
    const entries = ((await server.request('GET', '/api/v1/audit')).body.entries as Json[]).reverse();
    expect(entries[0].prevHash).toBe('0'.repeat(64));
    const { createHash } = await import('node:crypto');
    entries.forEach((entry, index) => {
      if (index > 0) expect(entry.prevHash).toBe(entries[index - 1].hash);
      const { hash, ...content } = entry;
      expect(createHash('sha256').update(entry.prevHash).update(canonicalJson(content)).digest('hex')).toBe(
        hash,
      );
    });
    const verdict = await server.request('GET', '/api/v1/audit/verify');
    expect(verdict.body).toEqual({
      ok: true,
      entries: entries.length,
      head: entries[entries.length - 1].hash,
    });
  });

  it('detects a row edited directly in the SQLite file', async () => {
    await server.request('PUT', flagPath('tampered'), { body: booleanFlag('tampered') });
    await server.request('POST', `${flagPath('tampered')}/environments/production/kill`, {
      body: { reason: 'real reason' },
    });
    await server.request('PUT', flagPath('after'), { body: booleanFlag('after') });
    const kill = (await server.request('GET', '/api/v1/audit?action=flag.kill')).body.entries[0];

    const db = new Database(server.databasePath);
    db.prepare('UPDATE audit SET reason = ? WHERE id = ?').run('nothing to see here', kill.id);
    db.close();

    const verdict = await server.request('GET', '/api/v1/audit/verify');
    expect(verdict.body).toMatchObject({ ok: false, brokenAt: kill.id, entries: kill.id - 1 });
  });

  it('detects a row deleted directly from the SQLite file', async () => {
    await server.request('PUT', flagPath('one'), { body: booleanFlag('one') });
    await server.request('PUT', flagPath('two'), { body: booleanFlag('two') });
    const [newest, removed] = (await server.request('GET', '/api/v1/audit?limit=2')).body.entries;

    const db = new Database(server.databasePath);
    db.prepare('DELETE FROM audit WHERE id = ?').run(removed.id);
    db.close();

    const verdict = await server.request('GET', '/api/v1/audit/verify');
    expect(verdict.body).toMatchObject({ ok: false, brokenAt: newest.id });
  });

  it('detects two entries swapped in the SQLite file', async () => {
    for (const key of ['first', 'second', 'third'])
      await server.request('PUT', flagPath(key), { body: booleanFlag(key) });
    const [, later, earlier] = (await server.request('GET', '/api/v1/audit?limit=3')).body.entries;

    const db = new Database(server.databasePath);
    const swap = db.transaction(() => {
      db.prepare('UPDATE audit SET id = -1 WHERE id = ?').run(earlier.id);
      db.prepare('UPDATE audit SET id = ? WHERE id = ?').run(earlier.id, later.id);
      db.prepare('UPDATE audit SET id = ? WHERE id = -1').run(later.id);
    });
    swap();
    db.close();

    const verdict = await server.request('GET', '/api/v1/audit/verify');
    expect(verdict.body).toMatchObject({ ok: false, brokenAt: earlier.id, entries: earlier.id - 1 });
  });

  it('detects an edited entry whose own hash was recomputed: the next entry no longer links to it', async () => {
    await server.request('PUT', flagPath('rehashed'), { body: booleanFlag('rehashed') });
    await server.request('POST', `${flagPath('rehashed')}/environments/production/kill`, {
      body: { reason: 'real reason' },
    });
    await server.request('PUT', flagPath('later'), { body: booleanFlag('later') });
    const kill = (await server.request('GET', '/api/v1/audit?action=flag.kill')).body.entries[0];
    const { hash: _original, ...content } = { ...kill, reason: 'routine maintenance' };

    const db = new Database(server.databasePath);
    db.prepare('UPDATE audit SET reason = ?, hash = ? WHERE id = ?').run(
      content.reason,
      hashEntry(content),
      kill.id,
    );
    db.close();

    const verdict = await server.request('GET', '/api/v1/audit/verify');
    expect(verdict.body).toMatchObject({ ok: false, brokenAt: kill.id + 1, entries: kill.id });
  });

  it('cannot tell a log cut at its newest end from a shorter one: only a head kept elsewhere shows it', async () => {
    await server.request('PUT', flagPath('kept'), { body: booleanFlag('kept') });
    await server.request('PUT', flagPath('cut'), { body: booleanFlag('cut') });
    const before = (await server.request('GET', '/api/v1/audit/verify')).body;
    const [newest] = (await server.request('GET', '/api/v1/audit?limit=1')).body.entries;

    const db = new Database(server.databasePath);
    db.prepare('DELETE FROM audit WHERE id = ?').run(newest.id);
    db.close();

    const after = (await server.request('GET', '/api/v1/audit/verify')).body;
    expect(after).toMatchObject({ ok: true, entries: before.entries - 1 });
    expect(after.head).not.toBe(before.head);
  });
});
