import type { Logger } from './logger';

type Listener<Args extends unknown[]> = (...args: Args) => void;

/**
 * A minimal typed event emitter. Unlike node:events, an 'error' event without listeners is not
 * thrown, and a listener that throws is logged instead of unwinding into the SDK's I/O code.
 */
export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners: { [K in keyof Events]?: Array<Listener<Events[K]>> } = {};

  constructor(private readonly logger: Logger) {}

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    // A new array on every edit, never changed after: emit can walk the one it read while listeners
    // add or remove themselves, without copying it on every emit.
    this.listeners[event] = [...(this.listeners[event] ?? []), listener];
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    const list = this.listeners[event];
    if (!list) return;
    const index = list.indexOf(listener);
    if (index >= 0) this.listeners[event] = list.filter((_listener, i) => i !== index);
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const list = this.listeners[event];
    if (!list) return;
    for (const listener of list) {
      try {
        listener(...args);
      } catch (error) {
        this.logger.error(`switchboard: a '${String(event)}' listener threw`, error);
      }
    }
  }
}
