import { writeFileSync } from 'node:fs';
import type { EnvironmentRuleset, FlagDocument, SegmentDocument } from '@switchboard/core';
import { Option } from 'commander';
import type { Command } from 'commander';
import { segment } from '../api-client';
import { usageError } from '../errors';
import { sessionFor } from '../session';

const FORMATS = ['yaml', 'sdk-bootstrap'] as const;
type Format = (typeof FORMATS)[number];

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write flags and segments as stable YAML for `apply`, or an SDK bootstrap file')
    .option('--env <environment>', 'only this environment (required for sdk-bootstrap)')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('yaml'))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (options: { env?: string; format: Format; output?: string }, command: Command) => {
      const session = sessionFor(command);
      let text: string;
      if (options.format === 'sdk-bootstrap') {
        if (options.env === undefined) throw usageError('--format sdk-bootstrap needs --env');
        const ruleset = await session.api.get<EnvironmentRuleset>(
          `/api/v1/environments/${segment(options.env)}/ruleset`,
        );
        text = `${JSON.stringify(ruleset, null, 2)}\n`;
      } else {
        if (options.env !== undefined) {
          const environments = await session.environments();
          if (!environments.some((environment) => environment.key === options.env)) {
            throw usageError(
              `unknown environment "${options.env}" (known: ${environments.map((environment) => environment.key).join(', ')})`,
            );
          }
        }
        const [flags, segments] = await Promise.all([
          session.listAll<FlagDocument>('/api/v1/flags', 'flags'),
          session.listAll<SegmentDocument>('/api/v1/segments', 'segments'),
        ]);
        const { renderFlagsFile } = await import('../flags-file');
        text = renderFlagsFile(flags, segments, options.env);
      }
      if (options.output === undefined) {
        process.stdout.write(text);
        return;
      }
      writeFileSync(options.output, text);
      session.out.note(`Wrote ${options.output}.`);
    });
}
