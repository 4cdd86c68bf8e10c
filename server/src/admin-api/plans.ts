/**
 * Ramp plans of a flag environment: read (with the guards' live numbers), create, and pause /
 * resume / skip / abort. Creating, resuming and skipping need `write`; pausing and aborting only
 * `kill`, so a responder can stop a rollout.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LIMITS, parseIsoDate } from '@switchboard/core';
import Type from 'typebox';
import { readGuards } from '../delivery/guards';
import type { GuardReading, PlanDefinition, RampPlan } from '../delivery/types';
import type { ProblemDetail } from '../errors';
import { badRequest, notFound } from '../errors';
import { actorOf, FlagEnvironmentParams, Key, Reason } from './common';

const closed = { additionalProperties: false } as const;
const VariantName = Type.String({ minLength: 1, maxLength: LIMITS.variantNameLength });
const MAX_HOLD_SECONDS = 366 * 24 * 60 * 60;

const Step = Type.Object(
  {
    weights: Type.Optional(
      Type.Array(Type.Object({ variant: VariantName, weight: Type.Integer({ minimum: 0 }) }, closed), {
        minItems: 1,
        maxItems: LIMITS.weights,
      }),
    ),
    enabled: Type.Optional(Type.Boolean()),
    holdSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_HOLD_SECONDS })),
  },
  closed,
);

const Guard = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    event: Type.String({ minLength: 1, maxLength: 200 }),
    kind: Type.Enum(['rate', 'mean']),
    treatment: VariantName,
    control: VariantName,
    worseWhen: Type.Optional(Type.Enum(['higher', 'lower'])),
    relativeThreshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
    absoluteThreshold: Type.Optional(Type.Number({ minimum: 0 })),
    minSample: Type.Integer({ minimum: 10, maximum: 100_000_000 }),
  },
  closed,
);

const PlanBody = Type.Object(
  {
    steps: Type.Array(Step, { minItems: 1, maxItems: 50 }),
    startAt: Type.Optional(Type.String({ minLength: 10, maxLength: 40, description: 'ISO-8601 date-time' })),
    ruleId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.ruleIdLength })),
    bucketBy: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.attributeLength })),
    guards: Type.Optional(Type.Array(Guard, { maxItems: 10 })),
    alpha: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.5 })),
    reason: Type.Optional(Reason),
  },
  closed,
);

const ActionBody = Type.Object({ reason: Type.Optional(Reason) }, closed);
const ACTIONS = ['pause', 'resume', 'skip', 'abort'] as const;

/** What the schema cannot say: each step changes something, holds between steps, distinct guards. */
function definitionProblems(definition: PlanDefinition): ProblemDetail[] {
  const problems: ProblemDetail[] = [];
  const last = definition.steps.length - 1;
  definition.steps.forEach((step, index) => {
    if (step.weights === undefined && step.enabled === undefined) {
      problems.push({ path: `/body/steps/${index}`, problem: 'a step sets weights, enabled, or both' });
    }
    if (index < last && step.holdSeconds === undefined) {
      problems.push({
        path: `/body/steps/${index}/holdSeconds`,
        problem: 'required on every step but the last',
      });
    }
  });
  if (definition.startAt !== undefined && parseIsoDate(definition.startAt) === null) {
    problems.push({ path: '/body/startAt', problem: 'not an ISO-8601 date-time' });
  }
  const names = new Set<string>();
  (definition.guards ?? []).forEach((guard, index) => {
    if (names.has(guard.name)) problems.push({ path: `/body/guards/${index}/name`, problem: 'used twice' });
    names.add(guard.name);
    if (guard.treatment === guard.control) {
      problems.push({ path: `/body/guards/${index}/control`, problem: 'must differ from treatment' });
    }
  });
  return problems;
}

/** A plan with its guards' numbers now (none before the first step). */
export interface PlanView extends RampPlan {
  readings: GuardReading[];
  serverTime: string;
}

export const planRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const read = [app.authenticate, app.requirePermission('read')];
  const write = [app.authenticate, app.requirePermission('write')];
  const stop = [app.authenticate, app.requirePermission('kill')];

  const view = async (plan: RampPlan): Promise<PlanView> => ({
    ...plan,
    readings: plan.currentStep >= 0 ? await readGuards(app.store, plan) : [],
    serverTime: new Date().toISOString(),
  });

  app.get(
    '/plans',
    {
      onRequest: read,
      schema: {
        tags: ['progressive delivery'],
        summary: 'Ramp plans of every flag, optionally of one environment or only active ones',
        querystring: Type.Object(
          { environment: Type.Optional(Key), active: Type.Optional(Type.Enum(['true', 'false'])) },
          closed,
        ),
      },
    },
    async (request) => {
      const { environment, active } = request.query;
      const plans = await app.store.delivery.read((queries) =>
        queries.listPlans({ environment, active: active === 'true' }),
      );
      return { plans };
    },
  );

  app.get(
    '/flags/:key/environments/:env/plan',
    {
      onRequest: read,
      schema: {
        tags: ['progressive delivery'],
        summary: "The flag environment's ramp plan, with its guards' live numbers",
        params: FlagEnvironmentParams,
      },
    },
    async (request) => {
      const { key, env } = request.params;
      const plan = await app.store.delivery.read((queries) => queries.getPlan(key, env));
      if (!plan) throw notFound(`flag "${key}" has no plan in environment "${env}"`);
      return view(plan);
    },
  );

  app.put(
    '/flags/:key/environments/:env/plan',
    {
      onRequest: write,
      schema: {
        tags: ['progressive delivery'],
        summary: 'Put a ramp plan (or a scheduled change) on the flag environment',
        description:
          'Steps apply in order, each after the previous one held for `holdSeconds`; the first at `startAt` ' +
          '(or at once). Guards compare treatment with control on tracked events and kill the flag when ' +
          'treatment is worse. 409 while another plan is active there.',
        params: FlagEnvironmentParams,
        body: PlanBody,
      },
    },
    async (request, reply) => {
      const { reason, ...definition } = request.body;
      const problems = definitionProblems(definition);
      if (problems.length > 0) throw badRequest('invalid plan', problems);
      const plan = await app.delivery.plans.create(
        actorOf(request),
        { flag: request.params.key, environment: request.params.env },
        definition,
        reason,
      );
      app.delivery.scheduler.wake();
      return reply.code(201).send(await view(plan));
    },
  );

  for (const action of ACTIONS) {
    app.post(
      `/flags/:key/environments/:env/plan/${action}`,
      {
        onRequest: action === 'pause' || action === 'abort' ? stop : write,
        schema: {
          tags: ['progressive delivery'],
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} the ramp plan`,
          params: FlagEnvironmentParams,
          body: ActionBody,
        },
      },
      async (request) => {
        const plan = await app.delivery.plans.act(
          actorOf(request),
          { flag: request.params.key, environment: request.params.env },
          action,
          request.body.reason,
        );
        app.delivery.scheduler.wake();
        return view(plan);
      },
    );
  }
};
