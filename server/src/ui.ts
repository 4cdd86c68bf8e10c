/** Serves the admin UI build at `/`, or a page saying it is not built yet. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { ADMIN_UI_DIST_DIR } from './paths';

const PLACEHOLDER = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Switchboard</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}
code{background:#f2f2f2;padding:.1rem .3rem;border-radius:3px}</style></head>
<body>
<h1>Switchboard</h1>
<p>The server is running. The admin UI is not built: run <code>npm run build</code> at the repository root.</p>
<p>The admin API is described by its <a href="/api/v1/openapi.json">OpenAPI document</a>.</p>
</body>
</html>
`;

export const adminUi: FastifyPluginAsync<{ root?: string }> = async (app, { root = ADMIN_UI_DIST_DIR }) => {
  if (existsSync(join(root, 'index.html'))) {
    await app.register(fastifyStatic, { root, prefix: '/' });
    return;
  }
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(PLACEHOLDER),
  );
};
