/**
 * A relay's copy of its upstream's environment, in memory: the ruleset and the recent changes, kept
 * current by the Node SDK's synchronizer (the same SSE stream, reconnects, Last-Event-ID resume and
 * polling fallback an application SDK uses). It stands in for the store where the SDK API and the
 * evaluating APIs read, and announces every change on an in-process fan-out, with the upstream's own
 * change sequence, so downstream SDKs can resume from a relay exactly as from a server.
 *
 * While the upstream is away the last ruleset keeps being served; when it returns, the synchronizer
 * resumes from the last change received and the missed changes flow on.
 */
import type {
  DeleteEvent,
  EnvironmentRuleset,
  FlagConfig,
  MetricsBatch,
  PatchEvent,
  SegmentDocument,
} from '@switchboard/core';
import { Synchronizer } from '@switchboard/sdk-node';
import type { ConnectionState, Logger } from '@switchboard/sdk-node';
import type { ChangeNotice, ChangeRecord, Fanout } from '../fanout/fanout';
import { UnknownEnvironmentError } from '../store/repository';

export interface RelaySourceOptions {
  /** Base URL of the upstream server (or relay). */
  upstream: URL;
  sdkKey: string;
  /** Changes kept for downstream resume (`Last-Event-ID`); further back, a full ruleset is sent. */
  changeLogRetention: number;
  fanout: Fanout;
  logger: Logger;
  /** Told when the upstream refuses the SDK key: the relay stops serving it. */
  onRefused(reason: string): void;
}

const USER_AGENT = 'switchboard-relay';
const MAX_RULESET_BYTES = 256 * 1024 * 1024;
const METRICS_TIMEOUT_MS = 10_000;

export class RelaySource {
  private ruleset: EnvironmentRuleset | null = null;
  /** Changes after some seq, contiguous, oldest first, ending at the ruleset's version. */
  private changes: ChangeRecord[] = [];
  private connection: ConnectionState = 'connecting';
  private refused: string | null = null;
  private readonly synchronizer: Synchronizer;

  constructor(private readonly options: RelaySourceOptions) {
    this.synchronizer = new Synchronizer(
      {
        url: options.upstream,
        sdkKey: options.sdkKey,
        userAgent: USER_AGENT,
        streaming: true,
        pollIntervalMs: 5_000,
        reconnectBaseMs: 250,
        reconnectMaxMs: 5_000,
        streamFailuresBeforePolling: 3,
        streamIdleTimeoutMs: 45_000,
        requestTimeoutMs: 10_000,
        maxRulesetBytes: MAX_RULESET_BYTES,
        logger: options.logger,
      },
      {
        put: (ruleset) => this.put(ruleset),
        patch: (event) => this.change(event, event.value),
        remove: (event) => this.change(event, null),
        resumeId: () => (this.ruleset === null ? null : String(this.ruleset.version)),
        connectionChanged: (state) => {
          this.connection = state;
        },
        unauthorized: (error) => {
          this.refused = error.message;
          options.onRefused(error.message);
        },
      },
    );
  }

  start(): void {
    this.synchronizer.start();
  }

  stop(): void {
    this.synchronizer.stop();
  }

  /** The environment this relay serves (its SDK key's); null before the first ruleset. */
  get environment(): string | null {
    return this.ruleset?.environment ?? null;
  }

  get version(): number | null {
    return this.ruleset?.version ?? null;
  }

  /** How the relay is in touch with its upstream, and why it stopped if the key was refused. */
  get upstreamState(): { connection: ConnectionState; refused: string | null } {
    return { connection: this.connection, refused: this.refused };
  }

  // ---- What the SDK API, the ruleset cache and the metrics read (the store's methods) ----

  async getEnvironment(key: string): Promise<{ key: string; seq: number } | undefined> {
    const ruleset = this.ruleset;
    return ruleset !== null && ruleset.environment === key ? { key, seq: ruleset.version } : undefined;
  }

  async getRuleset(environment: string): Promise<EnvironmentRuleset> {
    const ruleset = this.ruleset;
    if (ruleset === null || ruleset.environment !== environment)
      throw new UnknownEnvironmentError(environment);
    return ruleset;
  }

  async changesSince(environment: string, afterSeq: number): Promise<ChangeRecord[] | null> {
    const ruleset = await this.getRuleset(environment);
    if (afterSeq > ruleset.version) return null;
    if (afterSeq === ruleset.version) return [];
    const first = this.changes[0];
    if (first === undefined || first.seq > afterSeq + 1) return null;
    return this.changes.slice(afterSeq + 1 - first.seq);
  }

  /** Evaluation counts of downstream SDKs go to the upstream; dropped when it is away. */
  async recordMetrics(_environment: string, batch: MetricsBatch): Promise<void> {
    fetch(new URL('sdk/v1/metrics', this.options.upstream), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.options.sdkKey}`,
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
      },
      body: JSON.stringify(batch),
      signal: AbortSignal.timeout(METRICS_TIMEOUT_MS),
    }).then(
      (response) => {
        if (response.status >= 300)
          this.options.logger.debug(`relay: upstream refused metrics (${response.status})`);
      },
      (error: Error) => this.options.logger.debug(`relay: metrics dropped (${error.message})`),
    );
  }

  // ---- Updates from the upstream ----

  private put(ruleset: EnvironmentRuleset): void {
    const previous = this.ruleset;
    // A put at the version already held (a poll answering 200, a reconnect) changes nothing.
    if (
      previous !== null &&
      previous.environment === ruleset.environment &&
      previous.version === ruleset.version
    )
      return;
    this.ruleset = ruleset;
    // The change log cannot bridge to a put: downstream streams behind it get this whole ruleset.
    this.changes = [];
    this.publish({ environment: ruleset.environment, seq: ruleset.version, urgent: true });
  }

  private change(event: PatchEvent | DeleteEvent, value: FlagConfig | SegmentDocument | null): void {
    const ruleset = this.ruleset;
    if (ruleset === null || event.version <= ruleset.version) return;
    const table = event.kind === 'flag' ? 'flags' : 'segments';
    const entries: Record<string, unknown> = { ...ruleset[table] };
    const before = entries[event.key];
    if (value === null) delete entries[event.key];
    else entries[event.key] = value;
    this.ruleset = { ...ruleset, version: event.version, [table]: entries } as EnvironmentRuleset;

    const record: ChangeRecord = {
      environment: ruleset.environment,
      seq: event.version,
      kind: event.kind,
      key: event.key,
      value,
    };
    // The upstream sends every seq; should one ever be skipped, older resumes get a full ruleset.
    if (event.version !== ruleset.version + 1) this.changes = [];
    this.changes.push(record);
    if (this.changes.length > this.options.changeLogRetention) this.changes.shift();
    const urgent = isKill(before, value);
    this.publish({ environment: ruleset.environment, seq: event.version, urgent, changes: [record] });
  }

  private publish(notice: ChangeNotice): void {
    try {
      this.options.fanout.publish(notice);
    } catch (error) {
      this.options.logger.error('relay: a change listener failed', error);
    }
  }
}

/** A flag that was not killed and now is: downstream streams write it before anything else. */
function isKill(before: unknown, after: FlagConfig | SegmentDocument | null): boolean {
  const killed = (config: unknown) =>
    typeof config === 'object' && config !== null && (config as { killed?: unknown }).killed != null;
  return killed(after) && !killed(before);
}
