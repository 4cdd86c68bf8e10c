import type { ChildProcess } from 'node:child_process';

/**
 * The parent's side of a child process that answers requests `{ id, command }` with `{ id, reply }`.
 * A reply `{ type: 'failed', error }` (or the child exiting) rejects the request.
 */
export class IpcPeer<Command, Reply extends { type: string }> {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply | { type: 'failed'; error: string }) => void>();

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: { id: number; reply: Reply }) => {
      this.pending.get(message.id)?.(message.reply);
      this.pending.delete(message.id);
    });
    child.once('exit', (code, signal) => {
      for (const resolve of this.pending.values()) {
        resolve({ type: 'failed', error: `child process exited (code ${code}, signal ${signal})` });
      }
      this.pending.clear();
    });
  }

  async ask<T extends Reply['type']>(command: Command, expected: T): Promise<Extract<Reply, { type: T }>> {
    const id = this.nextId++;
    const reply = await new Promise<Reply | { type: 'failed'; error: string }>((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, command });
    });
    if (reply.type === 'failed') throw new Error((reply as { error: string }).error);
    if (reply.type !== expected) throw new Error(`expected ${expected}, got ${reply.type}`);
    return reply as Extract<Reply, { type: T }>;
  }
}
