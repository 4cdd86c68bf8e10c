/**
 * `POST /sdk/v1/events` (server SDKs) and `POST /client/v1/events` (browsers): what SDKs report besides evaluation counts — who they are (instance, SDK
 * version, the ruleset version they serve), which users they served which variant of a guarded
 * flag (exposures), and the events the application tracked for those users (`client.track`). The
 * answer names the guarded flags (with their run ids), so SDKs report exposures for those only.
 *
 * Attribution: the SDK attaches to each tracked event the variants it actually served that user,
 * rather than the server re-evaluating the context: the server may hold a newer ruleset than the
 * SDK did (a step advanced in between), a context sent with an event may lack attributes the
 * evaluation saw, and only the SDK knows what the user was really shown.
 */
import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LIMITS } from '@switchboard/core';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import Type from 'typebox';
import type { Principal } from '../auth';
import { principalOf } from '../auth';
import { CorsPolicy } from '../client-api/cors';
import { notFound } from '../errors';
import type { ExposureRow, OutcomeRow } from '../store/delivery';
import type { RampPlan } from './types';

/** Most exposures or events one request may carry (SDKs split larger batches). */
const MAX_EVENTS_PER_REQUEST = 5000;

const FlagKey = Type.String({ minLength: 1, maxLength: LIMITS.keyLength });
const VariantName = Type.String({ minLength: 1, maxLength: LIMITS.variantNameLength });
const User = Type.String({ minLength: 1, maxLength: LIMITS.valueLength });
const EventName = Type.String({ minLength: 1, maxLength: 200 });

const EventsBody = Type.Object(
  {
    sdk: Type.Object(
      {
        instanceId: Type.String({ minLength: 1, maxLength: 100 }),
        name: Type.String({ minLength: 1, maxLength: 100 }),
        version: Type.String({ minLength: 1, maxLength: 50 }),
        rulesetVersion: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    exposures: Type.Optional(
      Type.Array(
        Type.Object(
          {
            flag: FlagKey,
            variant: VariantName,
            user: User,
            reason: Type.String({ minLength: 1, maxLength: 40 }),
            ruleId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.ruleIdLength })),
          },
          { additionalProperties: false },
        ),
        { maxItems: MAX_EVENTS_PER_REQUEST },
      ),
    ),
    events: Type.Optional(
      Type.Array(
        Type.Object(
          {
            event: EventName,
            user: User,
            value: Type.Optional(Type.Number()),
            /** The variants of guarded flags the SDK served this user: flag key → variant. */
            variants: Type.Record(FlagKey, VariantName, { maxProperties: 100 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: MAX_EVENTS_PER_REQUEST },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Users are stored as a hash salted with the run: enough to count them, not to name them. */
const unitOf = (runId: string, user: string) =>
  createHash('sha256').update(`${runId}:${user}`, 'utf8').digest('hex').slice(0, 32);

/** Plans that collect exposures and outcomes: active, guarded, and past their first step. */
const isCollecting = (plan: RampPlan) =>
  (plan.status === 'running' || plan.status === 'paused') &&
  plan.currentStep >= 0 &&
  (plan.definition.guards?.length ?? 0) > 0;

/** An exposure counts only when the ramped rollout itself chose the variant (not a target or another rule). */
function assignedByRollout(plan: RampPlan, exposure: { reason: string; ruleId?: string }): boolean {
  const { ruleId } = plan.definition;
  return ruleId === undefined
    ? exposure.reason === 'SPLIT'
    : exposure.reason === 'RULE_MATCH' && exposure.ruleId === ruleId;
}

type EventsRequest = Static<typeof EventsBody>;

/**
 * Whether an environment exists. Environments are never deleted, so one found once needs no store
 * read for each of the thousands of reports per second its SDKs send.
 */
function environmentChecker(app: FastifyInstance): (key: string) => Promise<boolean> {
  const existing = new Set<string>();
  return async (key) => {
    if (existing.has(key)) return true;
    if (!(await app.store.getEnvironment(key))) return false;
    existing.add(key);
    return true;
  };
}

/** Records one report of an SDK of `principal`'s environment; answers what the route sends. */
async function recordReport(
  app: FastifyInstance,
  environmentExists: (key: string) => Promise<boolean>,
  principal: Principal,
  report: EventsRequest,
) {
  const environment = principal.environment;
  if (environment === undefined || !(await environmentExists(environment))) {
    throw notFound(`the SDK key's environment "${environment ?? ''}" does not exist`);
  }
  const { sdk, exposures = [], events = [] } = report;
  const plans = (
    await app.store.delivery.read((queries) => queries.listPlans({ environment, active: true }))
  ).filter(isCollecting);
  const byFlag = new Map(plans.map((plan) => [plan.flag, plan]));
  const now = new Date().toISOString();

  const exposureRows = new Map<string, ExposureRow>();
  for (const exposure of exposures) {
    const plan = byFlag.get(exposure.flag);
    if (!plan || !assignedByRollout(plan, exposure)) continue;
    const unit = unitOf(plan.runId, exposure.user);
    exposureRows.set(`${plan.runId}\u0000${exposure.variant}\u0000${unit}`, {
      runId: plan.runId,
      variant: exposure.variant,
      unit,
      at: now,
    });
  }

  const outcomeRows = new Map<string, OutcomeRow>();
  let attributed = 0;
  for (const { event, user, value, variants } of events) {
    const guarded = Object.entries(variants).flatMap(([flag, variant]) => {
      const plan = byFlag.get(flag);
      return plan?.definition.guards?.some((guard) => guard.event === event) ? [{ plan, variant }] : [];
    });
    if (guarded.length > 0) attributed++;
    for (const { plan, variant } of guarded) {
      const unit = unitOf(plan.runId, user);
      const key = `${plan.runId}\u0000${event}\u0000${variant}\u0000${unit}`;
      const row = outcomeRows.get(key) ?? {
        runId: plan.runId,
        event,
        variant,
        unit,
        count: 0,
        valueCount: 0,
        valueSum: 0,
      };
      row.count++;
      if (value !== undefined) {
        row.valueCount++;
        row.valueSum += value;
      }
      outcomeRows.set(key, row);
    }
  }

  // Server SDKs hold the ruleset and are few; a browser report is one page view, not an instance.
  if (principal.kind === 'server') {
    app.delivery.instances.record({
      environment,
      instanceId: sdk.instanceId,
      tokenId: principal.tokenId,
      sdk: sdk.name,
      sdkVersion: sdk.version,
      rulesetVersion: sdk.rulesetVersion,
      firstSeenAt: now,
      lastSeenAt: now,
    });
  }
  if (exposureRows.size > 0 || outcomeRows.size > 0) {
    await app.store.delivery.batch(async (queries) => {
      if (exposureRows.size > 0) await queries.recordExposures([...exposureRows.values()]);
      if (outcomeRows.size > 0) await queries.recordOutcomes([...outcomeRows.values()]);
    });
  }
  return {
    accepted: { exposures: exposureRows.size, events: attributed },
    guarded: Object.fromEntries(plans.map((plan) => [plan.flag, plan.runId])),
  };
}

const schema = (keys: string) => ({
  tags: ['sdk'],
  summary: `SDK heartbeat, exposures of guarded flags and tracked events (${keys})`,
  description:
    'Answers 202 with `guarded`: the flags under a guarded ramp plan (flag key → run id). SDKs report ' +
    'exposures of those flags only, and attach to each tracked event the variants they served its user.',
  body: EventsBody,
});

/** Server SDKs: `POST /sdk/v1/events`. */
export const sdkEventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const environmentExists = environmentChecker(app);
  app.post(
    '/sdk/v1/events',
    { onRequest: [app.authenticate, app.requireKinds('server')], schema: schema('server SDK keys') },
    async (request, reply) =>
      reply.code(202).send(await recordReport(app, environmentExists, principalOf(request), request.body)),
  );
};

/** Browser SDKs: `POST /client/v1/events`, with the client API's CORS policy. */
export const clientEventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  new CorsPolicy(app.config.corsOrigins ?? []).install(app, ['/client/v1/events']);
  const environmentExists = environmentChecker(app);
  app.post(
    '/client/v1/events',
    { onRequest: [app.authenticate, app.requireKinds('client')], schema: schema('client keys') },
    async (request, reply) =>
      reply.code(202).send(await recordReport(app, environmentExists, principalOf(request), request.body)),
  );
};
