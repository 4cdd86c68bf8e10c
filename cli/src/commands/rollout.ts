import type { FlagDocument, Weight } from '@switchboard/core';
import { Option } from 'commander';
import type { Command } from 'commander';
import { segment } from '../api-client';
import { describeServe, environmentOf } from '../describe';
import { usageError } from '../errors';
import { parsePercent, parseWeights, TOTAL_BUCKETS } from '../parse';
import { sessionFor } from '../session';

export function registerRollout(program: Command): void {
  program
    .command('rollout')
    .description("set the percentage rollout that serves an environment's fallthrough")
    .argument('<key>', 'flag key')
    .requiredOption('--env <environment>', 'environment')
    .addOption(
      new Option(
        '--percent <percent>',
        "share of contexts (0.001 precision) getting the flag's on variant",
      ).conflicts('weights'),
    )
    .option('--weights <variant=percent,...>', 'explicit weights, e.g. on=25,off=75 (must add up to 100)')
    .option('--bucket-by <attribute>', 'context attribute to bucket by (default userId)')
    .action(
      async (
        key: string,
        options: { env: string; percent?: string; weights?: string; bucketBy?: string },
        command: Command,
      ) => {
        if (options.percent === undefined && options.weights === undefined) {
          throw usageError('say --percent P or --weights variant=P,…');
        }
        const explicitWeights = options.weights === undefined ? undefined : parseWeights(options.weights);
        const percent = options.percent === undefined ? undefined : parsePercent(options.percent);
        const session = sessionFor(command);
        const path = `/api/v1/flags/${segment(key)}/environments/${segment(options.env)}`;
        const weights =
          explicitWeights ??
          percentWeights(
            await session.api.get<FlagDocument>(`/api/v1/flags/${segment(key)}`),
            options.env,
            percent ?? 0,
          );
        const body = options.bucketBy === undefined ? { weights } : { weights, bucketBy: options.bucketBy };
        const flag = await session.api.put<FlagDocument>(`${path}/rollout`, body);
        if (session.out.json) return session.out.data(flag);
        const environment = environmentOf(flag, options.env);
        const serving = environment ? describeServe(environment.fallthrough) : '';
        session.out.line(
          `${session.out.color.bold(key)} in ${options.env} now serves ${serving} (version ${flag.version}).`,
        );
        if (environment && !environment.enabled) {
          session.out.note(
            `Note: the flag is off in ${options.env}; the rollout applies once it is turned on.`,
          );
        }
      },
    );
}

/**
 * `--percent P` on a two-variant flag: P% get the variant that is not the off variant, the rest the off
 * variant. The served variant comes first, so its bucket range starts at 0 and raising P only adds users.
 */
export function percentWeights(flag: FlagDocument, environment: string, buckets: number): Weight[] {
  const config = environmentOf(flag, environment);
  if (!config) throw usageError(`flag "${flag.key}" has no environment "${environment}"`);
  const others = Object.keys(flag.variants).filter((variant) => variant !== config.offVariant);
  if (others.length !== 1 || !(config.offVariant in flag.variants)) {
    throw usageError(
      `--percent needs a flag with two variants; "${flag.key}" has ${Object.keys(flag.variants).join(', ')}: use --weights`,
    );
  }
  return [
    { variant: others[0] as string, weight: buckets },
    { variant: config.offVariant, weight: TOTAL_BUCKETS - buckets },
  ];
}
