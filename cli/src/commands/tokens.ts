import { Option } from 'commander';
import type { Command } from 'commander';
import { segment } from '../api-client';
import type { CreatedToken, TokenInfo, TokenKind } from '../api-types';
import { TOKEN_KINDS } from '../api-types';
import { usageError } from '../errors';
import { renderTable } from '../output';
import { sessionFor } from '../session';

const ENVIRONMENT_KINDS: readonly TokenKind[] = ['server', 'client'];

export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('create, list and revoke API tokens and SDK keys');

  tokens
    .command('create')
    .description('create a token; its secret is shown once')
    .requiredOption('--name <name>', 'who or what uses the token')
    .addOption(new Option('--kind <kind>', 'role of the token').choices(TOKEN_KINDS).makeOptionMandatory())
    .option('--env <environment>', 'the one environment of a server or client SDK key')
    .action(async (options: { name: string; kind: TokenKind; env?: string }, command: Command) => {
      const scoped = ENVIRONMENT_KINDS.includes(options.kind);
      if (scoped && options.env === undefined) throw usageError(`a ${options.kind} key needs --env`);
      if (!scoped && options.env !== undefined) throw usageError(`--env is only for server and client keys`);
      const session = sessionFor(command);
      const body = scoped
        ? { name: options.name, kind: options.kind, environment: options.env }
        : { name: options.name, kind: options.kind };
      const created = await session.api.post<CreatedToken>('/api/v1/tokens', body);
      if (session.out.json) return session.out.data(created);
      session.out.line(`Created ${created.kind} token "${created.name}" (id ${created.id}).`);
      session.out.line(`Secret (shown only now): ${session.out.color.bold(created.token)}`);
    });

  tokens
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--all', 'include revoked tokens')
    .action(async (options: { all?: boolean }, command: Command) => {
      const session = sessionFor(command);
      const { tokens: listed } = await session.api.get<{ tokens: TokenInfo[] }>('/api/v1/tokens');
      const shown = options.all ? listed : listed.filter((token) => token.revokedAt === null);
      if (session.out.json) return session.out.data(shown);
      const rows = shown.map((token) => [
        token.id,
        token.name,
        token.kind,
        token.environment ?? '-',
        token.createdAt,
        token.revokedAt ? session.out.color.red(`revoked ${token.revokedAt}`) : 'active',
      ]);
      session.out.line(renderTable(['ID', 'NAME', 'KIND', 'ENV', 'CREATED', 'STATUS'], rows, 'no tokens'));
    });

  tokens
    .command('revoke')
    .description('revoke a token at once (its open SDK streams are closed)')
    .argument('<id>', 'token id (see `tokens list`)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const session = sessionFor(command);
      await session.api.delete(`/api/v1/tokens/${segment(id)}`);
      if (session.out.json) return session.out.data({ id, revoked: true });
      session.out.line(`Revoked token ${id}.`);
    });
}
