/**
 * Ramp plans: every change to a plan, by a person or by the scheduler, as one audited mutation.
 *
 * Exactly once: each change reads the plan inside its transaction and writes it back only at the
 * version it read (store/delivery.ts updatePlan). The scheduler passes the version it saw when it
 * decided; if another replica (or a person) changed the plan since, the change is dropped and
 * nothing is written, so a step is applied, audited and announced once however many replicas run.
 */
import { randomBytes } from 'node:crypto';
import type { FlagDocument, FlagEnvironment, Serve } from '@switchboard/core';
import { DEFAULT_BUCKETS } from '@switchboard/core';
import type { Actor } from '../audit/chain';
import type { ProblemDetail } from '../errors';
import { conflict, notFound, unprocessable } from '../errors';
import type { Mutations } from '../mutations';
import type { EnvironmentEdit } from '../mutations/flag-edits';
import { kill, setEnabled, setRollout } from '../mutations/flag-edits';
import type { Write } from '../mutations/write';
import type { GuardReading, PlanDefinition, PlanEvent, PlanEventKind, PlanStep, RampPlan } from './types';
import { isActive } from './types';

/** The actor of everything the server does to plans by itself. */
const SCHEDULER_ACTOR: Actor = { tokenId: 'system:scheduler', name: 'scheduler' };

/** Older history lines are dropped beyond this many. */
const MAX_HISTORY = 200;
/** Kill reasons are bounded by the flag schema. */
const MAX_REASON_LENGTH = 1000;

type PersonAction = 'pause' | 'resume' | 'skip' | 'abort';

const newRunId = () => `run_${randomBytes(8).toString('hex')}`;
const isoAfter = (from: number, ms: number) => new Date(from + ms).toISOString();

/** The part of a plan the audit log records (history and bookkeeping left out). */
function auditView(plan: RampPlan | undefined) {
  if (!plan) return null;
  const { history: _history, version: _version, updatedAt: _updatedAt, ...view } = plan;
  return view;
}

function withEvent(plan: RampPlan, event: PlanEvent): PlanEvent[] {
  return [...plan.history, event].slice(-MAX_HISTORY);
}

function stepLabel(plan: RampPlan, index: number): string {
  const step = plan.definition.steps[index]!;
  const parts: string[] = [];
  if (step.enabled !== undefined) parts.push(step.enabled ? 'on' : 'off');
  if (step.weights) {
    const total = step.weights.reduce((sum, weight) => sum + weight.weight, 0);
    parts.push(
      step.weights
        .map((weight) => `${weight.variant} ${Number(((weight.weight / total) * 100).toPrecision(4))}%`)
        .join(', '),
    );
  }
  return `step ${index + 1} of ${plan.definition.steps.length} (${parts.join('; ')})`;
}

/** The plan once step `index` is applied at `now`: the step's hold starts, or the plan completes. */
function enterStep(plan: RampPlan, index: number, now: number): RampPlan {
  const step = plan.definition.steps[index]!;
  const base = { ...plan, currentStep: index, stepStartedAt: new Date(now).toISOString() };
  const isLast = index === plan.definition.steps.length - 1;
  if (isLast && step.holdSeconds === undefined) {
    return {
      ...base,
      status: 'completed',
      nextAt: null,
      pausedRemainingMs: null,
      endedReason: 'all steps applied',
    };
  }
  const holdMs = (step.holdSeconds ?? 0) * 1000;
  if (plan.status === 'paused') return { ...base, nextAt: null, pausedRemainingMs: holdMs };
  return { ...base, status: 'running', nextAt: isoAfter(now, holdMs), pausedRemainingMs: null };
}

/** What a step changes in the flag environment. */
function stepEdit(definition: PlanDefinition, step: PlanStep): EnvironmentEdit {
  return (config) => {
    let next = config;
    if (step.enabled !== undefined) next = setEnabled(step.enabled)(next);
    if (step.weights !== undefined) {
      next = setRollout({ weights: step.weights, ruleId: definition.ruleId, bucketBy: definition.bucketBy })(
        next,
      );
    }
    return next;
  };
}

function stepAction(step: PlanStep): string {
  if (step.weights !== undefined) return 'flag.rollout';
  return step.enabled ? 'flag.enable' : 'flag.disable';
}

/** The serve a plan ramps: rule `ruleId`'s, or the fallthrough. */
function rampedServe(config: FlagEnvironment, ruleId: string | undefined): Serve | undefined {
  if (ruleId === undefined) return config.fallthrough;
  return config.rules?.find((rule) => rule.id === ruleId)?.serve;
}

/**
 * What the request body cannot say on its own: the variants, rule and bucket count it names exist
 * in the flag. Paths point into the request body.
 */
function planProblems(flag: FlagDocument, environment: string, definition: PlanDefinition): ProblemDetail[] {
  const config = flag.environments[environment]!;
  const problems: ProblemDetail[] = [];
  const hasVariant = (variant: string) => Object.hasOwn(flag.variants, variant);
  const serve = rampedServe(config, definition.ruleId);
  if (serve === undefined) {
    problems.push({
      path: '/body/ruleId',
      problem: `the flag has no rule "${definition.ruleId}" in ${environment}`,
    });
  }
  const buckets = serve && 'rollout' in serve ? (serve.rollout.buckets ?? DEFAULT_BUCKETS) : DEFAULT_BUCKETS;
  definition.steps.forEach((step, index) => {
    if (step.weights === undefined) return;
    step.weights.forEach((weight, position) => {
      if (!hasVariant(weight.variant)) {
        problems.push({
          path: `/body/steps/${index}/weights/${position}/variant`,
          problem: `unknown variant "${weight.variant}"`,
        });
      }
    });
    const sum = step.weights.reduce((total, weight) => total + weight.weight, 0);
    if (sum !== buckets) {
      problems.push({
        path: `/body/steps/${index}/weights`,
        problem: `weights sum to ${sum}; they must sum to ${buckets}`,
      });
    }
  });
  (definition.guards ?? []).forEach((guard, index) => {
    for (const side of ['treatment', 'control'] as const) {
      if (!hasVariant(guard[side])) {
        problems.push({ path: `/body/guards/${index}/${side}`, problem: `unknown variant "${guard[side]}"` });
      }
    }
  });
  return problems;
}

export class RampPlans {
  constructor(private readonly mutations: Mutations) {}

  /** Puts a new plan on the flag environment; its first step applies at `startAt` (or at once). */
  create(
    actor: Actor,
    target: { flag: string; environment: string },
    definition: PlanDefinition,
    reason?: string,
  ): Promise<RampPlan> {
    return this.mutations.commitAs(actor, async (write) => {
      const flag = await write.tx.getFlag(target.flag);
      if (!flag) throw notFound(`flag "${target.flag}" does not exist`);
      if (!(await write.tx.getEnvironment(target.environment))) {
        throw notFound(`environment "${target.environment}" does not exist`);
      }
      const config = Object.hasOwn(flag.environments, target.environment)
        ? flag.environments[target.environment]
        : undefined;
      if (!config) {
        throw notFound(`flag "${target.flag}" has no configuration in environment "${target.environment}"`);
      }
      if (config.killed) {
        throw unprocessable(`flag "${target.flag}" is killed in ${target.environment}: unkill it first`, [
          { path: '/params/env', problem: 'the flag is killed here' },
        ]);
      }
      const problems = planProblems(flag, target.environment, definition);
      if (problems.length > 0) throw unprocessable('the plan does not fit the flag', problems);
      const previous = await write.tx.delivery.getPlan(target.flag, target.environment);
      if (previous && isActive(previous.status)) {
        throw conflict(
          `flag "${target.flag}" already has a ${previous.status} plan in ${target.environment}: abort it first`,
          { currentVersion: previous.version },
        );
      }
      const now = new Date().toISOString();
      const plan: RampPlan = {
        flag: target.flag,
        environment: target.environment,
        runId: newRunId(),
        definition,
        status: 'scheduled',
        currentStep: -1,
        stepStartedAt: null,
        nextAt: definition.startAt ?? now,
        pausedRemainingMs: null,
        endedReason: null,
        history: [
          {
            at: now,
            by: actor.name,
            event: 'created',
            detail: `${definition.steps.length} steps, ${definition.guards?.length ?? 0} guards, first step ${
              definition.startAt === undefined ? 'now' : `at ${definition.startAt}`
            }`,
          },
        ],
        version: (previous?.version ?? 0) + 1,
        createdAt: now,
        createdBy: actor.name,
        updatedAt: now,
      };
      if (previous) {
        await write.tx.delivery.deleteRun(previous.runId);
        await write.tx.delivery.updatePlan(plan, previous.version);
      } else {
        await write.tx.delivery.insertPlan(plan);
      }
      await this.audit(write, 'plan.create', previous, plan, reason);
      return plan;
    });
  }

  /** pause, resume, skip or abort, by a person. 404 without a plan; 409 when the plan cannot do it now. */
  act(
    actor: Actor,
    target: { flag: string; environment: string },
    action: PersonAction,
    reason?: string,
  ): Promise<RampPlan> {
    return this.mutations.commitAs(actor, async (write) => {
      const plan = await write.tx.delivery.getPlan(target.flag, target.environment);
      if (!plan) throw notFound(`flag "${target.flag}" has no plan in environment "${target.environment}"`);
      const refuse = (why: string) =>
        conflict(`cannot ${action} the plan: ${why}`, { currentVersion: plan.version });
      if (!isActive(plan.status)) throw refuse(`it is ${plan.status}`);
      const now = Date.now();
      const at = new Date(now).toISOString();
      const note = (event: PlanEventKind, detail: string, step = plan.currentStep): PlanEvent => ({
        at,
        by: actor.name,
        event,
        ...(step >= 0 ? { step } : {}),
        detail: reason === undefined ? detail : `${detail}: ${reason}`,
      });
      let next: RampPlan;
      switch (action) {
        case 'pause': {
          if (plan.status === 'paused') throw refuse('it is already paused');
          const remaining = plan.nextAt === null ? null : Math.max(0, Date.parse(plan.nextAt) - now);
          next = { ...plan, status: 'paused', nextAt: null, pausedRemainingMs: remaining };
          next.history = withEvent(plan, note('paused', 'paused'));
          break;
        }
        case 'resume': {
          if (plan.status !== 'paused') throw refuse(`it is ${plan.status}, not paused`);
          const remaining = plan.pausedRemainingMs;
          next = {
            ...plan,
            status: plan.currentStep < 0 ? 'scheduled' : 'running',
            nextAt: remaining === null ? null : isoAfter(now, remaining),
            pausedRemainingMs: null,
          };
          next.history = withEvent(plan, note('resumed', 'resumed'));
          break;
        }
        case 'skip': {
          const index = plan.currentStep + 1;
          if (index >= plan.definition.steps.length) throw refuse('the last step is already applied');
          await this.applyStep(write, plan, index, `skipped to ${stepLabel(plan, index)} by ${actor.name}`);
          next = enterStep(plan, index, now);
          next.history = withEvent(plan, note('skipped', `skipped to ${stepLabel(plan, index)}`, index));
          break;
        }
        case 'abort':
          next = {
            ...plan,
            status: 'aborted',
            nextAt: null,
            pausedRemainingMs: null,
            endedReason: `aborted by ${actor.name}`,
          };
          next.history = withEvent(plan, note('aborted', 'aborted'));
          break;
      }
      await this.save(write, plan, next, plan.version);
      await this.audit(write, `plan.${action}`, plan, next, reason);
      return next;
    });
  }

  /**
   * The scheduler's move on a due plan it read at `seen.version`: apply the next step (or complete
   * after the last step's hold). Answers false when the plan changed since it was read.
   */
  advance(seen: RampPlan, readings: GuardReading[]): Promise<boolean> {
    return this.mutations.commitAs(SCHEDULER_ACTOR, async (write) => {
      const plan = await write.tx.delivery.getPlan(seen.flag, seen.environment);
      if (!plan || plan.version !== seen.version || !isActive(plan.status) || plan.status === 'paused')
        return false;
      const now = Date.now();
      const at = new Date(now).toISOString();
      const guards = readings.length > 0 ? { guards: readings } : {};
      const index = plan.currentStep + 1;
      let next: RampPlan;
      if (index < plan.definition.steps.length) {
        const due = index === 0 ? 'start time reached' : 'hold elapsed';
        const why = readings.length === 0 ? due : `${due}, guards ${guardVerdict(readings)}`;
        await this.applyStep(write, plan, index, `ramp plan: ${stepLabel(plan, index)}; ${why}`);
        next = enterStep(plan, index, now);
        next.history = withEvent(plan, {
          at,
          by: SCHEDULER_ACTOR.name,
          event: 'advanced',
          step: index,
          detail: `applied ${stepLabel(plan, index)}; ${why}`,
          ...guards,
        });
        await this.save(write, plan, next, plan.version);
        await this.audit(write, 'plan.advance', plan, next, `${stepLabel(plan, index)}; ${why}`);
      } else {
        next = { ...plan, status: 'completed', nextAt: null, endedReason: 'last step held its full time' };
        next.history = withEvent(plan, {
          at,
          by: SCHEDULER_ACTOR.name,
          event: 'completed',
          step: plan.currentStep,
          detail: 'the last step held its full time',
          ...guards,
        });
        await this.save(write, plan, next, plan.version);
        await this.audit(write, 'plan.complete', plan, next, 'the last step held its full time');
      }
      return true;
    });
  }

  /**
   * A guard tripped: the plan stops and the flag is killed in the environment, with the guard's
   * numbers as the reason, in one transaction. False when the plan changed since it was read.
   */
  trip(seen: RampPlan, tripped: GuardReading, readings: GuardReading[]): Promise<boolean> {
    return this.mutations.commitAs(SCHEDULER_ACTOR, async (write) => {
      const plan = await write.tx.delivery.getPlan(seen.flag, seen.environment);
      if (!plan || plan.version !== seen.version || !isActive(plan.status)) return false;
      const reason = tripped.summary.slice(0, MAX_REASON_LENGTH);
      const at = new Date().toISOString();
      const next: RampPlan = {
        ...plan,
        status: 'aborted',
        nextAt: null,
        pausedRemainingMs: null,
        endedReason: reason,
        history: withEvent(plan, {
          at,
          by: SCHEDULER_ACTOR.name,
          event: 'tripped',
          ...(plan.currentStep >= 0 ? { step: plan.currentStep } : {}),
          detail: reason,
          guards: readings,
        }),
      };
      await this.save(write, plan, next, plan.version);
      await this.audit(write, 'plan.abort', plan, next, reason);
      await this.mutations.applyEnvironmentEdit(
        write,
        { key: plan.flag, environment: plan.environment, action: 'flag.kill', reason },
        kill({ at, by: SCHEDULER_ACTOR.name, reason }),
      );
      return true;
    });
  }

  /** Ends a plan the scheduler cannot carry on (its flag is gone, a step no longer fits the flag). */
  fail(seen: RampPlan, why: string): Promise<boolean> {
    return this.mutations.commitAs(SCHEDULER_ACTOR, async (write) => {
      const plan = await write.tx.delivery.getPlan(seen.flag, seen.environment);
      if (!plan || plan.version !== seen.version || !isActive(plan.status)) return false;
      const next: RampPlan = {
        ...plan,
        status: 'aborted',
        nextAt: null,
        pausedRemainingMs: null,
        endedReason: why,
      };
      next.history = withEvent(plan, {
        at: new Date().toISOString(),
        by: SCHEDULER_ACTOR.name,
        event: 'aborted',
        detail: why,
      });
      await this.save(write, plan, next, plan.version);
      await this.audit(write, 'plan.abort', plan, next, why);
      return true;
    });
  }

  /** Kill hook (Mutations.onKill): a kill aborts the flag environment's active plan, in the kill's transaction. */
  readonly abortOnKill = async (write: Write, flag: string, environment: string): Promise<void> => {
    const plan = await write.tx.delivery.getPlan(flag, environment);
    if (!plan || !isActive(plan.status)) return;
    const killed = (await write.tx.getFlag(flag))?.environments[environment]?.killed;
    const why = `flag killed by ${write.actor.name}${killed ? `: ${killed.reason}` : ''}`;
    const next: RampPlan = {
      ...plan,
      status: 'aborted',
      nextAt: null,
      pausedRemainingMs: null,
      endedReason: why,
    };
    next.history = withEvent(plan, {
      at: new Date().toISOString(),
      by: write.actor.name,
      event: 'aborted',
      detail: why,
    });
    await this.save(write, plan, next, plan.version);
    await this.audit(write, 'plan.abort', plan, next, why);
  };

  private async applyStep(write: Write, plan: RampPlan, index: number, reason: string): Promise<void> {
    const step = plan.definition.steps[index]!;
    await this.mutations.applyEnvironmentEdit(
      write,
      { key: plan.flag, environment: plan.environment, action: stepAction(step), reason },
      stepEdit(plan.definition, step),
    );
  }

  /** Writes `next` over the plan read at `version`; inside the transaction that read it, so it cannot lose. */
  private async save(write: Write, before: RampPlan, next: RampPlan, version: number): Promise<void> {
    const stored = { ...next, version: before.version + 1, updatedAt: new Date().toISOString() };
    if (!(await write.tx.delivery.updatePlan(stored, version))) {
      throw conflict(`the plan of "${before.flag}" in ${before.environment} changed meanwhile; retry`);
    }
  }

  private async audit(
    write: Write,
    action: string,
    before: RampPlan | undefined,
    after: RampPlan,
    reason: string | undefined,
  ): Promise<void> {
    await write.audit({
      action,
      target: { kind: 'flag', key: after.flag },
      environment: after.environment,
      reason: reason ?? null,
      before: auditView(before),
      after: auditView(after),
    });
  }
}

/** "healthy", or which guards could not decide yet (too few users: they do not hold a plan back). */
function guardVerdict(readings: GuardReading[]): string {
  const waiting = readings
    .filter((reading) => reading.status === 'insufficient')
    .map((reading) => reading.name);
  return waiting.length === 0 ? 'healthy' : `not tripped (too few users yet: ${waiting.join(', ')})`;
}
