/**
 * Change sets: many flag and segment upserts and deletes applied as ONE transaction, each item audited
 * with the change set's message and id, so a flags file (`switchboard apply`) lands all at once or not
 * at all. The request is the desired state: items missing from it are deleted. Each item carries the
 * version it was exported at; replacing a stored item of another version (changed since the export, or
 * created since when the item has none) is a conflict unless `force`.
 * Kill states are never changed: they are incident state, not configuration.
 */
import { randomBytes } from 'node:crypto';
import type {
  ChangesetResult,
  FlagDocument,
  FlagEnvironment,
  PlannedChange,
  SegmentDocument,
} from '@switchboard/core';
import { validateFlag, validateSegment } from '@switchboard/core';
import { jsonEqual } from '../audit/canonical';
import type { Actor } from '../audit/chain';
import { escapePointer, jsonDiff } from '../audit/diff';
import type { ProblemDetail } from '../errors';
import { badRequest, HttpError, notFound, unprocessable } from '../errors';
import type { StoreTransaction } from '../store/repository';
import type { FlagInput, Mutations, SegmentInput } from './index';
import type { Write } from './write';

export interface ChangesetRequest {
  /** Why: stored as the reason of every audit entry of the change set. */
  message: string;
  /** Plan only: answer what would change and change nothing. */
  dryRun?: boolean;
  /** Overwrite items changed on the server since their base version. */
  force?: boolean;
  /** When set, only this environment's configuration of each flag is managed; the others are kept. */
  environment?: string;
  /**
   * False: flags and segments missing from the request are kept, not deleted (an upsert, as an import
   * needs). Default true: the request is the whole desired state.
   */
  prune?: boolean;
  flags: FlagInput[];
  segments: SegmentInput[];
}

export type { ChangeAction, ChangesetResult, PlannedChange } from '@switchboard/core';

interface Planned<Document> extends PlannedChange {
  before: Document | undefined;
  after: Document | undefined;
}

type Versioned = { key: string; version?: number };

const withoutVersion = <T extends { version: number }>(document: T): Omit<T, 'version'> => {
  const { version: _version, ...rest } = document;
  return rest;
};

function findDuplicates(items: readonly Versioned[], section: string): ProblemDetail[] {
  const seen = new Set<string>();
  return items.flatMap((item, index) => {
    if (seen.has(item.key)) {
      return [{ path: `/${section}/${index}/key`, problem: `"${item.key}" appears more than once` }];
    }
    seen.add(item.key);
    return [];
  });
}

/**
 * Decides create / update / delete / unchanged for each item. `desired` maps a request item to the
 * document it should become (given what is stored); items the request lacks are deleted when `prune`.
 */
function plan<Document extends { key: string; version: number }>(
  kind: 'flag' | 'segment',
  items: readonly Versioned[],
  stored: ReadonlyMap<string, Document>,
  desired: (index: number, current: Document | undefined) => Omit<Document, 'version'>,
  prune: boolean,
): { changes: Array<Planned<Document>>; unchanged: number } {
  const changes: Array<Planned<Document>> = [];
  let unchanged = 0;
  items.forEach((item, index) => {
    const current = stored.get(item.key);
    const target = desired(index, current);
    const base = item.version === undefined || item.version === 0 ? null : item.version;
    if (current && jsonEqual(withoutVersion(current), target)) {
      unchanged++;
      return;
    }
    const newVersion = (current?.version ?? 0) + 1;
    changes.push({
      kind,
      key: item.key,
      action: current ? 'update' : 'create',
      currentVersion: current?.version ?? null,
      baseVersion: base,
      newVersion,
      // A create overwrites nothing, so it is never a conflict (an empty server takes any export).
      conflict: current !== undefined && current.version !== base,
      diff: current ? jsonDiff(withoutVersion(current), target) : [],
      before: current,
      after: { ...target, version: newVersion } as Document,
    });
  });
  const requested = new Set(items.map((item) => item.key));
  for (const current of prune ? stored.values() : []) {
    if (requested.has(current.key)) continue;
    changes.push({
      kind,
      key: current.key,
      action: 'delete',
      currentVersion: current.version,
      baseVersion: null,
      newVersion: null,
      conflict: false,
      diff: [],
      before: current,
      after: undefined,
    });
  }
  return { changes, unchanged };
}

/** The off configuration a flag gets in an environment an environment-scoped request does not manage. */
function offConfiguration(flag: FlagInput, managed: FlagEnvironment | undefined): FlagEnvironment {
  const offVariant =
    managed?.offVariant ??
    (Object.hasOwn(flag.variants, 'off') ? 'off' : (Object.keys(flag.variants)[0] ?? 'off'));
  return { enabled: false, offVariant, fallthrough: { variant: offVariant }, killed: null };
}

/** The flag document an item asks for, with the stored kill states (which a change set never changes). */
function desiredFlag(
  input: FlagInput,
  current: FlagDocument | undefined,
  scope: string | undefined,
  environments: readonly string[],
): Omit<FlagDocument, 'version'> {
  const { version: _version, environments: requested, ...flagFields } = input;
  let configs: Record<string, FlagEnvironment>;
  if (scope === undefined) {
    configs = { ...requested };
  } else {
    const managed = Object.hasOwn(requested, scope) ? requested[scope] : undefined;
    const others = current
      ? Object.entries(current.environments).filter(([name]) => name !== scope)
      : environments
          .filter((name) => name !== scope)
          .map((name) => [name, offConfiguration(input, managed)] as const);
    configs = Object.fromEntries(managed ? [...others, [scope, managed]] : others);
  }
  const withKillState = Object.fromEntries(
    Object.entries(configs).map(([name, config]) => [
      name,
      {
        ...config,
        killed:
          (current && Object.hasOwn(current.environments, name)
            ? current.environments[name]?.killed
            : null) ?? null,
      },
    ]),
  );
  return { ...flagFields, environments: withKillState };
}

/**
 * Problems of the request's own documents (shape first): checked before anything is merged. `kept` are the
 * stored documents a request that does not prune leaves in place, which its documents may reference.
 */
function requestProblems(
  request: ChangesetRequest,
  kept?: { flags: ReadonlyMap<string, FlagDocument>; segments: ReadonlyMap<string, SegmentDocument> },
): ProblemDetail[] {
  const segmentKeys = new Set([
    ...(kept?.segments.keys() ?? []),
    ...request.segments.map((segment) => segment.key),
  ]);
  const flagsByKey = new Map([
    ...(kept?.flags ?? []),
    ...request.flags.map((flag): [string, FlagDocument] => [
      flag.key,
      { ...flag, version: flag.version ?? 0 },
    ]),
  ]);
  const problems = [
    ...findDuplicates(request.flags, 'flags'),
    ...findDuplicates(request.segments, 'segments'),
    ...request.segments.flatMap((segment, index) =>
      validateSegment({ ...segment, version: segment.version ?? 0 }).map(({ path, problem }) => ({
        path: `/segments/${index}${path}`,
        problem,
      })),
    ),
    ...request.flags.flatMap((flag, index) =>
      validateFlag({ ...flag, version: flag.version ?? 0 }, { segments: segmentKeys, flags: flagsByKey }).map(
        ({ path, problem }) => ({ path: `/flags/${index}${path}`, problem }),
      ),
    ),
  ];
  if (request.environment !== undefined) {
    const scope = request.environment;
    request.flags.forEach((flag, index) => {
      for (const name of Object.keys(flag.environments)) {
        if (name !== scope) {
          problems.push({
            path: `/flags/${index}/environments/${escapePointer(name)}`,
            problem: `the change set manages only environment "${scope}"`,
          });
        }
      }
    });
  }
  return problems;
}

/** Problems of the merged result: environments that exist, and references across the whole new state. */
function resultProblems(
  request: ChangesetRequest,
  flags: ReadonlyMap<string, FlagDocument>,
  segmentKeys: ReadonlySet<string>,
  environments: ReadonlySet<string>,
): ProblemDetail[] {
  return request.flags.flatMap((input, index) => {
    const flag = flags.get(input.key);
    if (!flag) return [];
    const unknown = Object.keys(flag.environments)
      .filter((name) => !environments.has(name))
      .map((name) => ({
        path: `/flags/${index}/environments/${escapePointer(name)}`,
        problem: `unknown environment "${name}"`,
      }));
    const invalid = validateFlag(flag, { segments: segmentKeys, flags }).map(({ path, problem }) => ({
      path: `/flags/${index}${path}`,
      problem,
    }));
    return [...unknown, ...invalid];
  });
}

function publicChange(change: Planned<unknown>): PlannedChange {
  const { before: _before, after: _after, ...rest } = change;
  return rest;
}

async function planChangeset(tx: StoreTransaction, request: ChangesetRequest) {
  const prune = request.prune !== false;
  // Without pruning, the request's documents may reference stored ones, so those are read first.
  const stored = prune
    ? undefined
    : {
        flags: new Map((await tx.listAllFlags()).map((flag) => [flag.key, flag])),
        segments: new Map((await tx.listAllSegments()).map((segment) => [segment.key, segment])),
      };
  const problems = requestProblems(request, stored);
  if (problems.length > 0) throw unprocessable('the change set is not valid', problems);
  const environments = (await tx.listEnvironments()).map((environment) => environment.key);
  if (request.environment !== undefined && !environments.includes(request.environment)) {
    throw notFound(`environment "${request.environment}" does not exist`, [
      { path: '/environment', problem: 'unknown environment' },
    ]);
  }
  const storedFlags = stored?.flags ?? new Map((await tx.listAllFlags()).map((flag) => [flag.key, flag]));
  const storedSegments =
    stored?.segments ?? new Map((await tx.listAllSegments()).map((segment) => [segment.key, segment]));

  const segments = plan<SegmentDocument>(
    'segment',
    request.segments,
    storedSegments,
    (index) => {
      const { version: _version, ...segment } = request.segments[index] as SegmentInput;
      return segment;
    },
    prune,
  );
  const flags = plan<FlagDocument>(
    'flag',
    request.flags,
    storedFlags,
    (index, current) =>
      desiredFlag(request.flags[index] as FlagInput, current, request.environment, environments),
    prune,
  );

  // The state after the change set: every flag of the request, merged; the others deleted when pruning, else kept.
  const resulting = new Map([
    ...(prune ? [] : storedFlags),
    ...request.flags.map((input): [string, FlagDocument] => {
      const change = flags.changes.find((planned) => planned.key === input.key);
      return [input.key, change?.after ?? (storedFlags.get(input.key) as FlagDocument)];
    }),
  ]);
  const resultIssues = resultProblems(
    request,
    resulting,
    new Set([...(prune ? [] : storedSegments.keys()), ...request.segments.map((segment) => segment.key)]),
    new Set(environments),
  );
  if (resultIssues.length > 0) throw unprocessable('the change set is not valid', resultIssues);
  return { flags, segments };
}

/** 409 naming each conflicting item, with the whole plan (`plan`) so a client can show it. */
function conflictError(plan: ChangesetResult): HttpError {
  const conflicts = plan.changes.filter((change) => change.conflict);
  const details = conflicts.map((change) => ({
    path: `/${change.kind}s/${escapePointer(change.key)}`,
    problem:
      change.baseVersion === null
        ? `exists on the server (version ${change.currentVersion}) but the request has no base version`
        : `changed on the server: version ${change.currentVersion}, the request is based on ${change.baseVersion}`,
  }));
  const count = `${conflicts.length} item${conflicts.length === 1 ? '' : 's'}`;
  return new HttpError(
    409,
    'conflict',
    `${count} changed on the server since the export; export again, or force`,
    details,
    { plan },
  );
}

async function writeChanges(
  write: Write,
  changes: { flags: Array<Planned<FlagDocument>>; segments: Array<Planned<SegmentDocument>> },
  reason: string,
): Promise<void> {
  const audit = (change: Planned<unknown>) =>
    write.audit({
      action: `${change.kind}.${change.action}`,
      target: { kind: change.kind, key: change.key },
      reason,
      before: change.before ?? null,
      after: change.after ?? null,
    });
  // Segments first and flags last, so no intermediate state has a flag naming a missing segment.
  for (const change of changes.segments.filter((planned) => planned.after)) {
    await write.tx.putSegment(change.after as SegmentDocument);
    await audit(change);
    await write.segmentChanged(change.key, change.after);
  }
  for (const change of changes.flags) {
    if (change.after) await write.tx.putFlag(change.after);
    else await write.tx.deleteFlag(change.key);
    await audit(change);
    await write.flagChanged(change.key, change.before, change.after);
  }
  for (const change of changes.segments.filter((planned) => !planned.after)) {
    await write.tx.deleteSegment(change.key);
    await audit(change);
    await write.segmentChanged(change.key, undefined);
  }
}

/** Plans the change set and, unless it is a dry run (or conflicts without force), applies it in one transaction. */
export function applyChangeset(
  mutations: Mutations,
  actor: Actor,
  request: ChangesetRequest,
): Promise<ChangesetResult> {
  if (request.message.trim() === '')
    throw badRequest('a change set needs a message', [{ path: '/message', problem: 'empty' }]);
  return mutations.commitAs(actor, async (write) => {
    const planned = await planChangeset(write.tx, request);
    const all: Array<Planned<unknown>> = [...planned.segments.changes, ...planned.flags.changes];
    const result = {
      dryRun: request.dryRun === true,
      message: request.message,
      changes: all.map(publicChange),
      unchanged: planned.segments.unchanged + planned.flags.unchanged,
    };
    if (!request.force && all.some((change) => change.conflict)) {
      throw conflictError({ ...result, changeSet: null });
    }
    if (request.dryRun || all.length === 0) return { ...result, changeSet: null };
    const changeSet = `cs_${randomBytes(6).toString('hex')}`;
    await writeChanges(
      write,
      { flags: planned.flags.changes, segments: planned.segments.changes },
      `${request.message} [change set ${changeSet}]`,
    );
    return { ...result, changeSet };
  });
}
