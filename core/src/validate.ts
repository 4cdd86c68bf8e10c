/**
 * Validation of flag and segment documents: the JSON schema first (shape and bounds), then semantic checks
 * the schema cannot express. Problems carry JSON-pointer paths into the document.
 */
import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { parseIsoDate } from './dates';
import { keyProblem } from './keys';
import { DEFAULT_BUCKETS } from './murmur3';
import { clauseShapeProblems, clauseValueProblem, operatorNeedsValues } from './operators';
import { FlagDocumentSchema, SegmentDocumentSchema, UNION_BRANCH } from './schema';
import type { AttributeClause, Clause, FlagDocument, Prerequisite, SegmentDocument, Serve } from './types';

/** One thing wrong with a document; `path` is a JSON pointer, e.g. "/environments/production/offVariant". */
export interface Problem {
  path: string;
  /** What is wrong, in words, e.g. "unknown variant \"blue\"". */
  problem: string;
}

/** What `validateFlag` checks a flag's references against: the segments and flags that exist. */
export interface FlagReferences {
  /** Keys of the existing segments. */
  segments: ReadonlySet<string>;
  /** The other flags (a stored version of the flag being validated is ignored in favour of `doc`). */
  flags: ReadonlyMap<string, FlagDocument>;
}

/** Escapes one JSON-pointer segment. */
function escapeSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

function pointer(...segments: Array<string | number>): string {
  return segments.map((segment) => '/' + escapeSegment(segment)).join('');
}

function unescapedSegments(path: string): string[] {
  return path
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The part of `root` at JSON pointer `path` (schemas and documents alike). */
function resolve(root: unknown, path: string): unknown {
  let node = root;
  for (const segment of unescapedSegments(path)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

type Validator = ReturnType<typeof Compile>;
const validators = new WeakMap<TSchema, Validator>();

/** Compiled on first use: browsers that only evaluate flags never pay for (or need `new Function` for) it. */
function validatorOf(schema: TSchema): Validator {
  let validator = validators.get(schema);
  if (validator === undefined) {
    validator = Compile(schema);
    validators.set(schema, validator);
  }
  return validator;
}

/**
 * Schema problems of `value`. A union reports against the branch the value was meant to be (see
 * UNION_BRANCH) rather than listing every branch's complaints.
 */
function schemaProblems(schema: TSchema, value: unknown, basePath = ''): Problem[] {
  const validator = validatorOf(schema);
  if (validator.Check(value)) return [];
  const problems: Problem[] = [];
  for (const error of validator.Errors(value)) {
    const path = basePath + error.instancePath;
    const schemaPath = error.schemaPath.replace(/^#/, '');
    // Errors inside a union's branches are reported through the union's own error, against one branch.
    // A `false` schema flags a property that is not allowed; additionalProperties reports it too.
    if (schemaPath.includes('/anyOf/') || error.keyword === 'boolean') continue;
    if (error.keyword === 'additionalProperties') {
      const names = (error.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      for (const name of names) problems.push({ path: path + pointer(name), problem: 'unknown property' });
    } else if (error.keyword === 'anyOf') {
      const union = resolve(schema, schemaPath) as { anyOf?: TSchema[] } | undefined;
      const pick = union === undefined ? undefined : UNION_BRANCH.get(union);
      const branch =
        pick === undefined ? undefined : union?.anyOf?.[pick(resolve(value, error.instancePath))];
      if (branch === undefined) problems.push({ path, problem: error.message });
      else problems.push(...schemaProblems(branch, resolve(value, error.instancePath), path));
    } else if (error.keyword === 'enum') {
      const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues ?? [];
      problems.push({ path, problem: `must be one of: ${allowed.join(', ')}` });
    } else {
      problems.push({ path, problem: error.message });
    }
  }
  if (problems.length === 0) {
    // The validator stopped inside a union before reporting the union itself: report what it found.
    for (const error of validator.Errors(value)) {
      if (error.keyword !== 'boolean')
        problems.push({ path: basePath + error.instancePath, problem: error.message });
    }
  }
  const seen = new Set<string>();
  return problems.filter((p) => {
    const id = `${p.path}\n${p.problem}`;
    return seen.has(id) ? false : (seen.add(id), true);
  });
}

function checkAttributeClause(path: string, clause: AttributeClause, problems: Problem[]): void {
  if (operatorNeedsValues(clause.op) && clause.values.length === 0) {
    problems.push({ path: path + '/values', problem: `${clause.op} needs at least one value` });
  }
  clause.values.forEach((value, i) => {
    const problem = clauseValueProblem(clause, value);
    if (problem !== null) problems.push({ path: path + pointer('values', i), problem });
  });
  for (const shape of clauseShapeProblems(clause))
    problems.push({ path: path + shape.path, problem: shape.problem });
}

function checkClauses(
  path: string,
  clauses: readonly Clause[],
  segments: ReadonlySet<string>,
  problems: Problem[],
) {
  clauses.forEach((clause, i) => {
    const clausePath = path + pointer(i);
    if ('segment' in clause) {
      if (!segments.has(clause.segment)) {
        problems.push({ path: clausePath + '/segment', problem: `unknown segment "${clause.segment}"` });
      }
    } else {
      checkAttributeClause(clausePath, clause, problems);
    }
  });
}

function checkRuleIds(path: string, rules: ReadonlyArray<{ id?: string }>, problems: Problem[]): void {
  const ids = new Set<string>();
  rules.forEach((rule, i) => {
    if (rule.id === undefined) return;
    if (ids.has(rule.id))
      problems.push({ path: path + pointer(i, 'id'), problem: `duplicate rule id "${rule.id}"` });
    ids.add(rule.id);
  });
}

/** The chain of prerequisites leading from `from` back to `target`, or null when there is none. */
function prerequisitePath(
  from: string,
  target: string,
  prerequisitesOf: (key: string) => readonly Prerequisite[],
): string[] | null {
  const visited = new Set<string>();
  const search = (key: string): string[] | null => {
    if (key === target) return [key];
    if (visited.has(key)) return null;
    visited.add(key);
    for (const prerequisite of prerequisitesOf(key)) {
      const rest = search(prerequisite.flag);
      if (rest !== null) return [key, ...rest];
    }
    return null;
  };
  return search(from);
}

function checkPrerequisites(
  doc: FlagDocument,
  flags: ReadonlyMap<string, FlagDocument>,
  problems: Problem[],
) {
  const prerequisitesOf = (key: string): readonly Prerequisite[] =>
    (key === doc.key ? doc.prerequisites : flags.get(key)?.prerequisites) ?? [];
  const listed = new Set<string>();
  (doc.prerequisites ?? []).forEach((prerequisite, i) => {
    const path = pointer('prerequisites', i);
    const other = flags.get(prerequisite.flag);
    if (prerequisite.flag === doc.key) {
      problems.push({ path: path + '/flag', problem: 'a flag cannot be its own prerequisite' });
    } else if (other === undefined) {
      problems.push({ path: path + '/flag', problem: `unknown flag "${prerequisite.flag}"` });
    } else {
      if (listed.has(prerequisite.flag)) {
        problems.push({ path: path + '/flag', problem: `"${prerequisite.flag}" is listed twice` });
      }
      prerequisite.variants.forEach((variant, j) => {
        if (!Object.prototype.hasOwnProperty.call(other.variants, variant)) {
          problems.push({
            path: path + pointer('variants', j),
            problem: `flag "${prerequisite.flag}" has no variant "${variant}"`,
          });
        }
      });
      const cycle = prerequisitePath(prerequisite.flag, doc.key, prerequisitesOf);
      if (cycle !== null) {
        problems.push({
          path: path + '/flag',
          problem: `prerequisite cycle: ${[doc.key, ...cycle].join(' → ')}`,
        });
      }
    }
    listed.add(prerequisite.flag);
  });
}

/**
 * Checks a flag document: the JSON schema first (if the shape is wrong, only those problems are returned),
 * then unknown variants (offVariant, targets, serves, prerequisites' variants against the prerequisite
 * flag's), weights that are not integers summing to `buckets`, duplicate rule ids, unknown segments, invalid
 * keys and environment names, clause values that cannot be parsed for their operator, unsupported regexes,
 * and prerequisites that are missing, the flag itself, or form a cycle through `refs.flags`.
 * Returns [] when the document is valid.
 */
export function validateFlag(doc: FlagDocument, refs: FlagReferences): Problem[] {
  const shape = schemaProblems(FlagDocumentSchema, doc);
  if (shape.length > 0) return shape;
  const problems: Problem[] = [];
  const key = keyProblem(doc.key);
  if (key !== null) problems.push({ path: '/key', problem: `key ${key}` });
  const checkVariant = (path: string, variant: string): void => {
    if (!Object.prototype.hasOwnProperty.call(doc.variants, variant)) {
      problems.push({ path, problem: `unknown variant "${variant}"` });
    }
  };
  const checkServe = (path: string, serve: Serve): void => {
    if ('variant' in serve) {
      checkVariant(path + '/variant', serve.variant);
      return;
    }
    const { weights, buckets = DEFAULT_BUCKETS } = serve.rollout;
    weights.forEach((weight, i) =>
      checkVariant(path + pointer('rollout', 'weights', i, 'variant'), weight.variant),
    );
    const sum = weights.reduce((total, weight) => total + weight.weight, 0);
    if (sum !== buckets) {
      problems.push({
        path: path + '/rollout/weights',
        problem: `weights sum to ${sum}; they must sum to ${buckets}`,
      });
    }
  };

  checkPrerequisites(doc, refs.flags, problems);
  for (const [name, env] of Object.entries(doc.environments)) {
    const base = pointer('environments', name);
    const nameProblem = keyProblem(name);
    if (nameProblem !== null) problems.push({ path: base, problem: `environment name ${nameProblem}` });
    checkVariant(base + '/offVariant', env.offVariant);
    (env.targets ?? []).forEach((target, i) =>
      checkVariant(base + pointer('targets', i, 'variant'), target.variant),
    );
    const rules = env.rules ?? [];
    checkRuleIds(base + '/rules', rules, problems);
    rules.forEach((rule, i) => {
      checkClauses(base + pointer('rules', i, 'clauses'), rule.clauses, refs.segments, problems);
      checkServe(base + pointer('rules', i, 'serve'), rule.serve);
    });
    checkServe(base + '/fallthrough', env.fallthrough);
    if (env.killed && parseIsoDate(env.killed.at) === null) {
      problems.push({ path: base + '/killed/at', problem: 'must be an ISO-8601 date-time' });
    }
  }
  return problems;
}

/** Checks a segment document: schema, key, duplicate rule ids and clause values. [] when valid. */
export function validateSegment(doc: SegmentDocument): Problem[] {
  const shape = schemaProblems(SegmentDocumentSchema, doc);
  if (shape.length > 0) return shape;
  const problems: Problem[] = [];
  const key = keyProblem(doc.key);
  if (key !== null) problems.push({ path: '/key', problem: `key ${key}` });
  const rules = doc.rules ?? [];
  checkRuleIds('/rules', rules, problems);
  rules.forEach((rule, i) => {
    rule.clauses.forEach((clause, j) =>
      checkAttributeClause(pointer('rules', i, 'clauses', j), clause, problems),
    );
  });
  return problems;
}
