import type { SwitchboardClient } from '@switchboard/sdk-browser';

/**
 * Per-flag subscriptions over a client's one `change` event, so a change to one flag wakes only the
 * components that read it. Each key has a version, bumped on every change, that hooks memoise on.
 */
export class FlagSubscriptions {
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly versions = new Map<string, number>();

  constructor(client: SwitchboardClient) {
    // Attached for the client's lifetime: a change between a component's render and its subscription
    // must still bump the version, or React's post-subscribe check would see a stale snapshot.
    client.on('change', (keys) => {
      for (const key of keys) this.versions.set(key, this.version(key) + 1);
      for (const key of keys) for (const listener of [...(this.listeners.get(key) ?? [])]) listener();
    });
  }

  version(key: string): number {
    return this.versions.get(key) ?? 0;
  }

  subscribe(key: string, listener: () => void): () => void {
    let forKey = this.listeners.get(key);
    if (forKey === undefined) this.listeners.set(key, (forKey = new Set()));
    forKey.add(listener);
    return () => {
      forKey.delete(listener);
      if (forKey.size === 0 && this.listeners.get(key) === forKey) this.listeners.delete(key);
    };
  }
}

const byClient = new WeakMap<SwitchboardClient, FlagSubscriptions>();

/** One subscription table per client, shared by every provider of that client. */
export function subscriptionsFor(client: SwitchboardClient): FlagSubscriptions {
  let subscriptions = byClient.get(client);
  if (subscriptions === undefined) byClient.set(client, (subscriptions = new FlagSubscriptions(client)));
  return subscriptions;
}
