/**
 * Read-only mode (`--flags-file flags.yaml`, or SWITCHBOARD_FLAGS_FILE): flags and segments come from a
 * YAML file in the format `switchboard export` writes. On start, and whenever the file changes, the store
 * is made to match it with one change set (so connected SDKs receive just the differences); the file's
 * base versions are ignored. Admin-API writes to flags and segments are refused: edit the file instead.
 * A file that fails to parse or validate stops the start; on a reload it is logged and the last good
 * state keeps being served.
 */
import type { FSWatcher } from 'node:fs';
import { readFileSync, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { parseDocument } from 'yaml';
import { SYSTEM_ACTOR } from './audit/chain';
import { forbidden, HttpError } from './errors';
import type { FlagInput, SegmentInput } from './mutations';
import type { ChangesetRequest, ChangesetResult } from './mutations/changesets';
import { applyChangeset } from './mutations/changesets';

export class FlagsFileError extends Error {
  override name = 'FlagsFileError';
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function readSection(file: string, raw: Record<string, unknown>, section: 'flags' | 'segments') {
  const items = raw[section] ?? {};
  if (!isRecord(items))
    throw new FlagsFileError(`${file}: ${section}: expected a mapping from key to document`);
  return Object.entries(items).map(([key, item]) => {
    if (!isRecord(item)) throw new FlagsFileError(`${file}: ${section}.${key}: expected a mapping`);
    return { ...item, key };
  });
}

/** Parses the file into a change set (structure only; the change set validates the documents). */
export function parseFlagsFile(file: string, text: string): ChangesetRequest {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const [syntaxError] = document.errors;
  if (syntaxError) throw new FlagsFileError(`${file}: ${syntaxError.message.split('\n')[0]}`);
  const raw: unknown = document.toJS({ maxAliasCount: 100 }) ?? {};
  if (!isRecord(raw)) throw new FlagsFileError(`${file}: expected a mapping with "flags" and "segments"`);
  const unknown = Object.keys(raw).filter((field) => !['environment', 'flags', 'segments'].includes(field));
  if (unknown.length > 0) throw new FlagsFileError(`${file}: ${unknown[0]}: unknown field`);
  if (raw.environment !== undefined && typeof raw.environment !== 'string') {
    throw new FlagsFileError(`${file}: environment: expected an environment name`);
  }
  return {
    message: `flags file ${basename(file)}`,
    force: true,
    ...(raw.environment === undefined ? {} : { environment: raw.environment }),
    flags: readSection(file, raw, 'flags') as FlagInput[],
    segments: readSection(file, raw, 'segments') as SegmentInput[],
  };
}

/** Names request pointers (`/flags/3/…`) by key, the way the file does. */
function describeProblem(file: string, request: ChangesetRequest, error: HttpError): string {
  const [detail] = error.details;
  if (!detail) return `${file}: ${error.message}`;
  const path = detail.path.replace(
    /^\/(flags|segments)\/(\d+)/,
    (whole, section: 'flags' | 'segments', index) => {
      const item = request[section][Number(index)];
      return item ? `/${section}/${item.key}` : whole;
    },
  );
  const more = error.details.length > 1 ? ` (and ${error.details.length - 1} more)` : '';
  return `${file}: ${path}: ${detail.problem}${more}`;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new FlagsFileError(`${file}: ${(error as Error).message}`);
  }
}

/** Makes the store match the file's text; answers what changed. */
export async function loadFlagsFile(
  app: FastifyInstance,
  file: string,
  text: string,
): Promise<ChangesetResult> {
  const request = parseFlagsFile(file, text);
  try {
    return await applyChangeset(app.mutations, SYSTEM_ACTOR, request);
  } catch (error) {
    if (error instanceof HttpError) throw new FlagsFileError(describeProblem(file, request, error));
    throw error;
  }
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MANAGED_ROUTES = /^\/api\/v1\/(flags|segments|kill|changesets)(\/|$)/;
/** Reads that happen to be POSTs. */
const READ_ROUTES = /\/evaluate$/;
const RELOAD_DEBOUNCE_MS = 100;

export const flagsFileMode = fp<{ file: string }>(
  async (app, options) => {
    const file = resolve(options.file);
    app.addHook('onRequest', async (request) => {
      const route = request.routeOptions.url ?? '';
      if (WRITE_METHODS.has(request.method) && MANAGED_ROUTES.test(route) && !READ_ROUTES.test(route)) {
        throw forbidden(
          `the server is read-only: its flags come from ${basename(file)}; edit that file instead`,
        );
      }
    });

    let watcher: FSWatcher | undefined;
    let reloadTimer: NodeJS.Timeout | undefined;
    let loaded = '';
    const load = async (reason: string) => {
      const text = readText(file);
      if (text === loaded) return;
      const result = await loadFlagsFile(app, file, text);
      loaded = text;
      app.log.info({ file, changes: result.changes.length }, reason);
    };

    app.addHook('onReady', async () => {
      await load('loaded the flags file (read-only mode)');
      // Watch the directory: editors often save by writing a new file and renaming it over the old one.
      watcher = watch(dirname(file), (_event, name) => {
        if (name !== basename(file)) return;
        clearTimeout(reloadTimer);
        reloadTimer = setTimeout(() => {
          load('reloaded the flags file').catch((error: unknown) =>
            app.log.error(
              { file, err: error },
              'the flags file changed but cannot be loaded; keeping the last good state',
            ),
          );
        }, RELOAD_DEBOUNCE_MS);
      });
    });
    app.addHook('onClose', async () => {
      clearTimeout(reloadTimer);
      watcher?.close();
    });
  },
  { name: 'switchboard-flags-file', dependencies: ['switchboard-auth'] },
);
