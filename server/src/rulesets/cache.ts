/**
 * Each environment's compiled ruleset in memory, kept current from the fan-out: one store read per
 * environment on first use, then only the committed changes. Evaluating for thousands of contexts after
 * a change therefore costs no database query, only core's compiled evaluation.
 *
 * Changes are applied in change-sequence order. A notice that carries its changes and follows the
 * version held is applied synchronously (so listeners run in the same turn as the commit's fan-out);
 * a gap, a notice without changes (another replica) or a notice during a load is caught up from the
 * change log, or with a full reload when the log no longer reaches back.
 */
import { compileRuleset } from '@switchboard/core';
import type { CompiledRuleset, FlagConfig } from '@switchboard/core';
import type { ChangeNotice, ChangeRecord, Fanout } from '../fanout/fanout';
import type { Repository } from '../store/repository';

export type RulesetStore = Pick<Repository, 'getRuleset' | 'changesSince'>;

export interface RulesetLogger {
  error(object: object, message: string): void;
}

export interface RulesetUpdate {
  environment: string;
  ruleset: CompiledRuleset;
  /**
   * Flags whose outcome may differ from before: changed or deleted flags, flags whose rules use a changed
   * segment, and flags depending on any of those through prerequisites. null after a full reload.
   */
  affected: ReadonlySet<string> | null;
  /** The change was a kill. */
  urgent: boolean;
}

export type RulesetListener = (update: RulesetUpdate) => void;

class EnvironmentRulesets {
  ruleset: CompiledRuleset | null = null;
  /** Raw flag configurations, for the prerequisite and segment dependencies of `affected`. */
  configs = new Map<string, FlagConfig>();
  /** Loads and catch-ups run one after another on this chain. */
  work: Promise<unknown> = Promise.resolve();
  pendingWork = 0;
  loaded: Promise<CompiledRuleset>;

  constructor(load: (state: EnvironmentRulesets) => Promise<CompiledRuleset>) {
    this.loaded = this.enqueue(() => load(this));
  }

  enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.pendingWork++;
    const run = this.work.then(task).finally(() => this.pendingWork--);
    this.work = run.catch(() => undefined);
    return run;
  }
}

export class RulesetCache {
  private readonly environments = new Map<string, EnvironmentRulesets>();
  private readonly listeners = new Set<RulesetListener>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: RulesetStore,
    fanout: Fanout,
    private readonly log: RulesetLogger,
  ) {
    this.unsubscribe = fanout.subscribe((notice) => this.onNotice(notice));
  }

  /** The environment's current compiled ruleset (loaded on first use). Throws UnknownEnvironmentError. */
  get(environment: string): Promise<CompiledRuleset> {
    let state = this.environments.get(environment);
    if (state === undefined) {
      state = new EnvironmentRulesets((loading) => this.reload(loading, environment, false));
      this.environments.set(environment, state);
      const failed = state;
      // A failed first load is forgotten, so that the next request tries again.
      state.loaded.catch(() => {
        if (this.environments.get(environment) === failed) this.environments.delete(environment);
      });
    }
    return state.ruleset !== null ? Promise.resolve(state.ruleset) : state.loaded;
  }

  /**
   * The ruleset held right now (undefined before the first load). Synchronous, for code that must not let a
   * change slip in between reading the ruleset and subscribing to updates.
   */
  current(environment: string): CompiledRuleset | undefined {
    return this.environments.get(environment)?.ruleset ?? undefined;
  }

  /** Called after every applied change (and reload) of an environment in use; returns an unsubscribe. */
  onUpdate(listener: RulesetListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
    this.environments.clear();
  }

  private onNotice(notice: ChangeNotice): void {
    const state = this.environments.get(notice.environment);
    if (state === undefined) return;
    const changes = notice.changes;
    const version = state.ruleset?.version;
    if (state.pendingWork === 0 && version !== undefined && changes !== undefined) {
      const fresh = changes.filter((change) => change.seq > version);
      if (fresh.every((change, index) => change.seq === version + 1 + index)) {
        if (fresh.length > 0) this.apply(state, fresh, notice.urgent);
        return;
      }
    }
    void state
      .enqueue(() => this.catchUp(state, notice.environment, notice.urgent))
      .catch((error: unknown) =>
        this.log.error({ err: error, environment: notice.environment }, 'rulesets: catching up failed'),
      );
  }

  private async catchUp(state: EnvironmentRulesets, environment: string, urgent: boolean): Promise<void> {
    const ruleset = state.ruleset;
    if (ruleset === null) return;
    const missed = await this.store.changesSince(environment, ruleset.version);
    if (missed === null) await this.reload(state, environment, urgent);
    else if (missed.length > 0) this.apply(state, missed, urgent);
  }

  private async reload(
    state: EnvironmentRulesets,
    environment: string,
    urgent: boolean,
  ): Promise<CompiledRuleset> {
    const raw = await this.store.getRuleset(environment);
    const ruleset = compileRuleset(raw);
    const initial = state.ruleset === null;
    state.ruleset = ruleset;
    state.configs = new Map(Object.entries(raw.flags));
    if (!initial) this.announce({ environment, ruleset, affected: null, urgent });
    return ruleset;
  }

  private apply(state: EnvironmentRulesets, changes: ChangeRecord[], urgent: boolean): void {
    let ruleset = state.ruleset as CompiledRuleset;
    const flags = new Set<string>();
    const segments = new Set<string>();
    for (const change of changes) {
      if (change.seq <= ruleset.version) continue;
      ruleset = ruleset.withChange(change, change.seq);
      if (change.kind === 'flag') {
        flags.add(change.key);
        if (change.value === null) state.configs.delete(change.key);
        else state.configs.set(change.key, change.value as FlagConfig);
      } else {
        segments.add(change.key);
      }
    }
    state.ruleset = ruleset;
    const environment = ruleset.environment;
    this.announce({ environment, ruleset, affected: affectedFlags(state.configs, flags, segments), urgent });
  }

  private announce(update: RulesetUpdate): void {
    for (const listener of this.listeners) {
      try {
        listener(update);
      } catch (error) {
        this.log.error({ err: error, environment: update.environment }, 'rulesets: a listener failed');
      }
    }
  }
}

/** The changed flags, the flags using a changed segment, and everything depending on them via prerequisites. */
export function affectedFlags(
  configs: ReadonlyMap<string, FlagConfig>,
  changedFlags: ReadonlySet<string>,
  changedSegments: ReadonlySet<string>,
): Set<string> {
  const affected = new Set(changedFlags);
  if (changedSegments.size > 0) {
    for (const [key, config] of configs) {
      const usesSegment = (config.rules ?? []).some((rule) =>
        rule.clauses.some((clause) => 'segment' in clause && changedSegments.has(clause.segment)),
      );
      if (usesSegment) affected.add(key);
    }
  }
  for (let grew = true; grew;) {
    grew = false;
    for (const [key, config] of configs) {
      if (affected.has(key)) continue;
      if ((config.prerequisites ?? []).some((prerequisite) => affected.has(prerequisite.flag))) {
        affected.add(key);
        grew = true;
      }
    }
  }
  return affected;
}
