import type { FlagDocument } from '@switchboard/core';
import type { Command } from 'commander';
import { segment } from '../api-client';
import { environmentOf } from '../describe';
import { CliError, ExitCode, usageError } from '../errors';
import type { Session } from '../session';
import { sessionFor, withQuery } from '../session';

/** How SDK connections of an environment stand against its change sequence (`GET …/sdk-status`). */
export interface SdkStatus {
  environment: string;
  /** The change sequence the counts refer to. */
  seq: number;
  /** Open SDK streams of the environment on this server. */
  connected: number;
  /** Of those, the streams that have been sent `seq` or later. */
  acknowledged: number;
}

/** Without --wait, kill reports what it sees after this long; a kill normally reaches SDKs in milliseconds. */
const SHORT_WAIT_MS = 2_000;
const POLL_INTERVAL_MS = 100;

interface KillOptions {
  env: string;
  reason: string;
  tag?: string;
  wait?: boolean;
  timeout: string;
}

/** `POST /api/v1/kill`: the keys it killed, and those that were killed already (left as they were). */
interface TagKillResult {
  killed: string[];
  alreadyKilled: string[];
}

/** Kills by tag, then reads the flags back for the versions the kill produced (the answer has keys only). */
async function killTagged(session: Session, options: KillOptions): Promise<FlagDocument[]> {
  const result = await session.api.post<TagKillResult>('/api/v1/kill', {
    tag: options.tag,
    environment: options.env,
    reason: options.reason,
  });
  return Promise.all(
    [...result.killed, ...result.alreadyKilled].map((key) =>
      session.api.get<FlagDocument>(`/api/v1/flags/${segment(key)}`),
    ),
  );
}

export function registerKill(program: Command): void {
  program
    .command('kill')
    .description(
      'kill a flag (or every flag with a tag) in one environment: it serves its off variant at once',
    )
    .argument('[key]', 'flag key (or use --tag)')
    .option('--tag <tag>', 'kill every flag carrying this tag')
    .requiredOption('--env <environment>', 'environment')
    .requiredOption('--reason <reason>', 'why (recorded in the audit log and shown to SDK evaluations)')
    .option('--wait', 'wait until every connected SDK has received the kill')
    .option('--timeout <seconds>', 'how long --wait waits', '60')
    .action(async (key: string | undefined, options: KillOptions, command: Command) => {
      if (key === undefined && options.tag === undefined)
        throw usageError('say which flag to kill, or --tag');
      if (key !== undefined && options.tag !== undefined) {
        throw usageError('kill takes either a flag key or --tag, not both');
      }
      if (options.reason.trim() === '') throw usageError('--reason must not be empty');
      const timeoutSeconds = Number(options.timeout);
      if (!(timeoutSeconds > 0)) throw usageError(`invalid --timeout "${options.timeout}"`);
      const session = sessionFor(command);
      const flags =
        key !== undefined
          ? [
              await session.api.post<FlagDocument>(
                `/api/v1/flags/${segment(key)}/environments/${segment(options.env)}/kill`,
                { reason: options.reason },
              ),
            ]
          : await killTagged(session, options);
      const status = await waitForSdks(
        session,
        options.env,
        options.wait ? timeoutSeconds * 1000 : SHORT_WAIT_MS,
      );
      const outcomes = flags.map((flag) => {
        const state = environmentOf(flag, options.env)?.killed ?? null;
        // Killing a killed flag keeps the first kill (and its reason): report that one, not ours.
        return {
          key: flag.key,
          version: flag.version,
          killed: state,
          earlier: state?.reason !== options.reason,
        };
      });
      if (session.out.json) {
        session.out.data({ environment: options.env, flags: outcomes, sdks: status });
      } else {
        const { color } = session.out;
        for (const outcome of outcomes) {
          const earlier = outcome.earlier
            ? ` — it was already killed at ${outcome.killed?.at} by ${outcome.killed?.by}: "${outcome.killed?.reason}"`
            : '';
          session.out.line(
            `${color.red('KILLED')} ${color.bold(outcome.key)} in ${options.env} (version ${outcome.version})${earlier}.`,
          );
        }
        session.out.line(describeAcknowledgement(status, options.wait === true));
      }
      if (options.wait && status.acknowledged < status.connected) {
        throw new CliError(
          `killed, but only ${status.acknowledged} of ${status.connected} connected SDKs received it within ${timeoutSeconds}s`,
          ExitCode.usage,
        );
      }
    });

  program
    .command('unkill')
    .description('lift a kill: restores exactly the state before it')
    .argument('<key>', 'flag key')
    .requiredOption('--env <environment>', 'environment')
    .action(async (key: string, options: { env: string }, command: Command) => {
      const session = sessionFor(command);
      const flag = await session.api.post<FlagDocument>(
        `/api/v1/flags/${segment(key)}/environments/${segment(options.env)}/unkill`,
      );
      if (session.out.json) return session.out.data(flag);
      const enabled = environmentOf(flag, options.env)?.enabled;
      session.out.line(
        `Unkilled ${session.out.color.bold(key)} in ${options.env} (version ${flag.version}); it is ${enabled ? 'on' : 'off'} as before the kill.`,
      );
    });
}

function describeAcknowledgement(status: SdkStatus, waited: boolean): string {
  if (status.connected === 0) return 'No SDKs are connected to this environment right now.';
  const all = status.acknowledged >= status.connected;
  return `${status.acknowledged}/${status.connected} connected SDKs have received it${all || waited ? '.' : ' so far (use --wait to wait for all).'}`;
}

/**
 * Polls the environment's SDK status until every connected SDK has been sent the change sequence that
 * followed the kill, or `limitMs` passes. The sequence is pinned at the first poll (which comes after the
 * kill committed), so later unrelated changes do not move the goal.
 */
async function waitForSdks(session: Session, environment: string, limitMs: number): Promise<SdkStatus> {
  const path = `/api/v1/environments/${segment(environment)}/sdk-status`;
  const deadline = Date.now() + limitMs;
  let status = await session.api.get<SdkStatus>(path);
  while (status.acknowledged < status.connected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    status = await session.api.get<SdkStatus>(withQuery(path, { seq: String(status.seq) }));
  }
  return status;
}
