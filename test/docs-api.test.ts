/** The committed HTTP reference (docs/api/) must be what `npm run docs` generates from the current server. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_DOCS_DIR, generateHttpReference } from '../scripts/build-docs';

describe('docs/api HTTP reference', () => {
  let generated: Awaited<ReturnType<typeof generateHttpReference>>;
  beforeAll(async () => {
    generated = await generateHttpReference();
  });

  it('is up to date with the server (run `npm run docs` after changing a route)', () => {
    for (const [name, text] of Object.entries(generated)) {
      const committed = readFileSync(join(API_DOCS_DIR, name), 'utf8');
      expect(committed, `docs/api/${name} is stale: run \`npm run docs\``).toBe(text);
    }
  });

  it('documents every route with the token kinds it accepts', () => {
    const { 'openapi.json': json, 'http.md': markdown } = generated;
    const document = JSON.parse(json) as { paths: Record<string, Record<string, unknown>> };
    // The SDK, browser and OFREP routes are part of the described API, not only the admin API.
    for (const path of [
      '/sdk/v1/stream',
      '/sdk/v1/flags',
      '/client/v1/evaluate',
      '/ofrep/v1/evaluate/flags',
    ]) {
      expect(Object.keys(document.paths)).toContain(path);
    }
    const section = (heading: string) => markdown.split(`### \`${heading}\``)[1]?.split('### ')[0] ?? '';
    expect(section('POST /api/v1/flags/{key}/environments/{env}/kill')).toContain(
      '**Tokens:** admin, editor, responder\n',
    );
    expect(section('GET /sdk/v1/stream')).toContain('**Tokens:** server\n');
    expect(section('POST /api/v1/tokens')).toContain('**Tokens:** admin\n');
    expect(section('GET /healthz')).toContain('**Tokens:** none needed\n');
  });
});
