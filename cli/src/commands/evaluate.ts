import type { EvaluationResult } from '@switchboard/core';
import type { Command } from 'commander';
import { segment } from '../api-client';
import { renderTable } from '../output';
import { parseContext } from '../parse';
import { sessionFor } from '../session';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a flag for a context on the server, showing value, variant and reason')
    .argument('<key>', 'flag key')
    .requiredOption('--env <environment>', 'environment')
    .option('--context <json>', 'the evaluation context as a JSON object', '{}')
    .action(async (key: string, options: { env: string; context: string }, command: Command) => {
      const context = parseContext(options.context);
      const session = sessionFor(command);
      const result = await session.api.post<EvaluationResult>(
        `/api/v1/flags/${segment(key)}/environments/${segment(options.env)}/evaluate`,
        { context },
      );
      if (session.out.json) return session.out.data(result);
      const { color } = session.out;
      const reason = [
        result.reason === 'KILLED' ? color.red(result.reason) : result.reason,
        result.ruleId ? `rule ${result.ruleId}` : '',
        result.killReason ? `"${result.killReason}"` : '',
        result.errorCode ? color.yellow(result.errorCode) : '',
      ]
        .filter(Boolean)
        .join(' ');
      session.out.line(
        renderTable(
          ['FLAG', 'ENV', 'VALUE', 'VARIANT', 'REASON'],
          [[key, options.env, JSON.stringify(result.value), result.variant ?? '-', reason]],
        ),
      );
    });
}
