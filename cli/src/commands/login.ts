import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { ApiClient } from '../api-client';
import type { TokenKind } from '../api-types';
import { normalizeUrl, profilePath, writeProfile } from '../config';
import { CliError, ExitCode, usageError } from '../errors';
import type { GlobalOptions } from '../session';
import { sessionFor } from '../session';

/** `GET /api/v1/me`: the token the server sees. */
interface Identity {
  id: string;
  name: string;
  kind: TokenKind;
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('check a server URL and token, then save them as the profile (file mode 0600)')
    .addHelpText(
      'after',
      '\nThe token comes from --token, SWITCHBOARD_TOKEN, or (so it stays out of shell history) the first line of stdin.',
    )
    .action(async (_options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const rawUrl = globals.url ?? process.env.SWITCHBOARD_URL;
      if (!rawUrl) throw usageError('login needs --url (or SWITCHBOARD_URL)');
      const url = normalizeUrl(rawUrl);
      const token = globals.token ?? process.env.SWITCHBOARD_TOKEN ?? (await readTokenFromStdin());
      if (!token)
        throw usageError('no token given (pass --token, set SWITCHBOARD_TOKEN or pipe it on stdin)');
      // 401 (unknown or revoked token) surfaces with exit code 2 like any other command's.
      const me = await new ApiClient(url, token).get<Identity>('/api/v1/me');
      if (me.kind === 'server' || me.kind === 'client') {
        throw new CliError(
          `"${me.name}" is a ${me.kind} SDK key; the CLI needs an admin, editor, responder or viewer token`,
          ExitCode.auth,
        );
      }
      const path = profilePath();
      writeProfile(path, { url, token });
      const session = sessionFor(command);
      if (session.out.json) return session.out.data({ url, profile: path, token: me });
      session.out.line(
        `Logged in to ${url} as ${me.name} (${me.kind}). Profile saved to ${path} (readable only by you).`,
      );
    });

  program
    .command('logout')
    .description('delete the saved profile')
    .action((_options: unknown, command: Command) => {
      const path = profilePath();
      rmSync(path, { force: true });
      const session = sessionFor(command);
      if (session.out.json) return session.out.data({ profile: path, deleted: true });
      session.out.line(`Deleted ${path}.`);
    });
}

async function readTokenFromStdin(): Promise<string> {
  const lines = createInterface({
    input: process.stdin,
    output: process.stdin.isTTY ? process.stderr : undefined,
  });
  try {
    if (process.stdin.isTTY) process.stderr.write('Token: ');
    for await (const line of lines) return line.trim();
    return '';
  } finally {
    lines.close();
  }
}
