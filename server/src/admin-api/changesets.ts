/** Change sets: apply a desired state of many flags and segments atomically (what `switchboard apply` sends). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LIMITS } from '@switchboard/core';
import Type from 'typebox';
import type { FlagInput, SegmentInput } from '../mutations';
import { applyChangeset } from '../mutations/changesets';
import { actorOf, FlagBody, Key, SegmentBody } from './common';

/** Items per change set; the request body limit usually binds first. */
export const MAX_CHANGESET_ITEMS = 10_000;

export const changesetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/changesets',
    {
      onRequest: [app.authenticate, app.requirePermission('write')],
      schema: {
        tags: ['change sets'],
        summary: 'Make flags and segments match a desired state in one transaction (or plan it with dryRun)',
        description:
          "Flags and segments missing from the request are deleted. Each item's `version` is the version it " +
          'was exported at (none for new items): an item changed on the server since then answers 409 with ' +
          'the plan, unless `force`. With `environment`, only that environment of each flag is managed. ' +
          'Every change is audited with `message` and the change set id as its reason. Kill states are kept.',
        body: Type.Object(
          {
            message: Type.String({ minLength: 1, maxLength: LIMITS.reasonLength }),
            dryRun: Type.Optional(Type.Boolean()),
            force: Type.Optional(Type.Boolean()),
            environment: Type.Optional(Key),
            flags: Type.Array(FlagBody, { maxItems: MAX_CHANGESET_ITEMS }),
            segments: Type.Array(SegmentBody, { maxItems: MAX_CHANGESET_ITEMS }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { flags, segments, ...rest } = request.body;
      // Parsed JSON: variant values are JSON values, as FlagInput says.
      return applyChangeset(app.mutations, actorOf(request), {
        ...rest,
        flags: flags as FlagInput[],
        segments: segments as SegmentInput[],
      });
    },
  );
};
