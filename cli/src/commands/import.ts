import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { ApiError } from '../api-client';
import { usageError } from '../errors';
import type { Colors } from '../output';
import { renderTable } from '../output';
import type { ChangesetResult } from '@switchboard/core';
import { renderPlan } from '../plan';
import { sessionFor } from '../session';

interface ImportUnleashOptions {
  file: string;
  env: string;
  unleashEnv?: string;
  hashEncoding?: 'utf8' | 'latin1';
  dryRun?: boolean;
  skipUntranslatable?: boolean;
  message?: string;
}

/** What POST /api/v1/import/unleash reports per feature. */
interface FeatureReport {
  feature: string;
  status: 'translated' | 'untranslatable';
  reasons: string[];
  notes: Array<{ code: string; message: string }>;
}

interface ImportResult {
  source: string;
  sourceEnvironment: string | null;
  environment: string;
  features: FeatureReport[];
  changeset: ChangesetResult;
}

export function registerImport(program: Command): void {
  const command = program.command('import').description('import flags from another feature-flag service');
  command
    .command('unleash')
    .description('import Unleash features into one environment, atomically, as one audited change set')
    .requiredOption(
      '-f, --file <file>',
      'Unleash JSON: an /api/client/features payload, a delta payload or an export',
    )
    .requiredOption('--env <environment>', 'the Switchboard environment to import into')
    .option(
      '--unleash-env <environment>',
      "an export's Unleash environment (default: its only one, or --env)",
    )
    .addOption(
      new Option(
        '--hash-encoding <encoding>',
        "'latin1' keeps the Unleash Node SDK's buckets for non-ASCII ids (default utf8: the other SDKs)",
      ).choices(['utf8', 'latin1']),
    )
    .option('--dry-run', 'show what would be imported and change nothing')
    .option('--skip-untranslatable', 'import the other features when some cannot be carried over exactly')
    .option('-m, --message <message>', 'why: recorded with the change set in the audit log')
    .addHelpText(
      'after',
      '\nNothing is deleted, and nothing is half-imported: if a feature cannot be carried over exactly, nothing ' +
        'is written\nunless --skip-untranslatable. See docs/migrating-from-unleash.md.',
    )
    .action(async (options: ImportUnleashOptions, sub: Command) => {
      const payload = readJson(options.file);
      const session = sessionFor(sub);
      const body = {
        payload,
        environment: options.env,
        ...(options.unleashEnv === undefined ? {} : { sourceEnvironment: options.unleashEnv }),
        ...(options.hashEncoding === undefined ? {} : { hashEncoding: options.hashEncoding }),
        dryRun: options.dryRun === true,
        skipUntranslatable: options.skipUntranslatable === true,
        message:
          options.message ?? `switchboard import unleash -f ${basename(options.file)} --env ${options.env}`,
      };
      let result: ImportResult;
      try {
        result = await session.api.post<ImportResult>('/api/v1/import/unleash', body);
      } catch (error) {
        // Untranslatable features (422) come with the report: show it, then fail.
        const features =
          error instanceof ApiError ? (error.body.features as FeatureReport[] | undefined) : undefined;
        if (features) {
          if (session.out.json) session.out.data(error instanceof ApiError ? error.body : undefined);
          else session.out.line(renderFeatures(features, session.out.color));
        }
        throw error;
      }
      if (session.out.json) return session.out.data(result);
      const source =
        result.sourceEnvironment === null ? result.source : `${result.source} (${result.sourceEnvironment})`;
      session.out.line(`Unleash ${source} → ${result.environment}`);
      session.out.line(renderFeatures(result.features, session.out.color));
      session.out.line();
      session.out.line(renderPlan(result.changeset, session.out.color));
      if (result.changeset.changes.length === 0) return;
      session.out.line();
      session.out.line(
        result.changeset.dryRun
          ? 'Dry run: nothing was changed. Run again without --dry-run to import.'
          : `Imported as change set ${result.changeset.changeSet}: "${result.changeset.message}".`,
      );
    });
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw usageError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw usageError(`${path} is not JSON: ${(error as Error).message}`);
  }
}

/** One line per feature: imported or not, and why, with the notes under it. */
function renderFeatures(features: FeatureReport[], color: Colors): string {
  const refused = features.filter((feature) => feature.status === 'untranslatable').length;
  const summary =
    `${features.length} feature${features.length === 1 ? '' : 's'}: ${features.length - refused} translated` +
    (refused > 0 ? `, ${color.red(`${refused} cannot be imported exactly`)}` : '');
  const rows = features.flatMap((feature) => {
    const status = feature.status === 'translated' ? color.green('ok') : color.red('cannot import');
    const lines = [[feature.feature, status, feature.reasons.join('; ')]];
    for (const note of feature.notes) lines.push(['', color.yellow(`note (${note.code})`), note.message]);
    return lines;
  });
  return `${summary}\n\n${renderTable(['FEATURE', 'STATUS', 'DETAILS'], rows)}`;
}
