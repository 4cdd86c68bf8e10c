/** Conditions the translator builds rules from, and how it reports what it cannot carry. */
import type { AttributeClause, Clause } from '@switchboard/core';

/** A feature (or segment) cannot be carried over exactly: the reason goes to the import plan. */
export class Untranslatable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'Untranslatable';
  }
}

/**
 * What the plan tells about a feature that is carried over: `random` marks contexts for which Unleash answers
 * at random (Switchboard answers deterministically); the others mark Unleash configuration that has no effect.
 */
export type NoteCode = 'random' | 'never-matches' | 'ignored' | 'group-id' | 'dependency';

export interface Note {
  code: NoteCode;
  message: string;
}

export type NoteSink = (code: NoteCode, message: string) => void;

/**
 * A conjunction of clauses. `facts` records, per attribute, whether the conjunction requires it to be a
 * non-empty string (true) or not (false), so that combining contradictory guards yields no rule at all.
 */
export class Conjunction {
  private constructor(
    readonly clauses: readonly Clause[],
    private readonly facts: ReadonlyMap<string, boolean>,
  ) {}

  static readonly ALWAYS = new Conjunction([], new Map());

  static of(...clauses: Clause[]): Conjunction {
    return new Conjunction(clauses, new Map());
  }

  /** `attribute` holds a non-empty string (true) — what Unleash's truthiness tests of ids mean — or not. */
  static nonEmpty(attribute: string, holds = true): Conjunction {
    const clause: AttributeClause = {
      attribute,
      op: 'neq',
      values: [''],
      ...(holds ? {} : { negate: true }),
    };
    return new Conjunction([clause], new Map([[attribute, holds]]));
  }

  /** Both conjunctions; null when their guards contradict each other. */
  and(other: Conjunction): Conjunction | null {
    const facts = new Map(this.facts);
    for (const [attribute, holds] of other.facts) {
      if (facts.get(attribute) === !holds) return null;
      facts.set(attribute, holds);
    }
    const seen = new Set(this.clauses.map((clause) => JSON.stringify(clause)));
    const added = other.clauses.filter((clause) => !seen.has(JSON.stringify(clause)));
    return new Conjunction([...this.clauses, ...added], facts);
  }
}

/** Every conjunction of one from each list (contradictions dropped), in order. */
export function combine(first: readonly Conjunction[], second: readonly Conjunction[]): Conjunction[] {
  return first.flatMap((a) => second.map((b) => a.and(b)).filter((c): c is Conjunction => c !== null));
}
