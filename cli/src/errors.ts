/** Process exit codes; documented in cli/README.md and relied on by scripts. */
export const ExitCode = {
  ok: 0,
  usage: 1,
  auth: 2,
  conflict: 3,
  notFound: 4,
  unreachable: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line on stderr before exiting with `exitCode`; never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad input from the user (arguments, files): exit 1. */
export function usageError(message: string): CliError {
  return new CliError(message, ExitCode.usage);
}
