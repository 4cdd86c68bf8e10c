import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { ApiError } from '../api-client';
import { usageError } from '../errors';
import type { ParsedFlagsFile } from '../flags-file';
import type { ChangesetResult } from '@switchboard/core';
import { renderPlan } from '../plan';
import { sessionFor } from '../session';
import { pointerSteps } from '../pointer';

interface ApplyOptions {
  file: string;
  dryRun?: boolean;
  force?: boolean;
  message?: string;
}

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('make the server match a flags file, atomically, as one audited change set')
    .requiredOption('-f, --file <file>', 'the YAML file (as written by `switchboard export`)')
    .option('--dry-run', 'show the plan and change nothing')
    .option('--force', 'overwrite items changed on the server since the file was exported')
    .option('-m, --message <message>', 'why: recorded with the change set in the audit log')
    .addHelpText(
      'after',
      '\nFlags and segments missing from the file are deleted. Kill states are never changed by apply.',
    )
    .action(async (options: ApplyOptions, command: Command) => {
      // Loaded on demand: the YAML parser and core's validation are only needed here, not at 3 AM in `kill`.
      const { parseFlagsFile } = await import('../flags-file');
      const { validateFlagsFile } = await import('../validate-file');
      const file = parseFlagsFile(options.file, readText(options.file));
      validateFlagsFile(file);
      const session = sessionFor(command);
      const body = {
        message: options.message ?? `switchboard apply -f ${basename(options.file)}`,
        dryRun: options.dryRun === true,
        force: options.force === true,
        ...file.value,
      };
      let result: ChangesetResult;
      try {
        result = await session.api.post<ChangesetResult>('/api/v1/changesets', body);
      } catch (error) {
        // A conflict comes with the plan: show which items changed on the server, then fail (exit 3).
        const plan =
          error instanceof ApiError && error.status === 409
            ? (error.body.plan as ChangesetResult)
            : undefined;
        if (plan) {
          if (session.out.json) session.out.data(plan);
          else session.out.line(renderPlan(plan, session.out.color));
        }
        throw locateServerProblem(file, error);
      }
      if (session.out.json) return session.out.data(result);
      session.out.line(renderPlan(result, session.out.color));
      if (result.changes.length === 0) return;
      session.out.line();
      session.out.line(
        result.dryRun
          ? 'Dry run: nothing was changed. Run again without --dry-run to apply.'
          : `Applied as change set ${result.changeSet}: "${result.message}".`,
      );
    });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw usageError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/**
 * The server names problems by JSON pointer into the request (`/flags/2/environments/…`); point at the
 * same field in the file instead, by line, when the pointer reaches into an item.
 */
function locateServerProblem(file: ParsedFlagsFile, error: unknown): unknown {
  if (!(error instanceof ApiError) || (error.status !== 400 && error.status !== 422)) return error;
  const detail = error.body.details?.[0];
  if (!detail) return error;
  const steps = pointerSteps(detail.path);
  if (steps[0] === 'body') steps.shift();
  const [section, index, ...rest] = steps;
  if (section !== 'flags' && section !== 'segments') return error;
  const item = typeof index === 'number' ? file.value[section][index] : undefined;
  if (!item) return error;
  return file.errorAt([section, item.key, ...rest], detail.problem);
}
