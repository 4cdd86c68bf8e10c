import type { Command } from 'commander';
import type { AuditEntry, AuditPage, ChainVerdict } from '../api-types';
import { CliError, ExitCode, usageError } from '../errors';
import { renderTable } from '../output';
import { parseSince } from '../parse';
import type { Session } from '../session';
import { sessionFor, withQuery } from '../session';

interface AuditOptions {
  flag?: string;
  actor?: string;
  action?: string;
  since?: string;
  limit: string;
  follow?: boolean;
  interval: string;
}

type AuditFilter = Record<string, string | undefined>;

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('show the audit log, oldest first (newest at the bottom)')
    .option('--flag <key>', 'entries about this flag')
    .option('--actor <name>', 'entries by this token (name or id)')
    .option('--action <action>', 'entries of this action, e.g. flag.kill')
    .option('--since <when>', 'entries since a duration ago (30m, 1h, 7d) or an ISO-8601 time')
    .option('--limit <n>', 'at most this many entries (the newest)', '50')
    .option('--follow', 'keep printing new entries as they are recorded (Ctrl-C to stop)')
    .option('--interval <seconds>', 'how often --follow checks for new entries', '2')
    .action(async (options: AuditOptions, command: Command) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw usageError(`invalid --limit "${options.limit}"`);
      const interval = Number(options.interval);
      if (!(interval > 0)) throw usageError(`invalid --interval "${options.interval}"`);
      const filter: AuditFilter = {
        flag: options.flag,
        actor: options.actor,
        action: options.action,
        since: options.since === undefined ? undefined : parseSince(options.since).toISOString(),
      };
      const session = sessionFor(command);
      const entries = await newestEntries(session, filter, limit, 0);
      if (session.out.json && !options.follow) {
        session.out.data(entries);
        return;
      }
      printEntries(session, entries, true);
      if (!options.follow) return;
      let lastId = entries.at(-1)?.id ?? (await newestEntries(session, {}, 1, 0)).at(-1)?.id ?? 0;
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, interval * 1000));
        const fresh = await newestEntries(session, filter, Number.MAX_SAFE_INTEGER, lastId);
        printEntries(session, fresh, false);
        lastId = fresh.at(-1)?.id ?? lastId;
      }
    });

  audit
    .command('verify')
    .description("check the audit log's hash chain; exits 1 if it is broken")
    .action(async (_options: unknown, command: Command) => {
      const session = sessionFor(command);
      const verdict = await session.api.get<ChainVerdict>('/api/v1/audit/verify');
      if (session.out.json) session.out.data(verdict);
      if (!verdict.ok) {
        throw new CliError(
          `audit chain BROKEN at entry ${verdict.brokenAt}${verdict.problem ? `: ${verdict.problem}` : ''} (${verdict.entries} entries before it verified)`,
          ExitCode.usage,
        );
      }
      if (!session.out.json) {
        session.out.line(
          `${session.out.color.green('OK')}: audit chain intact, ${verdict.entries} entries verified.`,
        );
      }
    });
}

/** The newest `limit` entries matching `filter` with an id above `afterId`, oldest first. */
async function newestEntries(session: Session, filter: AuditFilter, limit: number, afterId: number) {
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const pageSize = String(Math.min(500, limit - entries.length));
    const page = await session.api.get<AuditPage>(
      withQuery('/api/v1/audit', { ...filter, limit: pageSize, cursor }),
    );
    const fresh = page.entries.filter((entry) => entry.id > afterId);
    entries.push(...fresh);
    // Pages come newest first: once one reaches back to afterId, older pages hold nothing new.
    cursor = fresh.length === page.entries.length ? (page.nextCursor ?? undefined) : undefined;
  } while (cursor && entries.length < limit);
  return entries.slice(0, limit).reverse();
}

function printEntries(session: Session, entries: AuditEntry[], withHeader: boolean): void {
  const { out } = session;
  if (out.json) {
    // One entry per line (NDJSON) while following, so a consumer can act on each as it arrives.
    for (const entry of entries) out.line(JSON.stringify(entry));
    return;
  }
  if (entries.length === 0) {
    if (withHeader) out.line('no audit entries');
    return;
  }
  const rows = entries.map((entry) => [
    String(entry.id),
    entry.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    entry.actor.name,
    entry.action.includes('kill') ? out.color.red(entry.action) : entry.action,
    `${entry.target.kind} ${entry.target.key}`,
    entry.environment ?? '-',
    entry.reason ?? summarizeDiff(entry),
  ]);
  const table = renderTable(['ID', 'TIME', 'ACTOR', 'ACTION', 'TARGET', 'ENV', 'REASON / CHANGE'], rows);
  out.line(withHeader ? table : table.split('\n').slice(1).join('\n'));
}

/** The first changed field (the version bump every change carries says nothing), and how many more. */
function summarizeDiff(entry: AuditEntry): string {
  const changes = entry.diff.filter((operation) => operation.path !== '/version');
  const [first] = changes;
  if (!first) return '';
  if (first.path === '') return first.op === 'add' ? 'created' : 'deleted';
  const more = changes.length > 1 ? ` (+${changes.length - 1} more)` : '';
  if (first.op === 'replace') {
    return `${first.path}: ${JSON.stringify(first.before)} → ${JSON.stringify(first.after)}${more}`;
  }
  return `${first.op === 'add' ? 'added' : 'removed'} ${first.path}${more}`;
}
