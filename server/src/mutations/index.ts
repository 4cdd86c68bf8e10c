/**
 * Every change to the store. Each method runs as ONE transaction that writes the change, appends
 * the audit entry and appends the change-log rows of every environment whose SDK view changed;
 * after the commit it publishes one ChangeNotice per touched environment. A request that fails
 * (4xx) throws before the commit, so it leaves no trace: no audit entry, no sequence bump.
 */
import type { FlagDocument, FlagEnvironment, SegmentDocument } from '@switchboard/core';
import { validateFlag, validateSegment } from '@switchboard/core';
import type { FastifyBaseLogger } from 'fastify';
import { jsonEqual } from '../audit/canonical';
import type { Actor, AuditEntry } from '../audit/chain';
import { escapePointer } from '../audit/diff';
import { generateSecret, hashSecret, isSdkKind, newTokenId } from '../auth/tokens';
import type { ProblemDetail } from '../errors';
import { badRequest, conflict, notFound, unprocessable } from '../errors';
import type { Fanout } from '../fanout/fanout';
import type { Environment, Repository, StoreTransaction, TokenInfo, TokenKind } from '../store/repository';
import type { EnvironmentEdit } from './flag-edits';
import { kill } from './flag-edits';
import { Write } from './write';

/** A flag document as written by a client: `version` is the version it was based on (none to create). */
export type FlagInput = Omit<FlagDocument, 'version'> & { version?: number };
export type SegmentInput = Omit<SegmentDocument, 'version'> & { version?: number };

export interface MutationsOptions {
  store: Repository;
  fanout: Fanout;
  log: FastifyBaseLogger;
}

export interface EnvironmentEditRequest {
  key: string;
  environment: string;
  /** The flag version the edit was based on; no check when absent. */
  expectedVersion?: number;
  reason?: string;
  /** Audit action, e.g. `flag.rollout`. */
  action: string;
}

/** Create when `expected` is absent or 0; otherwise the stored version must equal it. */
function checkPutVersion(
  kind: 'flag' | 'segment',
  key: string,
  current: { version: number } | undefined,
  expected: number | undefined,
): void {
  if (expected === undefined || expected === 0) {
    if (current) {
      throw conflict(`${kind} "${key}" already exists; send the version your change is based on`, {
        currentVersion: current.version,
      });
    }
    return;
  }
  if (!current) throw notFound(`${kind} "${key}" does not exist; create it without a version`);
  checkVersion(kind, key, current, expected);
}

function checkVersion(kind: string, key: string, current: { version: number }, expected: number | undefined) {
  if (expected !== undefined && current.version !== expected) {
    throw conflict(`${kind} "${key}" is at version ${current.version}, not ${expected}: reload and retry`, {
      currentVersion: current.version,
    });
  }
}

/** The stored form: `killed` always present (null when not killed), so unkill restores it exactly. */
function normalizeFlag(document: FlagDocument): FlagDocument {
  const environments = Object.fromEntries(
    Object.entries(document.environments).map(([key, config]) => [
      key,
      { ...config, killed: config.killed ?? null },
    ]),
  );
  return { ...document, environments };
}

/**
 * Core's checks of the document against the other flags and segments, plus what only the store
 * knows: its environments exist, and flags requiring it still find the variants they name.
 * Paths are JSON pointers into the document. Other flags are read only when the answer can depend
 * on them (the document has prerequisites, or its variant names changed), so a routine edit does
 * not read every flag.
 */
async function flagProblems(
  tx: StoreTransaction,
  document: FlagDocument,
  before: FlagDocument | undefined,
): Promise<ProblemDetail[]> {
  const environments = new Set((await tx.listEnvironments()).map((environment) => environment.key));
  const unknownEnvironments = Object.keys(document.environments)
    .filter((key) => !environments.has(key))
    .map((key) => ({ path: `/environments/${escapePointer(key)}`, problem: `unknown environment "${key}"` }));

  const segments = new Set<string>();
  for (const key of segmentsUsedBy(document)) if (await tx.getSegment(key)) segments.add(key);

  const variants = new Set(Object.keys(document.variants));
  const variantsChanged =
    before !== undefined && !jsonEqual(Object.keys(before.variants).sort(), [...variants].sort());
  const needsFlags = (document.prerequisites ?? []).length > 0 || variantsChanged;
  const flags = new Map(needsFlags ? (await tx.listAllFlags()).map((flag) => [flag.key, flag]) : []);
  const missingForDependents = [...flags.values()].flatMap((flag) =>
    (flag.prerequisites ?? [])
      .filter((prerequisite) => prerequisite.flag === document.key && flag.key !== document.key)
      .flatMap((prerequisite) => prerequisite.variants.filter((variant) => !variants.has(variant)))
      .map((variant) => ({ path: '/variants', problem: `flag "${flag.key}" requires variant "${variant}"` })),
  );
  return [...unknownEnvironments, ...missingForDependents, ...validateFlag(document, { segments, flags })];
}

/** Keys of the segments the flag's rules refer to. */
function segmentsUsedBy(flag: FlagDocument): Set<string> {
  const keys = new Set<string>();
  for (const config of Object.values(flag.environments)) {
    for (const rule of config.rules ?? []) {
      for (const clause of rule.clauses) if ('segment' in clause) keys.add(clause.segment);
    }
  }
  return keys;
}

async function requireFlag(tx: StoreTransaction, key: string): Promise<FlagDocument> {
  const flag = await tx.getFlag(key);
  if (!flag) throw notFound(`flag "${key}" does not exist`);
  return flag;
}

async function requireEnvironment(tx: StoreTransaction, key: string): Promise<Environment> {
  const environment = await tx.getEnvironment(key);
  if (!environment) throw notFound(`environment "${key}" does not exist`);
  return environment;
}

/** The flag's configuration in the environment (an own property: "constructor" is a valid key). */
function ownConfig(flag: FlagDocument | undefined, environment: string): FlagEnvironment | undefined {
  return flag && Object.hasOwn(flag.environments, environment) ? flag.environments[environment] : undefined;
}

function configIn(flag: FlagDocument, environment: string): FlagEnvironment {
  const config = ownConfig(flag, environment);
  if (!config) throw notFound(`flag "${flag.key}" has no configuration in environment "${environment}"`);
  return config;
}

/** Work that must commit (or fail) together with a kill of `key` in `environment`. */
export type KillHook = (write: Write, key: string, environment: string) => Promise<void>;

export class Mutations {
  private readonly revocationListeners = new Set<(tokenId: string) => void>();
  private readonly auditListeners = new Set<(entry: AuditEntry) => void>();
  private readonly killHooks = new Set<KillHook>();

  constructor(private readonly options: MutationsOptions) {}

  /** Calls `listener(tokenId)` after a token revocation commits; answers an unsubscribe function. */
  onTokenRevoked(listener: (tokenId: string) => void): () => void {
    this.revocationListeners.add(listener);
    return () => this.revocationListeners.delete(listener);
  }

  /**
   * Runs `hook` inside the transaction of every kill that changes a flag (single, by tag, or by the
   * server itself), after the kill is written; answers an unsubscribe function.
   */
  onKill(hook: KillHook): () => void {
    this.killHooks.add(hook);
    return () => this.killHooks.delete(hook);
  }

  /** Calls `listener(entry)` for every audit entry once its transaction commits (live admin views). */
  onAudited(listener: (entry: AuditEntry) => void): () => void {
    this.auditListeners.add(listener);
    return () => this.auditListeners.delete(listener);
  }

  private async commit<T>(actor: Actor, work: (write: Write) => Promise<T>): Promise<T> {
    let write: Write | undefined;
    const result = await this.options.store.transaction((tx) => {
      write = new Write(tx, actor);
      return work(write);
    });
    for (const notice of write?.notices.values() ?? []) {
      this.afterCommit('change fan-out', () => this.options.fanout.publish(notice));
    }
    for (const entry of write?.audited ?? []) {
      for (const listener of this.auditListeners) this.afterCommit('audit', () => listener(entry));
    }
    return result;
  }

  /** Runs a listener of a committed change: its failure is logged, never turned into an error answer. */
  private afterCommit(what: string, listener: () => void): void {
    try {
      listener();
    } catch (error) {
      this.options.log.error({ err: error }, `${what} listener failed after commit`);
    }
  }

  /** Validates and stores a new flag document (version = previous + 1), unless nothing changed. */
  private async writeFlag(
    write: Write,
    before: FlagDocument | undefined,
    candidate: FlagDocument,
    audit: { action: string; environment?: string; reason?: string },
  ): Promise<FlagDocument> {
    const after = normalizeFlag({ ...candidate, version: (before?.version ?? 0) + 1 });
    if (before && jsonEqual({ ...before, version: 0 }, { ...after, version: 0 })) return before;
    // A kill or unkill changes only `killed`: it must always go through, even for a flag that
    // stricter validation would now reject.
    const isKillSwitch = audit.action === 'flag.kill' || audit.action === 'flag.unkill';
    if (!isKillSwitch) {
      const problems = await flagProblems(write.tx, after, before);
      if (problems.length > 0) throw unprocessable(`flag "${after.key}" is not valid`, problems);
    }
    await write.tx.putFlag(after);
    await write.audit({ ...audit, target: { kind: 'flag', key: after.key }, before: before ?? null, after });
    await write.flagChanged(after.key, before, after, audit.action === 'flag.kill');
    if (audit.action === 'flag.kill' && audit.environment !== undefined) {
      for (const hook of this.killHooks) await hook(write, after.key, audit.environment);
    }
    return after;
  }

  /** PUT: creates (no version) or replaces (the version it was based on). `killed` stays as stored. */
  putFlag(
    actor: Actor,
    input: FlagInput,
    expectedVersion: number | undefined,
    reason?: string,
  ): Promise<{ flag: FlagDocument; created: boolean }> {
    return this.commit(actor, async (write) => {
      const before = await write.tx.getFlag(input.key);
      checkPutVersion('flag', input.key, before, expectedVersion);
      // Only kill and unkill change `killed`, so an edit based on a killed version cannot revive it.
      const environments = Object.fromEntries(
        Object.entries(input.environments).map(([key, config]) => [
          key,
          { ...config, killed: ownConfig(before, key)?.killed ?? null },
        ]),
      );
      const candidate = { ...input, environments, version: 0 };
      const action = before ? 'flag.update' : 'flag.create';
      const flag = await this.writeFlag(write, before, candidate, { action, reason });
      return { flag, created: !before };
    });
  }

  deleteFlag(actor: Actor, key: string, expectedVersion: number | undefined, reason?: string): Promise<void> {
    return this.commit(actor, async (write) => {
      const before = await requireFlag(write.tx, key);
      checkVersion('flag', key, before, expectedVersion);
      const dependents = (await write.tx.listAllFlags()).flatMap((flag) =>
        (flag.prerequisites ?? []).flatMap((prerequisite, index) =>
          prerequisite.flag === key && flag.key !== key
            ? [
                {
                  path: `/flags/${escapePointer(flag.key)}/prerequisites/${index}`,
                  problem: `flag "${flag.key}" requires it`,
                },
              ]
            : [],
        ),
      );
      if (dependents.length > 0) {
        throw unprocessable(`flag "${key}" is a prerequisite of other flags; change those first`, dependents);
      }
      await write.tx.deleteFlag(key);
      await write.audit({
        action: 'flag.delete',
        target: { kind: 'flag', key },
        reason,
        before,
        after: null,
      });
      await write.flagChanged(key, before, undefined);
    });
  }

  /** Applies a focused edit to one environment of a flag (toggle, rollout, targets, rule order). */
  editFlagEnvironment(
    actor: Actor,
    request: EnvironmentEditRequest,
    edit: EnvironmentEdit,
  ): Promise<FlagDocument> {
    return this.commit(actor, (write) => this.applyEnvironmentEdit(write, request, edit));
  }

  /** editFlagEnvironment inside a mutation already running (commitAs), next to other work. */
  async applyEnvironmentEdit(
    write: Write,
    request: EnvironmentEditRequest,
    edit: EnvironmentEdit,
  ): Promise<FlagDocument> {
    const before = await requireFlag(write.tx, request.key);
    await requireEnvironment(write.tx, request.environment);
    const config = configIn(before, request.environment);
    checkVersion('flag', request.key, before, request.expectedVersion);
    const environments = { ...before.environments, [request.environment]: edit(config) };
    return this.writeFlag(
      write,
      before,
      { ...before, environments },
      { action: request.action, environment: request.environment, reason: request.reason },
    );
  }

  /** Kills every flag carrying `tag` in the environment, in one transaction. */
  killByTag(
    actor: Actor,
    request: { tag: string; environment: string; reason: string },
  ): Promise<{ killed: string[]; alreadyKilled: string[] }> {
    return this.commit(actor, async (write) => {
      await requireEnvironment(write.tx, request.environment);
      const tagged = (await write.tx.listAllFlags()).filter(
        (flag) => flag.tags?.includes(request.tag) && ownConfig(flag, request.environment) !== undefined,
      );
      if (tagged.length === 0) {
        throw notFound(
          `no flag tagged "${request.tag}" is configured in environment "${request.environment}"`,
        );
      }
      const killState = kill({ at: new Date().toISOString(), by: actor.name, reason: request.reason });
      const result = { killed: [] as string[], alreadyKilled: [] as string[] };
      for (const flag of tagged) {
        const config = configIn(flag, request.environment);
        if (config.killed) {
          result.alreadyKilled.push(flag.key);
          continue;
        }
        const environments = { ...flag.environments, [request.environment]: killState(config) };
        await this.writeFlag(
          write,
          flag,
          { ...flag, environments },
          { action: 'flag.kill', environment: request.environment, reason: request.reason },
        );
        result.killed.push(flag.key);
      }
      return result;
    });
  }

  putSegment(
    actor: Actor,
    input: SegmentInput,
    expectedVersion: number | undefined,
    reason?: string,
  ): Promise<{ segment: SegmentDocument; created: boolean }> {
    return this.commit(actor, async (write) => {
      const before = await write.tx.getSegment(input.key);
      checkPutVersion('segment', input.key, before, expectedVersion);
      const after: SegmentDocument = { ...input, version: (before?.version ?? 0) + 1 };
      if (before && jsonEqual({ ...before, version: 0 }, { ...after, version: 0 })) {
        return { segment: before, created: false };
      }
      const problems = validateSegment(after);
      if (problems.length > 0) throw unprocessable(`segment "${after.key}" is not valid`, problems);
      await write.tx.putSegment(after);
      await write.audit({
        action: before ? 'segment.update' : 'segment.create',
        target: { kind: 'segment', key: after.key },
        reason,
        before: before ?? null,
        after,
      });
      await write.segmentChanged(after.key, after);
      return { segment: after, created: !before };
    });
  }

  deleteSegment(
    actor: Actor,
    key: string,
    expectedVersion: number | undefined,
    reason?: string,
  ): Promise<void> {
    return this.commit(actor, async (write) => {
      const before = await write.tx.getSegment(key);
      if (!before) throw notFound(`segment "${key}" does not exist`);
      checkVersion('segment', key, before, expectedVersion);
      const users = (await write.tx.listAllFlags()).flatMap((flag) =>
        Object.entries(flag.environments).flatMap(([environment, config]) =>
          (config.rules ?? []).flatMap((rule, ruleIndex) =>
            rule.clauses.flatMap((clause, clauseIndex) =>
              'segment' in clause && clause.segment === key
                ? [
                    {
                      path: `/flags/${escapePointer(flag.key)}/environments/${escapePointer(environment)}/rules/${ruleIndex}/clauses/${clauseIndex}`,
                      problem: `flag "${flag.key}" uses the segment`,
                    },
                  ]
                : [],
            ),
          ),
        ),
      );
      if (users.length > 0)
        throw unprocessable(`segment "${key}" is used by flags; change those first`, users);
      await write.tx.deleteSegment(key);
      await write.audit({
        action: 'segment.delete',
        target: { kind: 'segment', key },
        reason,
        before,
        after: null,
      });
      await write.segmentChanged(key, undefined);
    });
  }

  createEnvironment(
    actor: Actor,
    request: { key: string; name?: string },
    reason?: string,
  ): Promise<Environment> {
    return this.commit(actor, (write) => insertEnvironment(write, request, reason));
  }

  createToken(
    actor: Actor,
    request: { name: string; kind: TokenKind; environment?: string },
  ): Promise<{ token: TokenInfo; secret: string }> {
    return this.commit(actor, (write) => insertToken(write, request));
  }

  /** Revokes a token (idempotent) and, after the commit, tells onTokenRevoked listeners. */
  async revokeToken(actor: Actor, id: string): Promise<TokenInfo> {
    const token = await this.commit(actor, async (write) => {
      const stored = await write.tx.getToken(id);
      if (!stored) throw notFound(`token "${id}" does not exist`);
      const { hash: _hash, ...before } = stored;
      if (before.revokedAt !== null) return before;
      const after = { ...before, revokedAt: new Date().toISOString() };
      await write.tx.updateToken(id, { revokedAt: after.revokedAt });
      await write.audit({ action: 'token.revoke', target: { kind: 'token', key: id }, before, after });
      return after;
    });
    for (const listener of this.revocationListeners) this.afterCommit('token revocation', () => listener(id));
    return token;
  }

  /** Runs other work (see bootstrap.ts) as one mutation: one transaction, audited, notices after commit. */
  commitAs<T>(actor: Actor, work: (write: Write) => Promise<T>): Promise<T> {
    return this.commit(actor, work);
  }
}

/** Inserts an environment (409 when it exists) with its audit entry. */
export async function insertEnvironment(
  write: Write,
  request: { key: string; name?: string },
  reason?: string,
): Promise<Environment> {
  if (await write.tx.getEnvironment(request.key))
    throw conflict(`environment "${request.key}" already exists`);
  const environment = await write.tx.insertEnvironment({
    key: request.key,
    name: request.name ?? request.key,
  });
  await write.audit({
    action: 'environment.create',
    target: { kind: 'environment', key: environment.key },
    environment: environment.key,
    reason,
    before: null,
    after: environment,
  });
  return environment;
}

/** Inserts a token (the secret is generated unless given) with its audit entry; answers the secret once. */
export async function insertToken(
  write: Write,
  request: { name: string; kind: TokenKind; environment?: string },
  { id = newTokenId(), secret = generateSecret(request.kind) }: { id?: string; secret?: string } = {},
): Promise<{ token: TokenInfo; secret: string }> {
  if (isSdkKind(request.kind)) {
    if (request.environment === undefined) {
      throw badRequest(`a ${request.kind} key belongs to one environment`, [
        { path: '/body/environment', problem: `required for kind ${request.kind}` },
      ]);
    }
    if (!(await write.tx.getEnvironment(request.environment))) {
      throw unprocessable(`environment "${request.environment}" does not exist`, [
        { path: '/body/environment', problem: 'unknown environment' },
      ]);
    }
  } else if (request.environment !== undefined) {
    throw badRequest(`a ${request.kind} token is not bound to an environment`, [
      { path: '/body/environment', problem: `only server and client keys take an environment` },
    ]);
  }
  const token: TokenInfo = {
    id,
    name: request.name,
    kind: request.kind,
    environment: request.environment ?? null,
    createdAt: new Date().toISOString(),
    revokedAt: null,
  };
  await write.tx.insertToken({ ...token, hash: hashSecret(secret) });
  await write.audit({
    action: 'token.create',
    target: { kind: 'token', key: token.id },
    environment: token.environment,
    before: null,
    after: token,
  });
  return { token, secret };
}
