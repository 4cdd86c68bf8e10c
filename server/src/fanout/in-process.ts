import type { ChangeListener, ChangeNotice, Fanout } from './fanout';

/** Fan-out within one process: listeners are called synchronously, in subscription order. */
export class InProcessFanout implements Fanout {
  private readonly listeners = new Set<ChangeListener>();

  publish(notice: ChangeNotice): void {
    for (const listener of this.listeners) listener(notice);
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
