/**
 * Generates the API reference in docs/api/ (run by `npm run docs`):
 *
 * - `openapi.json`: the document the server serves at `/api/v1/openapi.json`, taken from a server built
 *   in-process on a throwaway in-memory SQLite store;
 * - `http.md`: a Markdown rendering of it, one section per route, with the token kinds each route accepts
 *   (found by calling the route with a token of every kind: the OpenAPI document does not say);
 * - `typescript/`: TypeDoc Markdown for the public entry points of the SDK packages
 *   (skipped with `--skip-typedoc`).
 *
 * test/docs-api.test.ts regenerates the first two and fails when the committed copies are stale.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApp, loadConfig, TOKEN_KINDS } from '../server/src/index';
import type { TokenKind } from '../server/src/index';

export const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const API_DOCS_DIR = join(REPOSITORY_ROOT, 'docs', 'api');

/** The parts of an OpenAPI 3.1 document this script reads. */
export interface OpenApiSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  items?: OpenApiSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: OpenApiSchema[];
  oneOf?: OpenApiSchema[];
  additionalProperties?: boolean | OpenApiSchema;
  patternProperties?: Record<string, OpenApiSchema>;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
}

interface OpenApiParameter {
  in: string;
  name: string;
  required?: boolean;
  description?: string;
  schema?: OpenApiSchema;
}

interface OpenApiOperation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: OpenApiSchema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: OpenApiSchema }> }>;
  security?: unknown[];
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** `"GET /api/v1/flags"` → the token kinds the route accepts, or `null` when it needs no token. */
export type RouteAccess = Map<string, TokenKind[] | null>;

const ADMIN_TOKEN = 'sb_admin_docs-build-throwaway';
const PROBE_ENVIRONMENT = 'production';
const PROBE_VALUE = 'docs-probe';

/** Builds the server in-process, reads its OpenAPI document and finds which token kinds each route accepts. */
export async function collectApiReference(): Promise<{ document: OpenApiDocument; access: RouteAccess }> {
  const config = loadConfig({
    DATABASE_URL: ':memory:',
    SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
  });
  // Every route is first called without a token: more failed authentications than the default allows.
  config.authFailureLimit = { max: 100_000, windowMs: 60_000 };
  // No admin UI build: its routes are hidden from the OpenAPI document anyway.
  const app = await buildApp(config, { adminUiRoot: join(REPOSITORY_ROOT, 'docs', 'no-admin-ui') });
  try {
    const document = app.swagger() as unknown as OpenApiDocument;
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const tokens = new Map<TokenKind, string>([['admin', ADMIN_TOKEN]]);
    for (const kind of TOKEN_KINDS.filter((kind) => kind !== 'admin')) {
      const sdkKey = kind === 'server' || kind === 'client';
      const created = await fetch(`${url}/api/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `docs ${kind}`,
          kind,
          ...(sdkKey ? { environment: PROBE_ENVIRONMENT } : {}),
        }),
      });
      if (created.status !== 201) throw new Error(`creating a ${kind} token answered ${created.status}`);
      tokens.set(kind, ((await created.json()) as { token: string }).token);
    }
    const access: RouteAccess = new Map();
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) {
        const routeUrl = url + path.replace(/\{[^}]+\}/g, PROBE_VALUE);
        if ((await statusOf(method, routeUrl, undefined)) !== 401) {
          access.set(routeKey(method, path), null);
          continue;
        }
        const accepted: TokenKind[] = [];
        for (const kind of TOKEN_KINDS) {
          const status = await statusOf(method, routeUrl, tokens.get(kind));
          if (status !== 401 && status !== 403) accepted.push(kind);
        }
        access.set(routeKey(method, path), accepted);
      }
    }
    return { document, access };
  } finally {
    await app.close();
  }
}

/**
 * The status a route answers. Authentication runs before body validation, so a body the schemas refuse
 * tells "may not" (401/403) from "may" (400 and everything else); path parameters name nothing that
 * exists, so no route changes anything. Streams are abandoned as soon as their status arrives.
 */
async function statusOf(method: string, url: string, token: string | undefined): Promise<number> {
  const abort = new AbortController();
  const hasBody = method === 'post' || method === 'put';
  const response = await fetch(url, {
    method: method.toUpperCase(),
    signal: abort.signal,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
    },
    ...(hasBody ? { body: JSON.stringify({ docsProbeUnknownField: true }) } : {}),
  });
  abort.abort();
  return response.status;
}

const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

/** Renders the OpenAPI document as Markdown: an index, then one section per route, grouped by tag. */
export function renderHttpMarkdown(document: OpenApiDocument, access: RouteAccess): string {
  const groups = new Map<string, { method: string; path: string; operation: OpenApiOperation }[]>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const tag = operation.tags?.[0] ?? 'other';
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag)!.push({ method, path, operation });
    }
  }
  const lines: string[] = [
    `# ${document.info.title} ${document.info.version}: HTTP reference`,
    '',
    "<!-- Generated by `npm run docs` (scripts/build-docs.ts) from the server's OpenAPI document. Do not edit. -->",
    '',
    document.info.description ?? '',
    '',
    'The machine-readable document is [`openapi.json`](openapi.json) (OpenAPI ' +
      document.openapi +
      '); a running server serves it at `/api/v1/openapi.json`. Authenticate with `Authorization: Bearer <token>`; ' +
      '"Tokens" lists the token kinds a route accepts (any other kind gets 403, no token 401). Errors are ' +
      '`{ "error", "message", "details": [{ "path", "problem" }] }` (OFREP routes: `{ "errorCode", "errorDetails" }`).',
    '',
    '## Routes',
    '',
  ];
  for (const [tag, routes] of groups) {
    lines.push(`- **${tag}**`);
    for (const { method, path, operation } of routes) {
      lines.push(
        `  - [\`${method.toUpperCase()} ${path}\`](#${anchor(method, path)}) — ${operation.summary ?? ''}`,
      );
    }
  }
  for (const [tag, routes] of groups) {
    lines.push('', `## ${tag}`);
    for (const { method, path, operation } of routes) {
      lines.push('', ...renderOperation(method, path, operation, access.get(routeKey(method, path))));
    }
  }
  lines.push('');
  return lines.join('\n');
}

function renderOperation(
  method: string,
  path: string,
  operation: OpenApiOperation,
  kinds: TokenKind[] | null | undefined,
): string[] {
  const lines = [`<a id="${anchor(method, path)}"></a>`, '', `### \`${method.toUpperCase()} ${path}\``, ''];
  if (operation.summary) lines.push(`${operation.summary}.`, '');
  if (operation.description) lines.push(operation.description, '');
  lines.push(`**Tokens:** ${describeAccess(kinds)}`, '');

  const parameters = operation.parameters ?? [];
  if (parameters.length > 0) {
    lines.push(
      '**Parameters**',
      '',
      '| name | in | type | required | description |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const parameter of parameters) {
      lines.push(
        row([
          `\`${parameter.name}\``,
          parameter.in,
          describeType(parameter.schema ?? {}),
          parameter.required ? 'yes' : 'no',
          parameter.description ?? parameter.schema?.description ?? '',
        ]),
      );
    }
    lines.push('');
  }

  const body = operation.requestBody?.content?.['application/json']?.schema;
  if (body) {
    lines.push(`**Request body** (JSON${operation.requestBody?.required ? ', required' : ''})`, '');
    lines.push(...renderFields(body));
  }

  lines.push('**Responses**', '');
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    const schema = Object.values(response.content ?? {})[0]?.schema;
    // @fastify/swagger's placeholder for a route without a response schema.
    const undescribed = !schema && response.description === 'Default Response';
    lines.push(
      `- \`${status}\`: ${undescribed ? 'no response schema declared (see the description above)' : (response.description ?? '')}`,
    );
    if (schema) lines.push('', ...renderFields(schema).map((line) => (line === '' ? '' : `  ${line}`)));
  }
  return lines;
}

/** A table of an object schema's fields (nested object fields as `parent.child`), or its type. */
function renderFields(schema: OpenApiSchema): string[] {
  const rows: string[] = [];
  const walk = (object: OpenApiSchema, prefix: string, depth: number) => {
    for (const [name, field] of Object.entries(object.properties ?? {})) {
      const required = object.required?.includes(name) ?? false;
      rows.push(
        row([`\`${prefix}${name}\``, describeType(field), required ? 'yes' : 'no', field.description ?? '']),
      );
      const [nested, suffix] = nestedObject(field);
      if (nested && depth < 3) walk(nested, `${prefix}${name}${suffix}.`, depth + 1);
    }
  };
  walk(schema, '', 0);
  if (rows.length === 0) return [`Type: ${describeType(schema)}.`, ''];
  return ['| field | type | required | description |', '| --- | --- | --- | --- |', ...rows, ''];
}

/** The object schema inside a field worth listing field by field: itself, an array's items (`[]`) or a map's values (`.*`). */
function nestedObject(field: OpenApiSchema): [OpenApiSchema | undefined, string] {
  if (field.properties) return [field, ''];
  if (field.type === 'array' && field.items?.properties) return [field.items, '[]'];
  const values = mapValues(field);
  if (values?.properties) return [values, '.*'];
  return [undefined, ''];
}

const mapValues = (schema: OpenApiSchema): OpenApiSchema | undefined =>
  typeof schema.additionalProperties === 'object'
    ? schema.additionalProperties
    : schema.patternProperties
      ? Object.values(schema.patternProperties)[0]
      : undefined;

/** A short human description of a JSON schema: its type and the constraints a caller must meet. */
export function describeType(schema: OpenApiSchema): string {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.map(describeType).join(' | ');
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum) return schema.enum.map((value) => `\`${JSON.stringify(value)}\``).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'any');
  const items = schema.items ?? {};
  let text =
    type === 'array'
      ? (items.anyOf ?? items.oneOf)
        ? `(${describeType(items)})[]`
        : `${describeType(items)}[]`
      : type;
  const values = type === 'object' && !schema.properties ? mapValues(schema) : undefined;
  if (values) text = `map of ${describeType(values)}`;
  const limits: string[] = [];
  if (schema.format) limits.push(schema.format);
  if (schema.minimum !== undefined) limits.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) limits.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) limits.push(`≤ ${schema.maximum}`);
  if (schema.exclusiveMaximum !== undefined) limits.push(`< ${schema.exclusiveMaximum}`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    limits.push(`${schema.minLength ?? 0}–${schema.maxLength ?? '∞'} chars`);
  }
  if (schema.minItems !== undefined || schema.maxItems !== undefined) {
    limits.push(`${schema.minItems ?? 0}–${schema.maxItems ?? '∞'} items`);
  }
  if (schema.maxProperties !== undefined) limits.push(`≤ ${schema.maxProperties} entries`);
  if (schema.default !== undefined) limits.push(`default \`${JSON.stringify(schema.default)}\``);
  return limits.length > 0 ? `${text} (${limits.join(', ')})` : text;
}

function describeAccess(kinds: TokenKind[] | null | undefined): string {
  if (kinds === null) return 'none needed';
  if (kinds === undefined || kinds.length === 0) return 'no bearer token is accepted (see the description)';
  return kinds.join(', ');
}

const anchor = (method: string, path: string) =>
  `${method}-${path}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

const row = (cells: string[]) =>
  `| ${cells.map((cell) => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`;

/** The generated HTTP reference files, by name in docs/api/. */
export async function generateHttpReference(): Promise<Record<'openapi.json' | 'http.md', string>> {
  const { document, access } = await collectApiReference();
  return {
    'openapi.json': `${JSON.stringify(document, null, 2)}\n`,
    'http.md': renderHttpMarkdown(document, access),
  };
}

/** The public entry points of each SDK package (their package.json `exports`), documented by TypeDoc. */
const TYPESCRIPT_PACKAGES: { name: string; folder: string; entryPoints: string[] }[] = [
  { name: '@switchboard/core', folder: 'core', entryPoints: ['core/src/index.ts'] },
  {
    name: '@switchboard/sdk-node',
    folder: 'sdk-node',
    entryPoints: [
      'sdk-node/src/index.ts',
      'sdk-node/src/openfeature.ts',
      'sdk-node/src/middleware/fastify.ts',
      'sdk-node/src/middleware/express.ts',
    ],
  },
  {
    name: '@switchboard/sdk-browser',
    folder: 'sdk-browser',
    entryPoints: ['sdk-browser/src/index.ts', 'sdk-browser/src/openfeature.ts'],
  },
  { name: '@switchboard/react', folder: 'react', entryPoints: ['react/src/index.ts'] },
];

async function generateTypeScriptReference(outDir: string): Promise<void> {
  const { Application } = await import('typedoc');
  rmSync(outDir, { recursive: true, force: true });
  for (const pkg of TYPESCRIPT_PACKAGES) {
    // Shared options (plugin, tsconfig, what to leave out) are in typedoc.json.
    const app = await Application.bootstrapWithPlugins({
      options: join(REPOSITORY_ROOT, 'typedoc.json'),
      name: pkg.name,
      entryPoints: pkg.entryPoints.map((entry) => join(REPOSITORY_ROOT, entry)),
      out: join(outDir, pkg.folder),
    });
    const project = await app.convert();
    if (!project) throw new Error(`TypeDoc could not convert ${pkg.name}`);
    await app.generateOutputs(project);
  }
  const index = [
    '# TypeScript API reference',
    '',
    '<!-- Generated by `npm run docs` (scripts/build-docs.ts) with TypeDoc. Do not edit. -->',
    '',
    ...TYPESCRIPT_PACKAGES.map((pkg) => `- [\`${pkg.name}\`](${pkg.folder}/README.md)`),
    '',
  ];
  writeFileSync(join(outDir, 'README.md'), index.join('\n'));
}

async function main(args: string[]): Promise<void> {
  mkdirSync(API_DOCS_DIR, { recursive: true });
  for (const [name, text] of Object.entries(await generateHttpReference())) {
    writeFileSync(join(API_DOCS_DIR, name), text);
    console.log(`wrote docs/api/${name}`);
  }
  if (!args.includes('--skip-typedoc')) {
    await generateTypeScriptReference(join(API_DOCS_DIR, 'typescript'));
    console.log('wrote docs/api/typescript/');
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
