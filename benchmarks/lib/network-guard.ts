import net from 'node:net';

/**
 * Records every outgoing TCP connection this process attempts (fetch, http and net all end up in
 * `Socket.prototype.connect`), so an "offline" benchmark can prove it made none.
 */
export function recordOutgoingConnections(): string[] {
  const attempts: string[] = [];
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function recordingConnect(this: net.Socket, ...args: unknown[]) {
    attempts.push(describeTarget(args[0]));
    return Reflect.apply(connect, this, args) as net.Socket;
  } as typeof connect;
  return attempts;
}

function describeTarget(target: unknown): string {
  // net.connect() hands the socket its already-normalised [options, callback] pair.
  if (Array.isArray(target)) return describeTarget(target[0]);
  if (typeof target === 'number') return `port ${target}`;
  if (typeof target === 'string') return target;
  if (target && typeof target === 'object') {
    const { host, port, path } = target as { host?: string; port?: number; path?: string };
    return path ?? `${host ?? 'localhost'}:${port ?? '?'}`;
  }
  return String(target);
}
