/**
 * Focused edits of one flag environment (what a UI or CLI changes without sending the whole
 * document) and the kill switch. Each accepts an optional `version` (or If-Match) for optimistic
 * concurrency and an optional `reason` for the audit log; kill needs a reason and no version.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LIMITS } from '@switchboard/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { EnvironmentEdit } from '../mutations/flag-edits';
import {
  addTargets,
  kill,
  removeTargets,
  reorderRules,
  setEnabled,
  setRollout,
  unkill,
} from '../mutations/flag-edits';
import {
  actorOf,
  etag,
  expectedVersion,
  FlagEnvironmentParams,
  IfMatchHeaders,
  Key,
  Reason,
  Version,
} from './common';

const VariantName = Type.String({ minLength: 1, maxLength: LIMITS.variantNameLength });
const Attribute = Type.String({ minLength: 1, maxLength: LIMITS.attributeLength });
const Values = Type.Array(Type.String({ maxLength: LIMITS.valueLength }), {
  minItems: 1,
  maxItems: LIMITS.values,
});

/** What applyEdit reads from a focused-edit request. */
type EditRequest = Pick<FastifyRequest, 'principal'> & {
  params: { key: string; env: string };
  headers: { 'if-match'?: string };
};

/** Fields every focused edit accepts. */
const editFields = { version: Type.Optional(Version), reason: Type.Optional(Reason) };

const TargetsBody = Type.Object(
  { variant: VariantName, values: Values, attribute: Type.Optional(Attribute), ...editFields },
  { additionalProperties: false },
);

const schemaOf = <Body>(summary: string, body: Body) => ({
  tags: ['flags'],
  summary,
  params: FlagEnvironmentParams,
  headers: IfMatchHeaders,
  body,
});

export const flagEnvironmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const write = [app.authenticate, app.requirePermission('write')];
  const killSwitch = [app.authenticate, app.requirePermission('kill')];

  async function applyEdit(
    request: EditRequest,
    reply: FastifyReply,
    body: { version?: number; reason?: string },
    action: string,
    edit: EnvironmentEdit,
  ) {
    const flag = await app.mutations.editFlagEnvironment(
      actorOf(request),
      {
        key: request.params.key,
        environment: request.params.env,
        expectedVersion: expectedVersion(request.headers['if-match'], body.version),
        reason: body.reason,
        action,
      },
      edit,
    );
    reply.header('etag', etag(flag.version));
    return flag;
  }

  app.put(
    '/flags/:key/environments/:env/enabled',
    {
      onRequest: write,
      schema: schemaOf(
        'Turn the flag on or off in one environment',
        Type.Object({ enabled: Type.Boolean(), ...editFields }, { additionalProperties: false }),
      ),
    },
    async (request, reply) => {
      const { enabled } = request.body;
      return applyEdit(
        request,
        reply,
        request.body,
        enabled ? 'flag.enable' : 'flag.disable',
        setEnabled(enabled),
      );
    },
  );

  app.put(
    '/flags/:key/environments/:env/rollout',
    {
      onRequest: write,
      schema: schemaOf(
        "Set the rollout weights of the fallthrough (or of the rule `ruleId`); weights sum to the rollout's buckets",
        Type.Object(
          {
            weights: Type.Array(
              Type.Object(
                { variant: VariantName, weight: Type.Integer({ minimum: 0 }) },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: LIMITS.weights },
            ),
            bucketBy: Type.Optional(Attribute),
            ruleId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.ruleIdLength })),
            ...editFields,
          },
          { additionalProperties: false },
        ),
      ),
    },
    async (request, reply) => {
      const { weights, bucketBy, ruleId } = request.body;
      return applyEdit(
        request,
        reply,
        request.body,
        'flag.rollout',
        setRollout({ weights, bucketBy, ruleId }),
      );
    },
  );

  app.post(
    '/flags/:key/environments/:env/targets',
    {
      onRequest: write,
      schema: schemaOf(
        'Serve a variant to individual values (moving them from other target lists)',
        TargetsBody,
      ),
    },
    async (request, reply) => {
      const { variant, values, attribute } = request.body;
      return applyEdit(
        request,
        reply,
        request.body,
        'flag.targets.add',
        addTargets({ variant, values, attribute }),
      );
    },
  );

  app.delete(
    '/flags/:key/environments/:env/targets',
    {
      onRequest: write,
      schema: schemaOf('Stop serving a variant to individual values', TargetsBody),
    },
    async (request, reply) => {
      const { variant, values, attribute } = request.body;
      const edit = removeTargets({ variant, values, attribute });
      return applyEdit(request, reply, request.body, 'flag.targets.remove', edit);
    },
  );

  app.put(
    '/flags/:key/environments/:env/rules/order',
    {
      onRequest: write,
      schema: schemaOf(
        'Reorder the rules; ruleIds lists every rule id exactly once',
        Type.Object(
          {
            ruleIds: Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.ruleIdLength }), {
              maxItems: LIMITS.rules,
            }),
            ...editFields,
          },
          { additionalProperties: false },
        ),
      ),
    },
    async (request, reply) =>
      applyEdit(request, reply, request.body, 'flag.rules.reorder', reorderRules(request.body.ruleIds)),
  );

  app.post(
    '/flags/:key/environments/:env/kill',
    {
      onRequest: killSwitch,
      schema: {
        tags: ['kill switch'],
        summary: 'Kill the flag in one environment: it serves its off variant until unkilled',
        description:
          'Needs no version and always wins over concurrent edits. Killing a killed flag changes nothing.',
        params: FlagEnvironmentParams,
        body: Type.Object({ reason: Reason }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const { reason } = request.body;
      const state = { at: new Date().toISOString(), by: actorOf(request).name, reason };
      return applyEdit(request, reply, { reason }, 'flag.kill', kill(state));
    },
  );

  app.post(
    '/flags/:key/environments/:env/unkill',
    {
      onRequest: killSwitch,
      schema: {
        tags: ['kill switch'],
        summary: 'Undo a kill: restores exactly the configuration from before it',
        params: FlagEnvironmentParams,
        body: Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }),
      },
      // The body is optional: no body means no reason.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) =>
      applyEdit(request, reply, { reason: request.body.reason }, 'flag.unkill', unkill),
  );

  app.post(
    '/kill',
    {
      onRequest: killSwitch,
      schema: {
        tags: ['kill switch'],
        summary: 'Kill every flag carrying a tag in one environment, in one transaction',
        body: Type.Object(
          {
            tag: Type.String({ minLength: 1, maxLength: LIMITS.tagLength }),
            environment: Key,
            reason: Reason,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { tag, environment, reason } = request.body;
      const result = await app.mutations.killByTag(actorOf(request), { tag, environment, reason });
      return { tag, environment, ...result };
    },
  );
};
