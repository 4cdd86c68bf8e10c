/** Awaiting SDK events in tests, with bounded waits and clear timeout messages. */
import type { ClientEvents, SwitchboardClient } from '../src';

/** Resolves with the arguments of the next `event` matching `accept`; rejects after `timeoutMs`. */
export function nextEvent<K extends keyof ClientEvents>(
  client: SwitchboardClient,
  event: K,
  accept: (...args: ClientEvents[K]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(event, listener);
      reject(new Error(`no '${String(event)}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: ClientEvents[K]) => {
      if (!accept(...args)) return;
      clearTimeout(timer);
      client.off(event, listener);
      resolve(args);
    };
    client.on(event, listener);
  });
}

/** Polls `condition` (for state with no event of its own, e.g. server-side counters); bounded. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
