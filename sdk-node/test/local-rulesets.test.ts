/** Bootstrap (object or file) and the cache file: evaluating with the server down. */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../src';
import type { ClientOptions, SwitchboardClient } from '../src';
import { FakeSdkServer, UNREACHABLE_URL, booleanFlag, ruleset } from './fake-server';
import { nextEvent } from './wait';

let dir: string;
const clients: SwitchboardClient[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-sdk-'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  rmSync(dir, { recursive: true, force: true });
});

function client(options: Partial<ClientOptions>): SwitchboardClient {
  const created = createClient({
    url: UNREACHABLE_URL,
    sdkKey: 'sb_server_test',
    metrics: false,
    reconnectBaseMs: 60_000,
    ...options,
  });
  clients.push(created);
  return created;
}

const BOOTSTRAP = ruleset(3, { dark: booleanFlag('dark', true) });

describe('bootstrap', () => {
  it('evaluates from a ruleset object right away, with the server down', async () => {
    const sdk = client({ bootstrap: BOOTSTRAP });
    expect(sdk.isEnabled('dark', {})).toBe(true);
    expect(sdk.status).toMatchObject({
      state: 'ready',
      source: 'bootstrap',
      version: 3,
      environment: 'production',
    });
    await expect(sdk.ready()).resolves.toBeUndefined();
  });

  it('evaluates from a JSON file path, and announces ready to listeners attached after createClient', async () => {
    const path = join(dir, 'flags.json');
    writeFileSync(path, JSON.stringify(BOOTSTRAP));
    const sdk = client({ bootstrap: path });
    const ready = nextEvent(sdk, 'ready');
    expect(sdk.isEnabled('dark', {})).toBe(true);
    await ready;
  });

  it.each([
    ['a missing file', () => join(dir, 'missing.json')],
    ['a file that is not JSON', () => writeAndReturn('broken.json', '{"environment": ')],
    ['a file that is not a ruleset', () => writeAndReturn('other.json', '{"flags": []}')],
  ])('reports %s as an error and waits for the server instead', async (_name, path) => {
    const sdk = client({ bootstrap: path(), readyTimeoutMs: 50 });
    const [error] = await nextEvent(sdk, 'error');
    expect(error.code).toBe('INVALID_RULESET');
    expect(sdk.status.state).toBe('initializing');
    await expect(sdk.ready()).rejects.toMatchObject({ code: 'READY_TIMEOUT' });
  });

  it("emits 'stale' when the server stays out of reach, and keeps serving", async () => {
    const sdk = client({ bootstrap: BOOTSTRAP, staleAfterMs: 30 });
    await nextEvent(sdk, 'stale');
    expect(sdk.status.state).toBe('stale');
    expect(sdk.status.disconnectedSince).toBeInstanceOf(Date);
    expect(sdk.isEnabled('dark', {})).toBe(true);
  });
});

function writeAndReturn(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('cache file', () => {
  let server: FakeSdkServer;
  beforeEach(async () => {
    server = new FakeSdkServer();
    server.ruleset = ruleset(10, { dark: booleanFlag('dark', false), fresh: booleanFlag('fresh', true) });
    await server.listen();
  });
  afterEach(() => server.close());

  it('keeps the last ruleset from the server, written atomically, and serves it after a restart offline', async () => {
    const cacheFile = join(dir, 'cache.json');
    const online = client({ url: server.url, cacheFile });
    await online.ready();
    const change = nextEvent(online, 'change');
    server.sendLatest('patch', 11, {
      version: 11,
      kind: 'flag',
      key: 'dark',
      value: booleanFlag('dark', true),
    });
    await change;
    await online.close(); // waits for the cache write

    expect(JSON.parse(readFileSync(cacheFile, 'utf8'))).toMatchObject({
      version: 11,
      flags: { dark: { fallthrough: { variant: 'on' } }, fresh: {} },
    });
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    const offline = client({ cacheFile });
    expect(offline.status).toMatchObject({ state: 'ready', source: 'cache', version: 11 });
    expect(offline.isEnabled('dark', {})).toBe(true);
  });

  it('follows every patch and delete, including of a flag named __proto__', async () => {
    const cacheFile = join(dir, 'cache.json');
    const online = client({ url: server.url, cacheFile });
    await online.ready();
    const changes: string[][] = [];
    online.on('change', (keys) => changes.push(keys));
    const deleted = new Promise<void>((resolve) =>
      online.on('change', (keys) => keys.includes('fresh') && resolve()),
    );
    server.sendLatest('patch', 11, {
      version: 11,
      kind: 'flag',
      key: '__proto__',
      value: booleanFlag('__proto__', true),
    });
    server.sendLatest('patch', 12, {
      version: 12,
      kind: 'flag',
      key: 'dark',
      value: booleanFlag('dark', true),
    });
    server.sendLatest('delete', 13, { version: 13, kind: 'flag', key: 'fresh' });
    await deleted;
    await online.close();

    expect(changes).toEqual([['__proto__'], ['dark'], ['fresh']]);
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { version: number; flags: object };
    expect(cached.version).toBe(13);
    expect(Object.keys(cached.flags).sort()).toEqual(['__proto__', 'dark']);
    const offline = client({ cacheFile });
    expect(offline.isEnabled('__proto__', {})).toBe(true);
    expect(offline.isEnabled('dark', {})).toBe(true);
    expect(offline.evaluate('fresh', {}).errorCode).toBe('FLAG_NOT_FOUND');
  });

  it('prefers whichever of bootstrap and cache file is newer', () => {
    const cacheFile = writeAndReturn(
      'cache.json',
      JSON.stringify(ruleset(2, { dark: booleanFlag('dark', false) })),
    );
    expect(client({ bootstrap: BOOTSTRAP, cacheFile }).status).toMatchObject({
      source: 'bootstrap',
      version: 3,
    });
    writeFileSync(cacheFile, JSON.stringify(ruleset(4, { dark: booleanFlag('dark', false) })));
    const newer = client({ bootstrap: BOOTSTRAP, cacheFile });
    expect(newer.status).toMatchObject({ source: 'cache', version: 4 });
    expect(newer.isEnabled('dark', {})).toBe(false);
  });

  it('treats a missing cache file as a first start, and a corrupt one as a warning', () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    expect(client({ cacheFile: join(dir, 'none.json'), logger }).status.state).toBe('initializing');
    expect(logger.warn).not.toHaveBeenCalled();
    const corrupt = writeAndReturn('corrupt.json', '{"environment":');
    const sdk = client({ cacheFile: corrupt, logger, bootstrap: BOOTSTRAP });
    expect(sdk.status.source).toBe('bootstrap');
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('unusable cache'));
  });
});
