/**
 * Holds every system to the scenario's meaning, so that a misconfigured system (a peer serving off to
 * everyone, a rollout at the wrong percentage, a clause that never matches) cannot flatter anyone.
 *
 * Per flag: decisions are stable across two passes; nobody ineligible gets on; flags without a rollout
 * serve on to exactly the eligible users; flags with a rollout serve on to their percentage of the
 * eligible users (± max(2 points, 5σ) of a binomial over those users), also within every value of every
 * attribute the clauses test (this catches e.g. "2.10.0" compared as a string).
 */
import type { FlagSpec, Scenario } from './scenarios';
import { isEligible } from './scenarios';
import type { BenchUser } from './users';

export interface FairnessReport {
  /** Share of (user, flag) pairs that got on. */
  enabledFraction: number;
  /** The share the scenario's meaning predicts (eligible pairs × rollout percentage). */
  expectedFraction: number;
  problems: string[];
}

/** decisions[flagIndex][userIndex] is 1 when that user got on. */
export type Decisions = Uint8Array[];

const MAX_PROBLEMS_PER_FLAG = 3;

export function tolerance(share: number, sampleSize: number): number {
  return Math.max(0.02, 5 * Math.sqrt((share * (1 - share)) / Math.max(sampleSize, 1)));
}

function percent(value: number): string {
  return `${(value * 100).toFixed(2)}%`;
}

function checkShare(
  problems: string[],
  label: string,
  decisions: Uint8Array,
  userIndexes: readonly number[],
  share: number,
): void {
  if (userIndexes.length === 0) return;
  let on = 0;
  for (const index of userIndexes) on += decisions[index] as number;
  const observed = on / userIndexes.length;
  const allowed = tolerance(share, userIndexes.length);
  if (Math.abs(observed - share) > allowed) {
    problems.push(
      `${label}: ${percent(observed)} of ${userIndexes.length} eligible users got on, expected ${percent(share)} ± ${percent(allowed)}`,
    );
  }
}

function checkFlag(
  flag: FlagSpec,
  users: readonly BenchUser[],
  first: Uint8Array,
  second: Uint8Array,
): { problems: string[]; expectedOn: number } {
  const problems: string[] = [];
  const eligible: number[] = [];
  let unstable = 0;
  let leaked = 0;
  let missed = 0;
  for (let index = 0; index < users.length; index++) {
    if (first[index] !== second[index]) unstable++;
    if (isEligible(flag, users[index] as BenchUser)) eligible.push(index);
    else if (first[index] === 1) leaked++;
  }
  if (unstable > 0) problems.push(`${flag.key}: ${unstable} users got different answers in two passes`);
  if (leaked > 0) problems.push(`${flag.key}: ${leaked} users who do not match the flag's clauses got on`);

  if (flag.rolloutPercent === null) {
    for (const index of eligible) if (first[index] !== 1) missed++;
    if (missed > 0) problems.push(`${flag.key}: ${missed} of ${eligible.length} eligible users got off`);
    return { problems: problems.slice(0, MAX_PROBLEMS_PER_FLAG), expectedOn: eligible.length };
  }

  const share = flag.rolloutPercent / 100;
  checkShare(problems, flag.key, first, eligible, share);
  for (const clause of flag.clauses) {
    const byValue = new Map<string, number[]>();
    for (const index of eligible) {
      const value = (users[index] as BenchUser)[clause.attribute];
      const group = byValue.get(value) ?? [];
      group.push(index);
      byValue.set(value, group);
    }
    for (const [value, group] of byValue)
      checkShare(problems, `${flag.key} [${clause.attribute}=${value}]`, first, group, share);
  }
  return { problems: problems.slice(0, MAX_PROBLEMS_PER_FLAG), expectedOn: eligible.length * share };
}

/** Checks two passes of decisions over the same users against the scenario's meaning. */
export function checkFairness(
  scenario: Scenario,
  users: readonly BenchUser[],
  firstPass: Decisions,
  secondPass: Decisions,
): FairnessReport {
  const problems: string[] = [];
  let on = 0;
  let expectedOn = 0;
  scenario.flags.forEach((flag, flagIndex) => {
    const first = firstPass[flagIndex] as Uint8Array;
    for (const decision of first) on += decision;
    const result = checkFlag(flag, users, first, secondPass[flagIndex] as Uint8Array);
    problems.push(...result.problems);
    expectedOn += result.expectedOn;
  });
  const pairs = scenario.flags.length * users.length;
  return { enabledFraction: on / pairs, expectedFraction: expectedOn / pairs, problems };
}
