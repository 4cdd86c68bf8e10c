/**
 * One cell of the evaluation table: one system × one scenario, measured in a fresh process (fresh JIT,
 * nothing else loaded). Fairness passes first, then a timed warm-up, then timed batches.
 */
import type { Summary } from '../lib/stats';
import { summarize } from '../lib/stats';
import type { Decisions } from './fairness';
import { checkFairness } from './fairness';
import type { Scenario, ScenarioId } from './scenarios';
import { scenarioById } from './scenarios';
import { systemById } from './systems';
import type { Subject } from './systems/types';
import { generateUsers } from './users';

export interface MeasureOptions {
  /** Distinct user contexts, evaluated in rotation. */
  userCount: number;
  warmupMs: number;
  batches: number;
  /** Target duration of one timed batch. */
  batchMs: number;
}

export const FULL_MEASURE: MeasureOptions = { userCount: 10_000, warmupMs: 1_500, batches: 15, batchMs: 150 };
export const QUICK_MEASURE: MeasureOptions = { userCount: 2_000, warmupMs: 20, batches: 3, batchMs: 5 };

export interface CellRequest {
  system: string;
  scenario: ScenarioId;
  measure: MeasureOptions;
}

/**
 * `wall`: elapsed time, the usual measure. `cpu`: the process's CPU time (process.cpuUsage), which leaves
 * out the time the process waited for a core, so it holds up on a busy machine; it includes the process's
 * GC and compiler threads, so it charges allocation-heavy systems a little more than wall time does.
 */
export type Clock = 'wall' | 'cpu';

export interface Timing {
  /** ns per operation over the timed batches. */
  nsPerOp: Summary;
  batchNsPerOp: number[];
}

export interface CellResult {
  system: string;
  scenario: ScenarioId;
  wall: Timing;
  cpu: Timing;
  opsPerBatch: number;
  enabledFraction: number;
  expectedFraction: number;
  /** Fairness failures and offline violations; empty when the cell is trustworthy. */
  problems: string[];
  /** Every connection attempt the process made (see Subject.expectedConnection). */
  outgoingConnections: string[];
  /** typeof what one operation returned (a boolean, a result object, a count of enabled flags, …). */
  answerType: string;
}

export type CellOutcome =
  { ok: true; result: CellResult } | { ok: false; system: string; scenario: ScenarioId; error: string };

// Written by every timed operation so that no engine can drop the call as dead code.
let sink: unknown;
let cursor = 0;

interface BatchTime {
  wallNs: number;
  cpuNs: number;
}

function elapsedSince(wallStart: bigint, cpuStart: NodeJS.CpuUsage): BatchTime {
  const wallNs = Number(process.hrtime.bigint() - wallStart);
  const cpu = process.cpuUsage(cpuStart);
  return { wallNs, cpuNs: (cpu.user + cpu.system) * 1_000 };
}

function timeSync(subject: Subject, userCount: number, ops: number): BatchTime {
  const run = subject.run;
  let index = cursor;
  const cpuStart = process.cpuUsage();
  const wallStart = process.hrtime.bigint();
  for (let op = 0; op < ops; op++) {
    sink = run(index);
    if (++index === userCount) index = 0;
  }
  const elapsed = elapsedSince(wallStart, cpuStart);
  cursor = index;
  return elapsed;
}

async function timeAsync(subject: Subject, userCount: number, ops: number): Promise<BatchTime> {
  const run = subject.run;
  let index = cursor;
  const cpuStart = process.cpuUsage();
  const wallStart = process.hrtime.bigint();
  for (let op = 0; op < ops; op++) {
    sink = await run(index);
    if (++index === userCount) index = 0;
  }
  const elapsed = elapsedSince(wallStart, cpuStart);
  cursor = index;
  return elapsed;
}

function timeBatch(subject: Subject, userCount: number, ops: number): Promise<BatchTime> {
  return subject.isAsync
    ? timeAsync(subject, userCount, ops)
    : Promise.resolve(timeSync(subject, userCount, ops));
}

function timing(batchNsPerOp: number[]): Timing {
  return { nsPerOp: summarize(batchNsPerOp), batchNsPerOp };
}

async function collectDecisions(subject: Subject, scenario: Scenario, userCount: number): Promise<Decisions> {
  const decisions: Decisions = scenario.flags.map(() => new Uint8Array(userCount));
  for (let userIndex = 0; userIndex < userCount; userIndex++) {
    const answers = await subject.decide(userIndex);
    if (answers.length !== scenario.flags.length) {
      throw new Error(`decide() returned ${answers.length} answers for ${scenario.flags.length} flags`);
    }
    answers.forEach((on, flagIndex) => {
      (decisions[flagIndex] as Uint8Array)[userIndex] = on ? 1 : 0;
    });
  }
  return decisions;
}

/** `connectionLog` is the process's record of outgoing connections (lib/network-guard). */
export async function measureCell(
  request: CellRequest,
  connectionLog: readonly string[],
): Promise<CellResult> {
  const connectionsBefore = connectionLog.length;
  const { measure } = request;
  const scenario = scenarioById(request.scenario);
  const users = generateUsers(measure.userCount);
  const { build } = await systemById(request.system).load();
  const subject = await build(scenario, users);

  const fairness = checkFairness(
    scenario,
    users,
    await collectDecisions(subject, scenario, users.length),
    await collectDecisions(subject, scenario, users.length),
  );

  const warmupEnd = Date.now() + measure.warmupMs;
  let calibrationOps = 64;
  let calibrationNs = 0;
  do {
    calibrationNs = (await timeBatch(subject, users.length, calibrationOps)).wallNs;
    if (calibrationNs < 2_000_000) calibrationOps *= 2;
  } while (Date.now() < warmupEnd || calibrationNs < 2_000_000);
  const opsPerBatch = Math.max(1, Math.round((calibrationOps * measure.batchMs * 1e6) / calibrationNs));

  const wallNsPerOp: number[] = [];
  const cpuNsPerOp: number[] = [];
  for (let batch = 0; batch < measure.batches; batch++) {
    const { wallNs, cpuNs } = await timeBatch(subject, users.length, opsPerBatch);
    wallNsPerOp.push(wallNs / opsPerBatch);
    cpuNsPerOp.push(cpuNs / opsPerBatch);
  }
  await subject.close();
  const outgoingConnections = connectionLog.slice(connectionsBefore);

  const problems = [...fairness.problems];
  const unexpected = outgoingConnections.filter((target) => target !== subject.expectedConnection);
  if (unexpected.length > 0) {
    problems.push(`made ${unexpected.length} outgoing connection(s): ${unexpected.slice(0, 3).join(', ')}`);
  }
  return {
    system: request.system,
    scenario: request.scenario,
    wall: timing(wallNsPerOp),
    cpu: timing(cpuNsPerOp),
    opsPerBatch,
    enabledFraction: fairness.enabledFraction,
    expectedFraction: fairness.expectedFraction,
    problems,
    outgoingConnections,
    answerType: typeof sink,
  };
}
