/**
 * Real-browser tests: Debian's chromium driven by playwright-core, pages served from 127.0.0.1 by a tiny
 * node:http server (another origin than the Switchboard server, so CORS is exercised), and npm packages
 * bundled for the page with esbuild.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IIFE_BUILD = fileURLToPath(new URL('../sdk-browser/dist/switchboard.global.js', import.meta.url));

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** The `<script>` build of the browser SDK, exactly as published (built first when missing). */
export function sdkIifeBuild(): string {
  if (!existsSync(IIFE_BUILD))
    execFileSync('npm', ['run', 'build', '-w', '@switchboard/sdk-browser'], { cwd: ROOT });
  return readFileSync(IIFE_BUILD, 'utf8');
}

/** Bundles `source` (ES module code importing npm packages) into one script for a page. */
export async function bundleForBrowser(source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

/** Serves fixed files (path → content) on 127.0.0.1. */
export class PageServer {
  private readonly server: Server;
  origin = '';

  constructor(private readonly files: Record<string, string>) {
    this.server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      const body = this.files[path];
      if (body === undefined) {
        response.writeHead(404).end();
        return;
      }
      const type = path.endsWith('.js') ? 'text/javascript' : 'text/html';
      response
        .writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' })
        .end(body);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  set(path: string, body: string): void {
    this.files[path] = body;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
