/**
 * `track()` and what gives it meaning (option `events: true`): reports to `POST /client/v1/events`
 * which variant of each guarded flag the page's user was served (exposures), and the events the page
 * tracked with those variants attached. The server names the guarded flags in its answer. Reports
 * are batched for a second, bounded, and dropped when the server does not take them.
 */
import type { Context, FlagResult } from './types';

interface TrackedEvent {
  event: string;
  user: string;
  value?: number;
  variants: Record<string, string>;
}

interface State {
  context: Context;
  values: Map<string, FlagResult>;
  version: number;
}

const MAX_QUEUED = 100;
const BATCH_MS = 1_000;

const userOf = (context: Context): string | undefined => {
  const user = context.userId;
  return typeof user === 'string' && user !== '' ? user : typeof user === 'number' ? String(user) : undefined;
};

export interface Reporter {
  /** New values arrived (`keys`: which changed; none for a whole new set). */
  valuesChanged(keys?: string[]): void;
  track(event: string, value?: number): void;
  stop(): void;
}

export function createReporter(post: (body: string) => Promise<Response>, state: () => State): Reporter {
  const instanceId = Math.random().toString(36).slice(2);
  let guarded: string[] = [];
  let queue: TrackedEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const schedule = (delay: number) => {
    if (!stopped && timer === undefined) timer = setTimeout(report, delay);
  };

  async function report(): Promise<void> {
    timer = undefined;
    const { context, values, version } = state();
    const user = userOf(context);
    const exposures: Array<{ flag: string; variant: string; user: string; reason: string }> = [];
    for (const flag of guarded) {
      const result = values.get(flag);
      if (user !== undefined && result?.variant !== undefined)
        exposures.push({ flag, variant: result.variant, user, reason: result.reason });
    }
    const events = queue;
    queue = [];
    try {
      const response = await post(
        JSON.stringify({
          sdk: {
            instanceId,
            name: 'switchboard-sdk-browser',
            version: '0.1.0',
            rulesetVersion: version < 0 ? null : version,
          },
          exposures,
          events,
        }),
      );
      if (!response.ok) return;
      const next = Object.keys(((await response.json()) as { guarded?: object }).guarded ?? {});
      const changed = next.join('\n') !== guarded.join('\n');
      guarded = next;
      // Flags that just became guarded: report this user's exposure to them now.
      if (changed && next.length > 0) schedule(0);
    } catch {
      // Dropped: the page goes on; the next report carries the exposures again.
    }
  }

  return {
    valuesChanged(keys) {
      if (keys === undefined || keys.some((key) => guarded.includes(key))) schedule(0);
    },
    track(event, value) {
      const { context, values } = state();
      const user = userOf(context);
      if (user === undefined || typeof event !== 'string' || event === '' || queue.length >= MAX_QUEUED)
        return;
      if (value !== undefined && !Number.isFinite(value)) return;
      const variants: Record<string, string> = {};
      for (const flag of guarded) {
        const variant = values.get(flag)?.variant;
        if (variant !== undefined) variants[flag] = variant;
      }
      if (Object.keys(variants).length === 0) return;
      queue.push({ event, user, ...(value === undefined ? {} : { value }), variants });
      schedule(BATCH_MS);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
