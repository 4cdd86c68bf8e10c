import { Command, CommanderError } from 'commander';
import packageJson from '../package.json';
import { registerApply } from './commands/apply';
import { registerAudit } from './commands/audit';
import { registerEval } from './commands/evaluate';
import { registerExport } from './commands/export';
import { registerFlags } from './commands/flags';
import { registerImport } from './commands/import';
import { registerKill } from './commands/kill';
import { registerLogin } from './commands/login';
import { registerRollout } from './commands/rollout';
import { registerTokens } from './commands/tokens';
import { CliError, ExitCode } from './errors';

export function buildProgram(): Command {
  const program = new Command('switchboard')
    .description('Switchboard feature flags from the command line: incident response and flags as code.')
    .version(packageJson.version)
    .option('--url <url>', 'server URL (or SWITCHBOARD_URL, or the login profile)')
    .option('--token <token>', 'API token (or SWITCHBOARD_TOKEN, or the login profile)')
    .option('--json', 'print JSON for scripts instead of tables')
    .option('--no-color', 'no colours (also off when NO_COLOR is set or stdout is not a terminal)')
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 usage or bad input, 2 authentication or permission, 3 conflict, 4 not found, 5 server unreachable.',
    );
  // Inherited by every subcommand registered below: errors are thrown to run() instead of exiting.
  program.exitOverride();
  registerFlags(program);
  registerRollout(program);
  registerKill(program);
  registerEval(program);
  registerAudit(program);
  registerTokens(program);
  registerExport(program);
  registerApply(program);
  registerImport(program);
  registerLogin(program);
  return program;
}

/** Runs the CLI and returns the process exit code; every failure becomes one line on stderr. */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help/version text that exits 0).
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`switchboard: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`switchboard: unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
    return ExitCode.usage;
  }
}
