/**
 * Serves the admin UI build at `/`, or a page saying it is not built yet, with a strict Content
 * Security Policy: scripts, styles and connections from this origin only, no inline code, no framing.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { ADMIN_UI_DIST_DIR } from './paths';

const PLACEHOLDER_STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}' +
  'code{background:#f2f2f2;padding:.1rem .3rem;border-radius:3px}';

const PLACEHOLDER = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Switchboard</title>
<style>${PLACEHOLDER_STYLE}</style></head>
<body>
<h1>Switchboard</h1>
<p>The server is running. The admin UI is not built: run <code>npm run build</code> at the repository root.</p>
<p>The admin API is described by its <a href="/api/v1/openapi.json">OpenAPI document</a>.</p>
</body>
</html>
`;

/** The placeholder's one inline style, allowed by its hash rather than by 'unsafe-inline'. */
const PLACEHOLDER_STYLE_SOURCE = `'sha256-${createHash('sha256').update(PLACEHOLDER_STYLE).digest('base64')}'`;

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'self' ${PLACEHOLDER_STYLE_SOURCE}`,
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

export const adminUi: FastifyPluginAsync<{ root?: string }> = async (app, { root = ADMIN_UI_DIST_DIR }) => {
  // This plugin is encapsulated: the headers go on the UI's answers only, not on the APIs'.
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(UI_SECURITY_HEADERS);
  });
  if (existsSync(join(root, 'index.html'))) {
    await app.register(fastifyStatic, { root, prefix: '/' });
    return;
  }
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(PLACEHOLDER),
  );
};
