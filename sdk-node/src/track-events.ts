import type { EvaluationResult } from '@switchboard/core';

/**
 * What `track` needs to be useful to guarded rollouts: the variants each user was actually served.
 *
 * The server names the flags under a guarded ramp plan (with a run id) in its answer to every
 * report. For those flags only, the recorder remembers per user what it served and queues an
 * exposure whenever that changes; `track` attaches the remembered variants to the event. Users
 * are remembered least-recently-used first out, the queue is bounded, and nothing here waits.
 */

export interface WireExposure {
  flag: string;
  variant: string;
  user: string;
  reason: string;
  ruleId?: string;
}

export interface WireEvent {
  event: string;
  user: string;
  value?: number;
  /** Guarded flag → the variant served to the user. */
  variants: Record<string, string>;
}

export interface RecordedBatch {
  exposures: WireExposure[];
  events: WireEvent[];
  /** Items dropped because the queue was full since the last batch. */
  dropped: number;
}

/** What identifies an outcome of a flag for a user; a change means a new exposure. */
interface Served {
  variant: string;
  signature: string;
}

export class EventRecorder {
  /** Guarded flag → run id, as the server last named them. */
  private guarded = new Map<string, string>();
  /** userId → flag → what it was served. Map order is recency: the first user is the least recent. */
  private readonly users = new Map<string, Map<string, Served>>();
  private exposures: WireExposure[] = [];
  private events: WireEvent[] = [];
  private dropped = 0;

  constructor(
    private readonly maxQueued: number,
    private readonly maxUsers: number,
  ) {}

  /** Called on every evaluation: keep it to one Map lookup, none while no flag is guarded (the usual case). */
  isGuarded(flag: string): boolean {
    return this.guarded.size !== 0 && this.guarded.has(flag);
  }

  /** Whether any flag is guarded: its exposures are then reported at every tick. */
  get guarding(): boolean {
    return this.guarded.size !== 0;
  }

  get queued(): number {
    return this.exposures.length + this.events.length;
  }

  /** Remembers what `user` was served of a guarded flag; queues an exposure when it changed. */
  recordServed(flag: string, user: string, result: EvaluationResult): void {
    const variant = result.variant;
    if (variant === undefined) return;
    let flags = this.users.get(user);
    if (flags === undefined) {
      if (this.users.size >= this.maxUsers) this.users.delete(this.users.keys().next().value!);
      flags = new Map();
    } else {
      this.users.delete(user);
    }
    this.users.set(user, flags);
    const signature = `${variant}\u0000${result.reason}\u0000${result.ruleId ?? ''}`;
    if (flags.get(flag)?.signature === signature) return;
    flags.set(flag, { variant, signature });
    this.enqueue(this.exposures, {
      flag,
      variant,
      user,
      reason: result.reason,
      ...(result.ruleId === undefined ? {} : { ruleId: result.ruleId }),
    });
  }

  /** Queues the event with the guarded variants served to `user`; answers false when there are none. */
  track(event: string, user: string, value: number | undefined): boolean {
    const flags = this.users.get(user);
    if (flags === undefined) return false;
    const variants: Record<string, string> = {};
    let any = false;
    for (const [flag, served] of flags) {
      if (!this.guarded.has(flag)) continue;
      variants[flag] = served.variant;
      any = true;
    }
    if (!any) return false;
    this.enqueue(this.events, { event, user, ...(value === undefined ? {} : { value }), variants });
    return true;
  }

  /** Takes what is queued. */
  take(): RecordedBatch {
    const batch = { exposures: this.exposures, events: this.events, dropped: this.dropped };
    this.exposures = [];
    this.events = [];
    this.dropped = 0;
    return batch;
  }

  /**
   * The server's current guarded flags. A flag that left the list, or whose run changed (a new
   * plan), is forgotten for every user, so its exposures are reported afresh under the new run.
   */
  setGuarded(guarded: Record<string, string>): void {
    const next = new Map(Object.entries(guarded));
    const changed = [...this.guarded].filter(([flag, run]) => next.get(flag) !== run).map(([flag]) => flag);
    if (changed.length > 0) {
      for (const flags of this.users.values()) for (const flag of changed) flags.delete(flag);
    }
    this.guarded = next;
  }

  private enqueue<T>(queue: T[], item: T): void {
    if (this.queued >= this.maxQueued) this.dropped++;
    else queue.push(item);
  }
}

/** Most items (exposures and events together) per request; the server takes 5,000 of each. */
export const ITEMS_PER_REPORT = 2000;

/** Splits a batch into report bodies of at most ITEMS_PER_REPORT items, each with the SDK header. */
export function reportBodies(sdk: object, batch: RecordedBatch): string[] {
  const bodies: string[] = [];
  let exposures = batch.exposures;
  let events = batch.events;
  do {
    const takenExposures = exposures.slice(0, ITEMS_PER_REPORT);
    const takenEvents = events.slice(0, ITEMS_PER_REPORT - takenExposures.length);
    bodies.push(JSON.stringify({ sdk, exposures: takenExposures, events: takenEvents }));
    exposures = exposures.slice(takenExposures.length);
    events = events.slice(takenEvents.length);
  } while (exposures.length > 0 || events.length > 0);
  return bodies;
}
