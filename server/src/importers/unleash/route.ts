/**
 * POST /api/v1/import/unleash: translate an Unleash payload (see payload.ts) into one environment and
 * apply it as ONE audited change set, the same mechanism as `switchboard apply` (mutations/changesets.ts),
 * without pruning: flags and segments the payload does not mention are left alone.
 *
 * The answer reports every feature (translated, or untranslatable with the reasons, plus notes) and the
 * change set's plan. Nothing is half-imported: when a feature cannot be carried over exactly, nothing is
 * written (422) unless `skipUntranslatable`, which leaves those features out whole. `dryRun` only plans.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FlagDocument, SegmentDocument } from '@switchboard/core';
import { LIMITS } from '@switchboard/core';
import Type from 'typebox';
import { actorOf, Key } from '../../admin-api/common';
import { badRequest, HttpError } from '../../errors';
import type { FlagInput, SegmentInput } from '../../mutations';
import { applyChangeset } from '../../mutations/changesets';
import type { ChangesetResult } from '../../mutations/changesets';
import { PayloadError, readUnleashPayload } from './payload';
import type { UnleashSource } from './payload';
import type { FeatureReport, SegmentReport, UnleashTranslation } from './translate';
import { candidateKeys, translateUnleashState } from './translate';

/** Unleash payloads of large installations exceed the default body limit. */
const MAX_IMPORT_BYTES = 32 * 1024 * 1024;

export interface UnleashImportResult {
  source: UnleashSource;
  sourceEnvironment: string | null;
  environment: string;
  dryRun: boolean;
  features: FeatureReport[];
  segments: SegmentReport[];
  /** The change set's plan, or (not a dry run) what it applied. */
  changeset: ChangesetResult;
}

const ImportBody = Type.Object(
  {
    payload: Type.Unknown({
      description: 'An Unleash /api/client/features payload, delta payload or export',
    }),
    environment: Key,
    sourceEnvironment: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: LIMITS.keyLength,
        description: "The export's Unleash environment",
      }),
    ),
    hashEncoding: Type.Optional(
      Type.Enum(['utf8', 'latin1'], {
        description:
          "'latin1' keeps the Unleash Node SDK's buckets for non-ASCII ids; default 'utf8' (other SDKs)",
      }),
    ),
    dryRun: Type.Optional(Type.Boolean()),
    skipUntranslatable: Type.Optional(Type.Boolean()),
    message: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.reasonLength })),
  },
  { additionalProperties: false },
);

/** A change set item manages only the imported environment; the stored document's others are kept. */
function flagInput(flag: FlagDocument, environment: string): FlagInput {
  const { version, environments, ...fields } = flag;
  return {
    ...fields,
    environments: { [environment]: environments[environment] as FlagDocument['environments'][string] },
    ...(version === 0 ? {} : { version }),
  };
}

function segmentInput({ version, ...segment }: SegmentDocument): SegmentInput {
  return { ...segment, ...(version === 0 ? {} : { version }) };
}

function describeSource(translation: UnleashTranslation): string {
  const source =
    translation.sourceEnvironment === null
      ? translation.source
      : `${translation.source} of ${translation.sourceEnvironment}`;
  return `Import from Unleash (${source}) into ${translation.environment}`;
}

export const unleashImportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/import/unleash',
    {
      onRequest: [app.authenticate, app.requirePermission('write')],
      bodyLimit: MAX_IMPORT_BYTES,
      schema: {
        tags: ['import'],
        summary: 'Import Unleash features into one environment as one change set (or plan it with dryRun)',
        description:
          'Translates the payload so that every context gets the answer Unleash gave it, and applies it as ' +
          'one audited change set that creates or updates flags and segments (it deletes nothing). Features ' +
          'that cannot be carried over exactly are reported with the reasons; then nothing is written (422) ' +
          'unless skipUntranslatable, which leaves them out whole.',
        body: ImportBody,
      },
    },
    async (request): Promise<UnleashImportResult> => {
      const body = request.body;
      let state;
      try {
        state = readUnleashPayload(body.payload, {
          targetEnvironment: body.environment,
          ...(body.sourceEnvironment !== undefined ? { sourceEnvironment: body.sourceEnvironment } : {}),
        });
      } catch (error) {
        if (!(error instanceof PayloadError)) throw error;
        throw badRequest(`not an Unleash payload Switchboard can import: ${error.message}`, [
          { path: `/body/payload${error.path}`, problem: error.message },
        ]);
      }
      // The stored documents the import may update: their other environments, variants, kill states and
      // versions (the change set checks the versions again inside its transaction).
      const keys = candidateKeys(state);
      const existingFlags = new Map<string, FlagDocument>();
      for (const key of new Set(keys.flags)) {
        const flag = await app.store.getFlag(key);
        if (flag) existingFlags.set(key, flag);
      }
      const existingSegments = new Map<string, SegmentDocument>();
      for (const key of new Set(keys.segments)) {
        const segment = await app.store.getSegment(key);
        if (segment) existingSegments.set(key, segment);
      }
      const translation = translateUnleashState(state, {
        environment: body.environment,
        existingFlags,
        existingSegments,
        ...(body.hashEncoding !== undefined ? { hashEncoding: body.hashEncoding } : {}),
      });
      const refused = translation.features.filter((feature) => feature.status === 'untranslatable');
      const report = { features: translation.features, segments: translation.segmentReports };
      if (refused.length > 0 && body.dryRun !== true && body.skipUntranslatable !== true) {
        throw new HttpError(
          422,
          'unprocessable',
          `${refused.length} Unleash feature${refused.length === 1 ? '' : 's'} cannot be imported exactly; ` +
            'nothing was changed (skipUntranslatable imports the others)',
          refused.map((feature) => ({
            path: `/body/payload/features/${feature.feature}`,
            problem: feature.reasons.join('; '),
          })),
          report,
        );
      }
      const changeset = await applyChangeset(app.mutations, actorOf(request), {
        message: body.message ?? describeSource(translation),
        dryRun: body.dryRun === true,
        environment: body.environment,
        prune: false,
        flags: translation.flags.map((flag) => flagInput(flag, body.environment)),
        segments: translation.segments.map(segmentInput),
      });
      return {
        source: translation.source,
        sourceEnvironment: translation.sourceEnvironment,
        environment: translation.environment,
        dryRun: changeset.dryRun,
        ...report,
        changeset,
      };
    },
  );
};
