/**
 * A counter slot on each result a compiled flag can serve, for the code that compiled the ruleset: an SDK
 * counts evaluations by incrementing the slot of the result it got, with no lookup on the hot path.
 * Results that every flag shares (flag not found, a general error) have none. Core creates the slots and
 * never reads or changes them; one compiled ruleset serves one counter.
 */
import type { EvaluationReason, EvaluationResult } from './types';

export interface OutcomeTally {
  readonly flag: string;
  readonly variant: string | null;
  readonly reason: EvaluationReason;
  count: number;
}

const TALLY = Symbol('switchboard.outcomeTally');

type Tallied = EvaluationResult & { readonly [TALLY]?: OutcomeTally };

/** The result's counter slot; undefined for results every flag shares. */
export function tallyOf(result: EvaluationResult): OutcomeTally | undefined {
  return (result as Tallied)[TALLY];
}

/** Gives a result (before it is frozen) of `flag` its slot: not enumerable, so no copy or JSON shows it. */
export function addTally(result: EvaluationResult, flag: string): void {
  const tally: OutcomeTally = { flag, variant: result.variant ?? null, reason: result.reason, count: 0 };
  Object.defineProperty(result, TALLY, { value: tally });
}
