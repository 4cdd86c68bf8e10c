/**
 * Unleash features → Switchboard flag documents for one environment, so that every context gets the answer
 * Unleash gave it (see docs/migrating-from-unleash.md for the mapping and its few known differences).
 *
 * An Unleash feature is on when its dependencies are met, it is enabled, and the first of its strategies
 * that is on (in order) says so; that strategy's variants (or else the feature's) pick the variant. Here:
 * dependencies → prerequisites; enabled → the environment's `enabled`; each strategy → rules (in order),
 * its constraints and segments → clauses ANDed with the strategy's own condition, serving the variant
 * choice; no strategy on → the fallthrough serves `off`; no strategies at all → on for everyone.
 *
 * Pure: reads the payload and the stored documents it may update, returns documents and a per-feature
 * report. Features that cannot be carried over exactly are reported with the reasons and left out whole.
 */
import { keyProblem, LIMITS, validateFlag, validateSegment } from '@switchboard/core';
import type {
  AttributeClause,
  Clause,
  FlagDocument,
  FlagEnvironment,
  HashEncoding,
  Prerequisite,
  Rule,
  SegmentDocument,
  Serve,
} from '@switchboard/core';
import type { Note, NoteCode, NoteSink } from './conditions';
import { combine, Conjunction, Untranslatable } from './conditions';
import { translateConstraint } from './constraints';
import type { Loose, UnleashFeature, UnleashSegment, UnleashSource, UnleashState } from './payload';
import { readUnleashPayload } from './payload';
import { strategyConditions } from './strategies';
import type { Hashing } from './strategies';
import type { Branch } from './variants';
import type { UnleashMeaning } from './variants';
import { meaningOf, OFF, ON, variantBranches, VariantRegistry } from './variants';

export interface TranslateOptions {
  /** The Switchboard environment imported into. */
  environment: string;
  /** For an export holding several Unleash environments: which one. */
  sourceEnvironment?: string;
  /**
   * How ids are hashed for rollouts and variants: 'utf8' (default) keeps the buckets of Unleash's Go, Java,
   * Python, .NET and Ruby SDKs and of Unleash Edge; 'latin1' those of the Unleash Node SDK (unleash-client),
   * whose hash reads each UTF-16 code unit's low byte. They differ only for ids with non-ASCII characters.
   */
  hashEncoding?: HashEncoding;
  /** Stored flags and segments an import may update (their other environments, kill states, … are kept). */
  existingFlags?: ReadonlyMap<string, FlagDocument>;
  existingSegments?: ReadonlyMap<string, SegmentDocument>;
}

export interface FeatureReport {
  /** The Unleash feature name (also the Switchboard flag key). */
  feature: string;
  status: 'translated' | 'untranslatable';
  /** Why the feature cannot be carried over (empty when translated). */
  reasons: string[];
  /** What differs in detail, or has no effect in Unleash either (see NoteCode). */
  notes: Note[];
}

export interface SegmentReport {
  /** The Unleash segment id. */
  id: number;
  /** The Switchboard segment key. */
  key: string;
  status: 'translated' | 'untranslatable';
  reasons: string[];
  notes: Note[];
}

export interface UnleashTranslation {
  source: UnleashSource;
  sourceEnvironment: string | null;
  environment: string;
  /** The documents of the translated features and the segments they use (version: the stored one, or 0). */
  flags: FlagDocument[];
  segments: SegmentDocument[];
  features: FeatureReport[];
  segmentReports: SegmentReport[];
}

const MAX_DESCRIPTION = LIMITS.descriptionLength;

const isObject = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function collector(): { notes: Note[]; note: NoteSink } {
  const notes: Note[] = [];
  return { notes, note: (code: NoteCode, message: string) => notes.push({ code, message }) };
}

/** Unleash segments as Switchboard segments, translated once each, on first use. */
class SegmentTranslator {
  readonly reports = new Map<number, SegmentReport>();
  /** The translated segments, by Switchboard key. */
  readonly documents = new Map<string, SegmentDocument>();
  /** 'never': the segment's constraints can never all hold. */
  private readonly outcomes = new Map<number, { key: string } | 'never' | 'always' | Untranslatable>();
  private readonly usedKeys = new Set<string>();

  constructor(
    private readonly state: UnleashState,
    private readonly existing: ReadonlyMap<string, SegmentDocument>,
  ) {}

  /** The clause a strategy's reference to segment `id` becomes (or a constant); throws Untranslatable. */
  reference(id: unknown, where: string, note: NoteSink): Clause | 'never' | 'always' {
    const segment = typeof id === 'number' ? this.state.segments.get(id) : undefined;
    if (segment === undefined) {
      note(
        'never-matches',
        `${where}: segment ${JSON.stringify(id)} does not exist, so the strategy is never on`,
      );
      return 'never';
    }
    let outcome = this.outcomes.get(segment.id);
    if (outcome === undefined) {
      outcome = this.translate(segment);
      this.outcomes.set(segment.id, outcome);
    }
    if (outcome instanceof Untranslatable) throw new Untranslatable(`${where}: ${outcome.message}`);
    if (outcome === 'never' || outcome === 'always') return outcome;
    return { segment: outcome.key };
  }

  private keyFor(segment: UnleashSegment): string {
    const name = typeof segment.name === 'string' && keyProblem(segment.name) === null ? segment.name : null;
    let key = name ?? `segment-${segment.id}`;
    for (let n = 2; this.usedKeys.has(key); n++) key = `${name ?? `segment-${segment.id}`}-${n}`;
    this.usedKeys.add(key);
    return key;
  }

  private translate(segment: UnleashSegment): { key: string } | 'never' | 'always' | Untranslatable {
    const key = this.keyFor(segment);
    const { notes, note } = collector();
    const report: SegmentReport = { id: segment.id, key, status: 'translated', reasons: [], notes };
    this.reports.set(segment.id, report);
    try {
      const constraints = segment.constraints ?? (this.state.segmentsComplete ? [] : undefined);
      if (!Array.isArray(constraints))
        throw new Untranslatable(
          `segment ${segment.id} has no constraints in this payload (exports list segments without them: ` +
            'import /api/client/features instead)',
        );
      const clauses: AttributeClause[] = [];
      for (const [i, constraint] of constraints.entries()) {
        const translated = translateConstraint(
          constraint,
          `segment ${segment.id}, constraint ${i + 1}`,
          note,
        );
        if (translated.kind === 'never') return 'never';
        if (translated.kind === 'clause') clauses.push(translated.clause);
      }
      if (clauses.length === 0) return 'always';
      if (clauses.length > LIMITS.clauses)
        throw new Untranslatable(`segment ${segment.id} has more than ${LIMITS.clauses} constraints`);
      const description = `Imported from Unleash segment ${segment.id}${typeof segment.name === 'string' ? ` (${segment.name})` : ''}`;
      this.documents.set(key, {
        key,
        description: description.slice(0, MAX_DESCRIPTION),
        rules: [{ id: 'constraints', clauses }],
        version: this.existing.get(key)?.version ?? 0,
      });
      return { key };
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
      report.status = 'untranslatable';
      report.reasons.push(error.message);
      return error;
    }
  }
}

/** One feature's translation before its dependencies are resolved. */
interface Translated {
  feature: UnleashFeature;
  registry: VariantRegistry;
  environment: FlagEnvironment;
  report: FeatureReport;
}

/** The served outcome of a strategy (or of a feature with no strategies): its variant branches or `on`. */
function choice(
  own: { variants: unknown; groupId: string; stickiness: unknown } | null,
  feature: UnleashFeature,
  registry: VariantRegistry,
  note: NoteSink,
  where: string,
  hashing: Hashing,
): Branch[] {
  if (own !== null && Array.isArray(own.variants) && own.variants.length > 0) {
    const stickiness = own.stickiness || 'default';
    if (typeof stickiness !== 'string')
      throw new Untranslatable(`${where}: variant stickiness is not a string`);
    const branches = variantBranches(
      own.variants,
      own.groupId,
      stickiness,
      registry,
      `${where} variants`,
      note,
      hashing,
    );
    if (branches !== null) return branches;
  }
  const variants = feature.variants;
  if (Array.isArray(variants) && variants.length > 0) {
    const first = variants[0] as Loose | null;
    const stickiness = isObject(first) ? (first.stickiness ?? 'default') : 'default';
    if (typeof stickiness !== 'string')
      throw new Untranslatable('feature variants: stickiness is not a string');
    const branches = variantBranches(
      variants,
      feature.name,
      stickiness,
      registry,
      'feature variants',
      note,
      hashing,
    );
    if (branches !== null) return branches;
  }
  return [{ when: Conjunction.ALWAYS, serve: { variant: registry.key(ON, true) } }];
}

function ruleDescription(index: number, strategy: Loose): string {
  const title = typeof strategy.title === 'string' && strategy.title !== '' ? ` "${strategy.title}"` : '';
  return `Unleash strategy ${index + 1}: ${String(strategy.name)}${title}`.slice(0, MAX_DESCRIPTION);
}

function translateFeature(
  feature: UnleashFeature,
  segments: SegmentTranslator,
  existing: FlagDocument | undefined,
  environmentName: string,
  hashing: Hashing,
): Translated {
  const { notes, note } = collector();
  const report: FeatureReport = { feature: feature.name, status: 'translated', reasons: [], notes };
  const problem = keyProblem(feature.name);
  if (problem !== null)
    throw new Untranslatable(`the name is not a valid Switchboard flag key: it ${problem}`);
  const registry = new VariantRegistry(existing?.variants);
  const off = registry.key(OFF, false);
  const rules: Rule[] = [];
  let fallthrough: Serve = { variant: off };

  const strategies = feature.strategies;
  if (!Array.isArray(strategies)) {
    note('never-matches', 'no strategies list: the Unleash SDK evaluates the feature as off');
  } else if (strategies.length === 0) {
    // No strategies: on for everyone, choosing among the feature's variants.
    const branches = choice(null, feature, registry, note, 'feature', hashing);
    branches.forEach((branch, i) => {
      if (i === branches.length - 1) fallthrough = branch.serve;
      else rules.push({ id: `variants-${i + 1}`, clauses: [...branch.when.clauses], serve: branch.serve });
    });
  } else {
    strategies.forEach((strategy, index) => {
      const where = `strategy ${index + 1}`;
      if (!isObject(strategy)) throw new Untranslatable(`${where}: not an object (the Unleash SDK throws)`);
      // Constraints first, as the SDK checks them: a strategy they rule out is off, whatever its kind.
      const base = strategyBase(strategy, where, segments, note);
      const own = base === null ? [] : strategyConditions(strategy, where, note, hashing);
      if (base === null || own.length === 0) {
        note('never-matches', `${where} (${String(strategy.name)}) is never on`);
        return;
      }
      const parameters = isObject(strategy.parameters) ? strategy.parameters : undefined;
      const hasVariants = Array.isArray(strategy.variants) && strategy.variants.length > 0;
      if (hasVariants && parameters === undefined)
        throw new Untranslatable(`${where}: variants without parameters (the Unleash SDK throws)`);
      const variants = Array.isArray(strategy.variants) ? strategy.variants : [];
      const first = variants[0];
      const branches = choice(
        {
          variants,
          // The SDK salts strategy variants with `${parameters.groupId}`, "undefined" included.
          groupId: String(parameters?.groupId),
          stickiness: (isObject(first) ? first.stickiness : undefined) || parameters?.stickiness,
        },
        feature,
        registry,
        note,
        where,
        hashing,
      );
      const conditions = combine([base], own);
      let n = 0;
      for (const condition of conditions) {
        for (const branch of branches) {
          const when = condition.and(branch.when);
          if (when === null) continue;
          n++;
          rules.push({
            id: n === 1 ? `s${index + 1}` : `s${index + 1}-${n}`,
            description: ruleDescription(index, strategy),
            clauses: [...when.clauses],
            serve: branch.serve,
          });
        }
      }
    });
  }
  if (rules.length > LIMITS.rules)
    throw new Untranslatable(`needs ${rules.length} rules, more than Switchboard's ${LIMITS.rules}`);
  const crowded = rules.find((rule) => rule.clauses.length > LIMITS.clauses);
  if (crowded !== undefined)
    throw new Untranslatable(`rule ${crowded.id} needs more than ${LIMITS.clauses} clauses`);
  const environment: FlagEnvironment = {
    // The SDK tests `!feature.enabled`.
    enabled: Boolean(feature.enabled),
    offVariant: off,
    rules,
    fallthrough,
    killed: existing?.environments[environmentName]?.killed ?? null,
  };
  return { feature, registry, environment, report };
}

/** A strategy's constraints and segments, ANDed; null when they can never all hold. */
function strategyBase(
  strategy: Loose,
  where: string,
  segments: SegmentTranslator,
  note: NoteSink,
): Conjunction | null {
  const clauses: Clause[] = [];
  const constraints = strategy.constraints ?? [];
  if (!Array.isArray(constraints)) throw new Untranslatable(`${where}: constraints is not a list`);
  let never = false;
  constraints.forEach((constraint, i) => {
    const translated = translateConstraint(constraint, `${where}, constraint ${i + 1}`, note);
    if (translated.kind === 'never') never = true;
    else if (translated.kind === 'clause') clauses.push(translated.clause);
  });
  const references = strategy.segments ?? [];
  if (!Array.isArray(references)) throw new Untranslatable(`${where}: segments is not a list`);
  for (const id of references) {
    const reference = segments.reference(id, `${where}, segment ${JSON.stringify(id)}`, note);
    if (reference === 'never') never = true;
    else if (reference !== 'always') clauses.push(reference);
  }
  return never ? null : Conjunction.of(...clauses);
}

/** A feature's dependencies as prerequisites, or why they can never be met. */
type Dependencies = { prerequisites: Prerequisite[] } | { unsatisfiable: string };

/**
 * Unleash's dependency rules (client.js isParentDependencySatisfied) as prerequisites: a parent must exist
 * and have no dependencies of its own; `enabled: false` wants it off; `variants` want one of those variant
 * names while on; otherwise it must be on. Throws Untranslatable when a parent cannot be imported.
 */
function dependenciesOf(
  item: Translated,
  byName: ReadonlyMap<string, UnleashFeature>,
  translated: ReadonlyMap<string, Translated>,
): Dependencies {
  const dependencies = item.feature.dependencies;
  if (dependencies === undefined) return { prerequisites: [] };
  if (!Array.isArray(dependencies))
    throw new Untranslatable('dependencies is not a list (the Unleash SDK throws)');
  const wanted = new Map<string, Set<string>>();
  for (const [i, dependency] of dependencies.entries()) {
    const where = `dependency ${i + 1}`;
    if (!isObject(dependency)) throw new Untranslatable(`${where}: not an object (the Unleash SDK throws)`);
    const parentName = dependency.feature;
    const parent = typeof parentName === 'string' ? byName.get(parentName) : undefined;
    if (parent === undefined)
      return { unsatisfiable: `${where}: ${JSON.stringify(parentName)} does not exist` };
    const grandparents = parent.dependencies as { length?: unknown } | null | undefined;
    if (grandparents?.length)
      return {
        unsatisfiable: `${where}: "${parent.name}" has dependencies of its own, which Unleash never satisfies`,
      };
    const parentTranslation = translated.get(parent.name);
    if (parentTranslation === undefined)
      throw new Untranslatable(`${where}: depends on "${parent.name}", which cannot be imported`);
    const names = dependency.variants;
    if (names !== undefined && names !== null && !Array.isArray(names))
      throw new Untranslatable(`${where}: variants is not a list`);
    const accepts = (meaning: UnleashMeaning | null): boolean => {
      if (meaning === null) return false;
      if (dependency.enabled === false) return !meaning.enabled;
      if (!meaning.enabled) return false;
      return !names?.length || names.includes(meaning.name);
    };
    const keys = Object.entries(parentTranslation.registry.variants)
      .filter(([, value]) => accepts(meaningOf(value)))
      .map(([key]) => key);
    const previous = wanted.get(parent.name);
    wanted.set(parent.name, new Set(previous ? keys.filter((key) => previous.has(key)) : keys));
  }
  const prerequisites: Prerequisite[] = [];
  for (const [flag, keys] of wanted) {
    if (keys.size === 0) return { unsatisfiable: `no variant of "${flag}" satisfies every dependency on it` };
    prerequisites.push({ flag, variants: [...keys] });
  }
  return { prerequisites };
}

function tagsOf(feature: UnleashFeature, existing: FlagDocument | undefined): string[] | undefined {
  const tags = new Set(existing?.tags ?? []);
  for (const tag of feature.tags ?? []) if (tag.length >= 1 && tag.length <= LIMITS.tagLength) tags.add(tag);
  return tags.size === 0 ? undefined : [...tags].slice(0, LIMITS.tags);
}

function documentOf(
  item: Translated,
  prerequisites: Prerequisite[],
  environmentName: string,
  existing?: FlagDocument,
): FlagDocument {
  const { feature } = item;
  const description =
    typeof feature.description === 'string' && feature.description !== ''
      ? feature.description.slice(0, MAX_DESCRIPTION)
      : existing?.description;
  const tags = tagsOf(feature, existing);
  return {
    key: feature.name,
    ...(description !== undefined ? { description } : {}),
    ...(tags !== undefined ? { tags } : {}),
    variants: item.registry.variants,
    ...(prerequisites.length > 0 ? { prerequisites } : {}),
    environments: { ...existing?.environments, [environmentName]: item.environment },
    version: existing?.version ?? 0,
  };
}

/**
 * Translates an Unleash payload (see payload.ts for the formats) for one Switchboard environment. Throws
 * PayloadError when the payload is not one; everything wrong inside a feature lands in its report.
 */
export function translateUnleash(payload: unknown, options: TranslateOptions): UnleashTranslation {
  const state = readUnleashPayload(payload, {
    targetEnvironment: options.environment,
    ...(options.sourceEnvironment !== undefined ? { sourceEnvironment: options.sourceEnvironment } : {}),
  });
  return translateUnleashState(state, options);
}

/** The stored keys a translation of `state` may write: what `existingFlags` / `existingSegments` need. */
export function candidateKeys(state: UnleashState): { flags: string[]; segments: string[] } {
  const segments = [...state.segments.values()].flatMap((segment) => [
    ...(typeof segment.name === 'string' ? [segment.name] : []),
    `segment-${segment.id}`,
  ]);
  return { flags: state.features.map((feature) => feature.name), segments };
}

/** translateUnleash for a payload already read (readUnleashPayload). */
export function translateUnleashState(state: UnleashState, options: TranslateOptions): UnleashTranslation {
  const existingFlags = options.existingFlags ?? new Map<string, FlagDocument>();
  const segments = new SegmentTranslator(state, options.existingSegments ?? new Map());
  const byName = new Map(state.features.map((feature) => [feature.name, feature]));
  const reports = new Map<string, FeatureReport>();
  const translated = new Map<string, Translated>();

  const fail = (name: string, reason: string, notes: Note[] = []): void => {
    reports.set(name, { feature: name, status: 'untranslatable', reasons: [reason], notes });
    translated.delete(name);
  };
  for (const feature of state.features) {
    try {
      const item = translateFeature(feature, segments, existingFlags.get(feature.name), options.environment, {
        encoding: options.hashEncoding ?? 'utf8',
      });
      translated.set(feature.name, item);
      reports.set(feature.name, item.report);
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
      fail(feature.name, error.message);
    }
  }

  // Dependencies need their parents translated; a child of an untranslatable parent is untranslatable too.
  const resolved = new Map<string, Dependencies>();
  for (let changed = true; changed;) {
    changed = false;
    resolved.clear();
    for (const item of translated.values()) {
      try {
        resolved.set(item.feature.name, dependenciesOf(item, byName, translated));
      } catch (error) {
        if (!(error instanceof Untranslatable)) throw error;
        fail(item.feature.name, error.message, item.report.notes);
        changed = true;
        break;
      }
    }
  }
  const documents = new Map<string, FlagDocument>();
  for (const item of translated.values()) {
    const dependencies = resolved.get(item.feature.name) as Dependencies;
    let prerequisites: Prerequisite[] = [];
    if ('unsatisfiable' in dependencies) {
      // Unleash answers off whatever the rest says: so does the imported environment.
      item.environment.enabled = false;
      item.report.notes.push({
        code: 'dependency',
        message: `${dependencies.unsatisfiable}: the feature is always off`,
      });
    } else {
      prerequisites = dependencies.prerequisites;
    }
    const existing = existingFlags.get(item.feature.name);
    documents.set(item.feature.name, documentOf(item, prerequisites, options.environment, existing));
  }

  // Only the segments the imported rules reference are imported.
  const usedSegments = new Set<string>();
  for (const item of translated.values())
    for (const rule of item.environment.rules ?? [])
      for (const clause of rule.clauses) if ('segment' in clause) usedSegments.add(clause.segment);
  const segmentDocuments = [...usedSegments].map((key) => segments.documents.get(key) as SegmentDocument);
  assertValid([...documents.values()], segmentDocuments, existingFlags, options.existingSegments);
  return {
    source: state.source,
    sourceEnvironment: state.sourceEnvironment,
    environment: options.environment,
    flags: [...documents.values()],
    segments: segmentDocuments,
    features: state.features.map((feature) => reports.get(feature.name) as FeatureReport),
    segmentReports: [...segments.reports.values()],
  };
}

/** The translation must only ever produce valid documents: a problem here is a bug, not bad input. */
function assertValid(
  flags: FlagDocument[],
  segments: SegmentDocument[],
  existingFlags: ReadonlyMap<string, FlagDocument>,
  existingSegments: ReadonlyMap<string, SegmentDocument> = new Map(),
): void {
  const allFlags = new Map([
    ...existingFlags,
    ...flags.map((flag): [string, FlagDocument] => [flag.key, flag]),
  ]);
  const segmentKeys = new Set([...existingSegments.keys(), ...segments.map((segment) => segment.key)]);
  const problems = [
    ...segments.flatMap((segment) =>
      validateSegment(segment).map((p) => `segment ${segment.key}${p.path}: ${p.problem}`),
    ),
    ...flags.flatMap((flag) =>
      validateFlag(flag, { segments: segmentKeys, flags: allFlags }).map(
        (p) => `flag ${flag.key}${p.path}: ${p.problem}`,
      ),
    ),
  ];
  if (problems.length > 0)
    throw new Error(`the Unleash translation produced invalid documents: ${problems.join('; ')}`);
}
