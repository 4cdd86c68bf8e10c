import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import type { Decisions } from './fairness';
import { checkFairness } from './fairness';
import type { Scenario } from './scenarios';
import { isEligible, scenarioById } from './scenarios';
import type { BenchUser } from './users';
import { generateUsers } from './users';

const users = generateUsers(4_000);
const targeting = scenarioById('targeting');
const plain = scenarioById('plain');

/** A faithful system: eligible users on when their hash falls in the first `percent` of 100 buckets. */
function decide(
  scenario: Scenario,
  percent: number,
  override: (user: BenchUser, on: boolean) => boolean = (_, on) => on,
): Decisions {
  return scenario.flags.map((flag) =>
    Uint8Array.from(users, (user) => {
      const rolledIn =
        flag.rolloutPercent === null || murmurhash.v3(`${flag.key}:${user.userId}`) % 100 < percent;
      return override(user, isEligible(flag, user) && rolledIn) ? 1 : 0;
    }),
  );
}

describe('fairness check', () => {
  it('accepts a system that serves the scenario as specified', () => {
    const decisions = decide(targeting, 25);
    const report = checkFairness(targeting, users, decisions, decisions);
    expect(report.problems).toEqual([]);
    expect(report.enabledFraction).toBeCloseTo(report.expectedFraction, 2);
  });

  it('flags a rollout at the wrong percentage', () => {
    const decisions = decide(targeting, 50);
    const { problems } = checkFairness(targeting, users, decisions, decisions);
    expect(problems.join('\n')).toMatch(/targeted-rollout: .* expected 25\.00%/);
  });

  it('flags semantic versions compared as strings', () => {
    const decisions = decide(targeting, 25, (user, on) => on && user.appVersion !== '2.10.0');
    const { problems } = checkFairness(targeting, users, decisions, decisions);
    expect(problems.join('\n')).toContain('[appVersion=2.10.0]');
  });

  it('flags users outside the clauses who got on', () => {
    const decisions = decide(targeting, 25, (user, on) => on || user.country === 'US');
    const { problems } = checkFairness(targeting, users, decisions, decisions);
    expect(problems.join('\n')).toMatch(/users who do not match the flag's clauses got on/);
  });

  it('flags answers that change between passes', () => {
    const first = decide(targeting, 25);
    const second = decide(targeting, 26);
    const { problems } = checkFairness(targeting, users, first, second);
    expect(problems.join('\n')).toMatch(/got different answers in two passes/);
  });

  it('flags a flag without rollout that leaves an eligible user off', () => {
    const decisions = decide(plain, 100, (user, on) => on && user !== users[0]);
    const { problems } = checkFairness(plain, users, decisions, decisions);
    expect(problems).toEqual([`plain-on: 1 of ${users.length} eligible users got off`]);
  });
});
