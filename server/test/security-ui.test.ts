/**
 * The admin UI's security headers: a Content Security Policy without 'unsafe-inline' (so an injected
 * script or style cannot run), no framing, no MIME sniffing, no referrer. The built UI must work
 * under that policy: no inline script, style or event handler in its HTML (the browser e2e test in
 * test/admin-ui-e2e.test.ts also watches for reported violations). Needs `npm run build -w admin-ui`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app';
import { ADMIN_UI_DIST_DIR } from '../src/paths';
import { testConfig } from './helpers';

const INDEX = join(ADMIN_UI_DIST_DIR, 'index.html');

let dir: string;
const apps: FastifyInstance[] = [];
beforeAll(() => {
  if (!existsSync(INDEX)) throw new Error(`${INDEX} is missing: run \`npm run build -w admin-ui\` first`);
  dir = mkdtempSync(join(tmpdir(), 'switchboard-ui-headers-'));
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function serve(adminUiRoot: string): Promise<string> {
  const app = await buildApp(testConfig(join(dir, `${apps.length}.db`)), { adminUiRoot });
  apps.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

/** `default-src 'none'; script-src 'self'` → { 'default-src': ["'none'"], 'script-src': ["'self'"] } */
function directives(policy: string | null): Record<string, string[]> {
  expect(policy).not.toBeNull();
  return Object.fromEntries(
    policy!
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name !== '')
      .map(([name, ...sources]) => [name!, sources]),
  );
}

function expectStrictHeaders(headers: Headers): Record<string, string[]> {
  const policy = directives(headers.get('content-security-policy'));
  expect(policy).toMatchObject({
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'frame-ancestors': ["'none'"],
  });
  expect(policy['style-src']).toContain("'self'");
  for (const sources of Object.values(policy)) {
    expect(sources).not.toContain("'unsafe-inline'");
    expect(sources).not.toContain("'unsafe-eval'");
    expect(sources).not.toContain('*');
  }
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  return policy;
}

describe('admin UI security headers', () => {
  it('come with the page, its scripts and styles, and a missing file', async () => {
    const url = await serve(ADMIN_UI_DIST_DIR);
    const html = readFileSync(INDEX, 'utf8');
    const assets = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    for (const path of ['/', '/index.html', ...assets.map((asset) => `/${asset}`), '/no-such-file.js']) {
      const response = await fetch(url + path);
      await response.body?.cancel();
      expect(response.status, path).toBe(path.startsWith('/no-such') ? 404 : 200);
      expectStrictHeaders(response.headers);
    }
  });

  it('are not needed by the built UI: its HTML has no inline script, style or handler', () => {
    const html = readFileSync(INDEX, 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  it('allow the not-built placeholder its one inline style by hash, not by unsafe-inline', async () => {
    const url = await serve(join(dir, 'not-built'));
    const response = await fetch(url);
    const page = await response.text();
    expect(page).toContain('The admin UI is not built');
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
    const policy = expectStrictHeaders(response.headers);
    expect(policy['style-src']).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });

  it('stay off the APIs, whose answers are JSON for programs', async () => {
    const url = await serve(ADMIN_UI_DIST_DIR);
    const response = await fetch(`${url}/healthz`);
    expect(response.headers.get('content-security-policy')).toBeNull();
  });
});
