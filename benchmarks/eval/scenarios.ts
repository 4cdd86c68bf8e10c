/**
 * The four evaluation scenarios in a system-neutral form. Every system adapter translates these specs
 * into its own flag configuration; `isEligible` is the reference meaning the fairness check holds each
 * system to.
 */
import type { BenchUser } from './users';

export type Attribute = 'country' | 'plan' | 'appVersion';

/** One condition; a flag's clauses are ANDed. */
export type ClauseSpec =
  | { attribute: Attribute; op: 'in'; values: string[] }
  | { attribute: Attribute; op: 'eq'; value: string }
  | { attribute: Attribute; op: 'semverGte'; value: string };

export interface FlagSpec {
  key: string;
  /** A disabled flag serves off to everyone. */
  enabled: boolean;
  /** ANDed; empty means everyone. */
  clauses: ClauseSpec[];
  /** Percentage of eligible users (bucketed by userId) who get on; null: every eligible user gets on. */
  rolloutPercent: number | null;
}

export type ScenarioId = 'plain' | 'rollout' | 'targeting' | 'flags200';

export interface Scenario {
  id: ScenarioId;
  title: string;
  flags: FlagSpec[];
  /** True when one operation evaluates every flag of the scenario for one context. */
  evaluatesAll: boolean;
}

export const THREE_CLAUSES: ClauseSpec[] = [
  { attribute: 'country', op: 'in', values: ['DE', 'FR', 'NL'] },
  { attribute: 'plan', op: 'eq', value: 'pro' },
  { attribute: 'appVersion', op: 'semverGte', value: '2.3.0' },
];

const ROLLOUT_PERCENTS = [5, 10, 25, 50, 75];

/** A realistic mix: on for all, off, percentage rollouts, a targeting rule, targeting plus rollout. */
function flagMix(count: number): FlagSpec[] {
  const flags: FlagSpec[] = [];
  for (let i = 0; i < count; i++) {
    const serial = String(i).padStart(3, '0');
    const percent = ROLLOUT_PERCENTS[Math.floor(i / 5) % ROLLOUT_PERCENTS.length] as number;
    switch (i % 5) {
      case 0:
        flags.push({ key: `flag-${serial}-on`, enabled: true, clauses: [], rolloutPercent: null });
        break;
      case 1:
        flags.push({ key: `flag-${serial}-off`, enabled: false, clauses: [], rolloutPercent: null });
        break;
      case 2:
        flags.push({ key: `flag-${serial}-rollout`, enabled: true, clauses: [], rolloutPercent: percent });
        break;
      case 3:
        flags.push({
          key: `flag-${serial}-targeted`,
          enabled: true,
          clauses: [{ attribute: 'plan', op: 'in', values: ['pro', 'enterprise'] }],
          rolloutPercent: null,
        });
        break;
      default:
        flags.push({
          key: `flag-${serial}-targeted-rollout`,
          enabled: true,
          clauses: THREE_CLAUSES,
          rolloutPercent: 25,
        });
    }
  }
  return flags;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'plain',
    title: 'plain on/off',
    flags: [{ key: 'plain-on', enabled: true, clauses: [], rolloutPercent: null }],
    evaluatesAll: false,
  },
  {
    id: 'rollout',
    title: '25% rollout',
    flags: [{ key: 'rollout-25', enabled: true, clauses: [], rolloutPercent: 25 }],
    evaluatesAll: false,
  },
  {
    id: 'targeting',
    title: '3 clauses + 25% rollout',
    flags: [{ key: 'targeted-rollout', enabled: true, clauses: THREE_CLAUSES, rolloutPercent: 25 }],
    evaluatesAll: false,
  },
  { id: 'flags200', title: '200 flags (per call)', flags: flagMix(200), evaluatesAll: true },
];

export function scenarioById(id: string): Scenario {
  const scenario = SCENARIOS.find((candidate) => candidate.id === id);
  if (!scenario)
    throw new Error(`unknown scenario "${id}" (known: ${SCENARIOS.map((s) => s.id).join(', ')})`);
  return scenario;
}

/** The only flag of a single-flag scenario. */
export function singleFlag(scenario: Scenario): FlagSpec {
  const [flag] = scenario.flags;
  if (!flag || scenario.flags.length !== 1)
    throw new Error(`scenario ${scenario.id} is not a single-flag scenario`);
  return flag;
}

function parseSemver(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  return [major, minor, patch];
}

export function semverAtLeast(version: string, minimum: string): boolean {
  const a = parseSemver(version);
  const b = parseSemver(minimum);
  for (let i = 0; i < 3; i++) {
    if ((a[i] as number) !== (b[i] as number)) return (a[i] as number) > (b[i] as number);
  }
  return true;
}

function clauseMatches(clause: ClauseSpec, user: BenchUser): boolean {
  const actual = user[clause.attribute];
  switch (clause.op) {
    case 'in':
      return clause.values.includes(actual);
    case 'eq':
      return actual === clause.value;
    case 'semverGte':
      return semverAtLeast(actual, clause.value);
  }
}

/** Reference semantics: may this user get on (before the rollout's bucketing)? */
export function isEligible(flag: FlagSpec, user: BenchUser): boolean {
  return flag.enabled && flag.clauses.every((clause) => clauseMatches(clause, user));
}
