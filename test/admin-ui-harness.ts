/**
 * The admin UI in a real browser against a real server: the current UI sources built into a temp directory
 * (admin-ui/dist is left to `npm run build`), served by a server on a random 127.0.0.1 port over a SQLite
 * file in that directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '@switchboard/server';
import type { ServerConfig } from '@switchboard/server';
import type { Page } from 'playwright-core';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface AdminUiServer {
  baseUrl: string;
  /** The temp directory: the UI build and `switchboard.db`. */
  dir: string;
  /** A JSON request to the server, with the admin token unless another is given; throws on a non-2xx answer. */
  api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T>;
  /** Stops the server and removes the temp directory. */
  close(): Promise<void>;
}

export async function startAdminUiServer(
  adminToken: string,
  config: Partial<ServerConfig> = {},
): Promise<AdminUiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-admin-ui-'));
  try {
    const uiDir = join(dir, 'admin-ui');
    execFileSync(
      'npm',
      ['run', 'build', '--silent', '-w', 'admin-ui', '--', '--outDir', uiDir, '--emptyOutDir'],
      { cwd: REPO_ROOT, stdio: 'pipe' },
    );
    const app = await buildApp(
      {
        port: 0,
        host: '127.0.0.1',
        database: { kind: 'sqlite', path: join(dir, 'switchboard.db') },
        redisUrl: undefined,
        adminToken,
        logLevel: 'silent',
        authFailureLimit: { max: 1000, windowMs: 60_000 },
        bodyLimit: 1024 * 1024,
        changeLogRetention: 1000,
        ...config,
      },
      { adminUiRoot: uiDir },
    );
    const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      baseUrl,
      dir,
      async api<T>(method: string, path: string, body?: unknown, token = adminToken): Promise<T> {
        const response = await fetch(baseUrl + path, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
        return (text === '' ? undefined : JSON.parse(text)) as T;
      },
      async close() {
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Signs `page` in at `baseUrl` with `token`; fails with the sign-in form's message if that does not work.
 * Returns once the app's change feed is live: a change made before then may never reach the page.
 */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Either the app opens or the sign-in form says why not (e.g. a server without GET /api/v1/me).
  const opened = page.getByRole('heading', { name: 'Flags', level: 1 });
  await opened.or(page.getByRole('alert')).waitFor();
  if (!(await opened.isVisible()))
    throw new Error(`sign-in failed: ${await page.getByRole('alert').innerText()}`);
  await page.locator('header .feed', { hasText: /^Live/ }).waitFor();
}
