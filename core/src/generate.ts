/**
 * Generated JavaScript for the two hot shapes V8 cannot specialize from closures: a flag's evaluator, and a
 * record of a ruleset's flag keys.
 *
 * A flag's evaluator. V8 shares one optimized body and one set of inline caches
 * between every closure of the same function, so closures compiled per clause read context attributes
 * through megamorphic lookups and call each other through polymorphic sites. A generated body names its
 * attributes literally, compares `in`/`eq` clauses against literal values inline, and only calls out for
 * the rest (other operators, segments, rollouts), each of which keeps its closure from compile.ts.
 *
 * The source holds nothing but literals made by JSON.stringify and references to the parts passed in, so
 * no flag or segment content can become code. Where code generation is forbidden (a runtime flag, a CSP)
 * compile.ts keeps its closure evaluator, which is also the reference the tests compare this one with.
 */
import type { Predicate } from './operators';
import { identifierOf, needsOwnCheck, readAttribute } from './operators';
import type { AttributeClause, Context, EvaluationResult } from './types';

/** An evaluator of one flag: `flags` and `depth` serve prerequisites (compile.ts's FlagEvaluator). */
export type GeneratedEvaluator<Flags> = (context: Context, flags: Flags, depth: number) => EvaluationResult;

/** A serve: the result for a context, or null when a rollout's bucketBy attribute is missing. */
export type ServeEvaluator = (context: Context) => EvaluationResult | null;

export interface ClausePart {
  /** The clause itself when it is an attribute clause (null for a segment clause). */
  clause: AttributeClause | null;
  /** The clause's compiled predicate (the whole test, always correct). */
  predicate: Predicate;
}

export interface RulePart {
  clauses: ClausePart[];
  /** A variant served to every matching context, or a rollout. */
  serve: EvaluationResult | ServeEvaluator;
}

export interface TargetPart {
  attribute: string;
  ownOnly: boolean;
  values: ReadonlySet<string>;
  result: EvaluationResult;
}

export interface EvaluatorParts<Flags> {
  /** Whether the prerequisites hold; null when the flag has none. */
  prerequisitesHold: ((context: Context, flags: Flags, depth: number) => boolean) | null;
  prerequisiteFailed: EvaluationResult;
  targets: TargetPart[];
  rules: RulePart[];
  /** A constant result, or a rollout that never answers null (it serves `missing` itself). */
  fallthrough: EvaluationResult | ((context: Context) => EvaluationResult);
}

/** Values compared inline; a longer list is left to the clause's own predicate (a Set lookup). */
const MAX_INLINE_VALUES = 8;

/**
 * An `in`/`eq` clause whose outcome for a non-object attribute value is `value === one of its values`:
 * those comparisons are written out. Object values (arrays match by element) go to the predicate.
 */
function isInlineEquality(clause: AttributeClause | null): clause is AttributeClause {
  return (
    clause !== null &&
    (clause.op === 'in' || clause.op === 'eq') &&
    clause.negate !== true &&
    clause.coerce !== true &&
    clause.caseInsensitive !== true &&
    clause.values.length > 0 &&
    clause.values.length <= MAX_INLINE_VALUES &&
    clause.values.every(
      (value) =>
        typeof value === 'string' ||
        typeof value === 'boolean' ||
        (typeof value === 'number' && Number.isFinite(value)),
    )
  );
}

/** Reading an attribute as readAttribute does: own properties only for names Object.prototype has. */
function readSource(attribute: string): string {
  const name = JSON.stringify(attribute);
  return needsOwnCheck(attribute) ? `(HAS.call(c, ${name}) ? c[${name}] : undefined)` : `c[${name}]`;
}

let codeGeneration: boolean | undefined;

/** Whether this runtime allows `new Function` (probed once, on first use, never at import). */
function codeGenerationAllowed(): boolean {
  if (codeGeneration === undefined) {
    try {
      codeGeneration = (new Function('return true') as () => boolean)();
    } catch {
      codeGeneration = false;
    }
  }
  return codeGeneration;
}

/** For tests: force the closure evaluator (false) or let the probe decide (undefined). */
export function setCodeGeneration(allowed: false | undefined): void {
  codeGeneration = allowed;
}

/** The generated evaluator, or null where code generation is not allowed. */
export function generateEvaluator<Flags>(parts: EvaluatorParts<Flags>): GeneratedEvaluator<Flags> | null {
  if (!codeGenerationAllowed()) return null;
  const results: EvaluationResult[] = [];
  const callees: unknown[] = [];
  const resultRef = (result: EvaluationResult) => `R[${results.push(result) - 1}]`;
  const calleeRef = (callee: unknown) => `F[${callees.push(callee) - 1}]`;

  const lines: string[] = [];
  if (parts.prerequisitesHold !== null) {
    lines.push(
      `if (!${calleeRef(parts.prerequisitesHold)}(c, f, d)) return ${resultRef(parts.prerequisiteFailed)};`,
    );
  }
  for (const target of parts.targets) {
    const values = calleeRef(target.values);
    const read = `READ(c, ${JSON.stringify(target.attribute)}, ${target.ownOnly})`;
    lines.push(
      `{ const id = ID(${read}); if (id !== undefined && ${values}.has(id)) return ${resultRef(target.result)}; }`,
    );
  }
  parts.rules.forEach((rule, index) => {
    const label = `rule${index}`;
    lines.push(`${label}: {`);
    for (const { clause, predicate } of rule.clauses) {
      const test = calleeRef(predicate);
      if (isInlineEquality(clause)) {
        const equals = clause.values.map((value) => `v === ${JSON.stringify(value)}`).join(' || ');
        lines.push(
          `{ const v = ${readSource(clause.attribute)}; if (!(${equals} || (typeof v === "object" && v !== null && ${test}(c)))) break ${label}; }`,
        );
      } else {
        lines.push(`if (!${test}(c)) break ${label};`);
      }
    }
    if (typeof rule.serve === 'function') {
      lines.push(`{ const served = ${calleeRef(rule.serve)}(c); if (served !== null) return served; }`);
    } else {
      lines.push(`return ${resultRef(rule.serve)};`);
    }
    lines.push('}');
  });
  const fallthrough = parts.fallthrough;
  lines.push(
    typeof fallthrough === 'function'
      ? `return ${calleeRef(fallthrough)}(c);`
      : `return ${resultRef(fallthrough)};`,
  );

  const source = `"use strict";\nreturn function evaluate(c, f, d) {\n${lines.join('\n')}\n};`;
  const build = new Function('R', 'F', 'HAS', 'READ', 'ID', source) as (
    results: EvaluationResult[],
    callees: unknown[],
    has: typeof Object.prototype.hasOwnProperty,
    read: typeof readAttribute,
    id: typeof identifierOf,
  ) => GeneratedEvaluator<Flags>;
  return build(results, callees, Object.prototype.hasOwnProperty, readAttribute, identifierOf);
}

/** Builds the record of a fixed list of keys from their values, given in the same order. */
export type RecordBuilder<T> = (values: readonly T[]) => Record<string, T>;

/**
 * A builder of records of `keys` (a ruleset's flag keys: evaluateAll's results, an SDK's all-flags values).
 * V8 keeps objects that get their keys one by one past a handful, and every null-prototype object, in
 * dictionary mode, which costs tens of nanoseconds per key; a constructor generated for the keys builds
 * an object with all its properties in place instead. Its prototype is an empty object without a
 * prototype, so no key is inherited and "__proto__" is an own key like any other. Where code generation
 * is not allowed, the builder fills a null-prototype object.
 */
export function recordBuilder<T>(keys: readonly string[]): RecordBuilder<T> {
  if (codeGenerationAllowed()) {
    // The source holds only JSON string literals: no key can become code.
    const body = keys.map((key, index) => `this[${JSON.stringify(key)}] = values[${index}];`).join('\n');
    const Record = new Function('values', `"use strict";\n${body}`) as unknown as new (
      values: readonly T[],
    ) => Record<string, T>;
    Record.prototype = Object.create(null) as object;
    return (values) => new Record(values);
  }
  return (values) => {
    const record = Object.create(null) as Record<string, T>;
    for (let index = 0; index < keys.length; index++) record[keys[index] as string] = values[index] as T;
    return record;
  };
}
