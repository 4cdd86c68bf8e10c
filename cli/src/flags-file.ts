/**
 * The flags-as-code file: `switchboard export` writes it, `switchboard apply` reads it.
 *
 * ```yaml
 * environment: production        # present when exported with --env: only that environment is managed
 * flags:
 *   checkout-v2:                 # the flag key
 *     description: …
 *     environments: { production: { … } }
 *     variants: { off: false, on: true }
 *     version: 3                 # the server version this was exported at; omit for new flags
 * segments:
 *   beta-testers: { included: [alice], version: 2 }
 * ```
 * Keys are sorted at every level and nothing volatile is written (no timestamps, no kill state), so two
 * exports of the same configuration are byte-identical and a change shows as a small diff.
 */
import type { FlagDocument, FlagEnvironment, SegmentDocument } from '@switchboard/core';
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node } from 'yaml';
import { CliError, ExitCode } from './errors';

/** A flag as the file carries it: `version` is the base version, absent for a flag the file creates. */
export type FlagEntry = Omit<FlagDocument, 'version'> & { version?: number };
export type SegmentEntry = Omit<SegmentDocument, 'version'> & { version?: number };

export interface FlagsFile {
  /** When set, the file manages only this environment's configuration of each flag. */
  environment?: string;
  flags: FlagEntry[];
  segments: SegmentEntry[];
}

const HEADER = [
  'Switchboard flags. Apply with: switchboard apply -f <this file> [--dry-run]',
  '"version" is the server version each item was exported at: apply refuses to overwrite',
  'items changed on the server since then (unless --force). Omit it for new items.',
].join('\n');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function withoutKillState(environment: FlagEnvironment): Omit<FlagEnvironment, 'killed'> {
  const { killed: _killed, ...rest } = environment;
  return rest;
}

/** Renders flags and segments as the stable YAML file. With `environment`, only that environment is kept. */
export function renderFlagsFile(
  flags: readonly FlagDocument[],
  segments: readonly SegmentDocument[],
  environment?: string,
): string {
  const flagMap: Record<string, unknown> = {};
  for (const { key, environments, ...flag } of flags) {
    const kept = Object.entries(environments).filter(
      ([name]) => environment === undefined || name === environment,
    );
    flagMap[key] = {
      ...flag,
      environments: Object.fromEntries(kept.map(([name, config]) => [name, withoutKillState(config)])),
    };
  }
  const segmentMap: Record<string, unknown> = {};
  for (const { key, ...segment } of segments) segmentMap[key] = segment;
  const file = environment === undefined ? {} : { environment };
  // No anchors/aliases even where objects repeat: every item must read on its own.
  const document = new Document(
    { ...file, flags: flagMap, segments: segmentMap },
    { sortMapEntries: true, aliasDuplicateObjects: false },
  );
  document.commentBefore = HEADER.split('\n')
    .map((line) => ` ${line}`)
    .join('\n');
  // lineWidth 0: never fold long strings, so an edit to one description is a one-line diff.
  return document.toString({ lineWidth: 0 });
}

/** A problem in the file, located by line and column and named by its field path. */
export class FlagsFileError extends CliError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}:${line}:${column}: ${field ? `${field}: ` : ''}${problem}`, ExitCode.usage);
    this.name = 'FlagsFileError';
  }
}

export type FieldPath = ReadonlyArray<string | number>;

/** `flags.checkout-v2.environments.production.rules[0].serve` */
export function formatFieldPath(path: FieldPath): string {
  return path
    .map((step, index) => (typeof step === 'number' ? `[${step}]` : index === 0 ? step : `.${step}`))
    .join('');
}

/** A parsed file together with what is needed to point at any field of it. */
export class ParsedFlagsFile {
  constructor(
    readonly name: string,
    readonly value: FlagsFile,
    private readonly document: Document,
    private readonly lines: LineCounter,
  ) {}

  /** An error for `path`, placed at the deepest part of the path that exists in the file. */
  errorAt(path: FieldPath, problem: string): FlagsFileError {
    const offset = this.offsetOf(path);
    const { line, col } = this.lines.linePos(offset);
    return new FlagsFileError(this.name, line, col, formatFieldPath(path), problem);
  }

  private offsetOf(path: FieldPath): number {
    let node: Node | null | undefined = this.document.contents;
    let offset = node?.range?.[0] ?? 0;
    for (const step of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && item.key.value === step);
        if (!pair) break;
        offset = (pair.key as Node).range?.[0] ?? offset;
        node = pair.value as Node | null;
      } else if (isSeq(node) && typeof step === 'number') {
        const item = node.items[step] as Node | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return offset;
  }
}

/** The path of the innermost mapping entry or list item whose source covers `offset`. */
function pathAtOffset(node: Node | null | undefined, offset: number): Array<string | number> {
  const covers = (start: number | undefined, end: number | undefined) =>
    start !== undefined && end !== undefined && start <= offset && offset <= end;
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      const end = value?.range?.[2] ?? key?.range?.[2];
      if (isScalar(key) && covers(key.range?.[0], end)) {
        return [String(key.value), ...pathAtOffset(value, offset)];
      }
    }
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const range = (item as Node | null)?.range;
      if (covers(range?.[0], range?.[2])) return [index, ...pathAtOffset(item as Node, offset)];
    }
  }
  return [];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const TOP_LEVEL_FIELDS = new Set(['environment', 'flags', 'segments']);

/**
 * Parses and checks the file's shape: YAML syntax, the top-level fields, one mapping per item keyed by the
 * item's key, and `version` (a positive integer). The flag and segment documents themselves are checked
 * by `validate` against core's rules, and finally by the server.
 */
export function parseFlagsFile(name: string, text: string): ParsedFlagsFile {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const syntaxError = document.errors[0];
  if (syntaxError) {
    const offset = syntaxError.pos[0];
    const { line, col } = lines.linePos(offset);
    const field = formatFieldPath(pathAtOffset(document.contents, offset));
    throw new FlagsFileError(name, line, col, field, `invalid YAML: ${syntaxError.message}`);
  }
  const raw: unknown = document.toJS({ maxAliasCount: 100 });
  const located = new ParsedFlagsFile(name, { flags: [], segments: [] }, document, lines);
  if (raw === null || raw === undefined) throw located.errorAt([], 'the file is empty; expected "flags:"');
  if (!isRecord(raw)) throw located.errorAt([], 'expected a mapping with "flags" and "segments"');
  for (const field of Object.keys(raw)) {
    if (!TOP_LEVEL_FIELDS.has(field)) {
      throw located.errorAt([field], `unknown field (expected one of ${[...TOP_LEVEL_FIELDS].join(', ')})`);
    }
  }
  const environment = raw.environment;
  if (environment !== undefined && (typeof environment !== 'string' || environment === '')) {
    throw located.errorAt(['environment'], 'expected an environment name');
  }
  const flags = readItems<FlagEntry>(located, raw, 'flags');
  const segments = readItems<SegmentEntry>(located, raw, 'segments');
  if (environment !== undefined) {
    for (const flag of flags) {
      const environments = (flag as { environments?: unknown }).environments;
      if (!isRecord(environments)) continue;
      for (const name of Object.keys(environments)) {
        if (name !== environment) {
          throw located.errorAt(
            ['flags', flag.key, 'environments', name],
            `this file manages only environment "${environment}"`,
          );
        }
      }
    }
  }
  return new ParsedFlagsFile(
    name,
    environment === undefined ? { flags, segments } : { environment, flags, segments },
    document,
    lines,
  );
}

function readItems<Entry extends { key: string }>(
  file: ParsedFlagsFile,
  raw: Record<string, unknown>,
  section: 'flags' | 'segments',
): Entry[] {
  const items = raw[section];
  if (items === undefined || items === null) return [];
  if (!isRecord(items)) throw file.errorAt([section], 'expected a mapping from key to document');
  return Object.entries(items).map(([key, item]) => {
    if (!isRecord(item)) throw file.errorAt([section, key], 'expected a mapping (the document)');
    if ('key' in item && item.key !== key) {
      throw file.errorAt([section, key, 'key'], `does not match the mapping key "${key}"`);
    }
    const version = item.version;
    if (version !== undefined && !(Number.isInteger(version) && (version as number) >= 1)) {
      throw file.errorAt([section, key, 'version'], 'expected a positive integer (the exported version)');
    }
    return { ...(item as Json & object), key } as unknown as Entry;
  });
}
