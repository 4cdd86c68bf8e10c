/**
 * The shop: Express with the Node SDK's middleware. The new payment flow sits behind the flag
 * `new-payment-flow` — and it is buggy: it fails 25 % of payments (the old flow 0.5 %).
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { createClient } from '@switchboard/sdk-node';
import { switchboardFlags } from '@switchboard/sdk-node/express';
import { SwitchboardProvider, createStaticClient, serializeBootstrap } from '@switchboard/react';
import { ShopPage } from './page';

export const NEW_FLOW_ERROR_RATE = 0.25;
export const OLD_FLOW_ERROR_RATE = 0.005;

export interface ShopOptions {
  /** 0 for any free port. */
  port: number;
  switchboardUrl: string;
  sdkKey: string;
  clientKey: string;
}

async function bundlePageScript(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./browser.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

/**
 * Stand-in for real authentication: the shopper's id comes from the `shopper` cookie (the traffic
 * generator sends it; a browser gets one on its first visit). A real shop reads a verified session.
 */
function authenticate(req: Request, res: Response, next: NextFunction): void {
  const cookie = /(?:^|;\s*)shopper=([\w-]{1,64})/.exec(req.get('cookie') ?? '');
  const shopper = cookie?.[1] ?? `visitor-${Math.random().toString(36).slice(2, 10)}`;
  // Kept in a long-lived cookie: the id must stay the same across requests, or rollouts would
  // move the visitor between flows on every page.
  if (cookie === null) res.cookie('shopper', shopper, { maxAge: 365 * 24 * 3600 * 1000, httpOnly: true });
  res.locals.shopper = shopper;
  next();
}

export async function startShop(options: ShopOptions) {
  // Reports every second (instead of every 10 s and 60 s) so the demo's charts and guards react quickly.
  const client = createClient({
    url: options.switchboardUrl,
    sdkKey: options.sdkKey,
    flushIntervalMs: 1_000,
    eventsFlushIntervalMs: 1_000,
  });
  await client.ready();
  const pageScript = await bundlePageScript();

  const app = express();
  app.use(authenticate);
  app.use(switchboardFlags({ client, context: (req) => ({ userId: req.res?.locals.shopper as string }) }));

  app.get('/', (req, res) => {
    const shopper = res.locals.shopper as string;
    const bootstrap = req.flags.browserBootstrap();
    const html = renderToString(
      createElement(
        SwitchboardProvider,
        { client: createStaticClient(bootstrap) },
        createElement(ShopPage, { shopper }),
      ),
    );
    const config = { url: options.switchboardUrl, clientKey: options.clientKey, shopper };
    res.type('html').send(`<!doctype html><html><head><title>Switchboard Coffee</title></head><body>
<div id="root">${html}</div>
<script id="flags" type="application/json">${serializeBootstrap(bootstrap)}</script>
<script id="config" type="application/json">${JSON.stringify(config).replace(/</g, '\\u003c')}</script>
<script src="/page.js"></script></body></html>`);
  });
  app.get('/page.js', (_req, res) => void res.type('js').send(pageScript));
  app.get('/favicon.ico', (_req, res) => void res.status(204).end());

  app.post('/api/pay', (req, res) => {
    const newFlow = req.flags.isEnabled('new-payment-flow');
    const failed = Math.random() < (newFlow ? NEW_FLOW_ERROR_RATE : OLD_FLOW_ERROR_RATE);
    if (failed) req.flags.track('error');
    res.status(failed ? 500 : 200).json({ flow: newFlow ? 'new' : 'old', ok: !failed });
  });

  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const listening = app.listen(options.port, '127.0.0.1', () => resolve(listening));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await client.close();
    },
  };
}
