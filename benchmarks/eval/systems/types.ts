import type { Scenario, ScenarioId } from '../scenarios';
import type { BenchUser } from '../users';

/** A system ready to evaluate one scenario, holding every user's context in its own native shape. */
export interface Subject {
  /**
   * The timed operation for the user at `userIndex`: one flag, or every flag of a flag-set scenario,
   * through the system's public API. Returns the API's answer (kept alive so it cannot be optimised away).
   */
  run(userIndex: number): unknown;
  /** True when `run` returns a promise (the API is asynchronous); the timing loop then awaits it. */
  isAsync: boolean;
  /** The same API's answers as one boolean per flag in scenario order (for the fairness check; untimed). */
  decide(userIndex: number): boolean[] | Promise<boolean[]>;
  close(): void | Promise<void>;
  /**
   * host:port of a server the system is configured with but that does not run (Switchboard's SDK has no
   * offline switch). Refused attempts to reach it are reported apart, not as a problem: they can only slow
   * the system down. Any other connection is a problem.
   */
  expectedConnection?: string;
}

export type BuildSubject = (scenario: Scenario, users: readonly BenchUser[]) => Promise<Subject>;

export interface BenchSystem {
  id: string;
  /** Short column title. */
  label: string;
  kind: 'switchboard' | 'peer' | 'baseline';
  /** The npm package measured (its installed version goes into the report). */
  packageName: string | null;
  /** What one operation is in this system, per scenario kind (for the README and the JSON). */
  api: { singleFlag: string; allFlags: string | null };
  /** The scenarios it can express; all when absent (baselines express only the simplest ones). */
  scenarios?: readonly ScenarioId[];
  load(): Promise<{ build: BuildSubject }>;
}

/** Converts each user once, before timing, into the context shape a system's API takes. */
export function contextsFor<T>(users: readonly BenchUser[], toContext: (user: BenchUser) => T): T[] {
  return users.map(toContext);
}
