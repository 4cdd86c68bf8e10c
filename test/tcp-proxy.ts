/**
 * A TCP proxy on 127.0.0.1 between a client and an upstream port, for fault tests: it counts the
 * connections it accepts and can add delay, drop every connection, refuse or black-hole new ones,
 * or cut a downstream connection in the middle of the next Server-Sent Event.
 */
import net from 'node:net';

/** What the proxy does with a newly accepted connection. */
export type ProxyMode =
  /** Forward both ways (after `delayMs`). */
  | 'forward'
  /** Accept, then close at once (what a client sees of a refused upstream behind a load balancer). */
  | 'refuse'
  /** Accept and keep the connection open, forwarding nothing either way. */
  | 'blackhole';

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
  /** Set by cutMidEvent: forward part of the next event from upstream, then destroy both sides. */
  cutNextEvent: boolean;
  /** Set by silence: nothing more is forwarded either way, the sockets stay open. */
  silenced: boolean;
}

export class TcpProxy {
  /** Connections accepted (tests reset it to count an interval). */
  accepted = 0;
  /** Connections cut in the middle of an event. */
  cuts = 0;
  mode: ProxyMode = 'forward';
  /** Added before each chunk is forwarded, both ways. */
  delayMs = 0;
  private readonly pairs = new Set<Pair>();
  private readonly server: net.Server;

  private constructor(private readonly upstreamPort: number) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(upstreamPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(upstreamPort);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy is not listening');
    return address.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Connections currently open through the proxy. */
  get open(): number {
    return this.pairs.size;
  }

  /** Destroys every open connection (both sides), as a network failure would. */
  dropAll(): void {
    for (const pair of [...this.pairs]) this.destroy(pair);
  }

  /**
   * On every open connection, the next chunk from upstream that holds an SSE event (`event:`) is
   * forwarded only up to the middle of that event; then the connection is destroyed.
   */
  cutMidEvent(): void {
    for (const pair of this.pairs) pair.cutNextEvent = true;
  }

  /** Open connections go silent (a black hole) without closing; new ones follow `mode`. */
  silence(): void {
    for (const pair of this.pairs) pair.silenced = true;
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    client.on('error', () => undefined);
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: null, cutNextEvent: false, silenced: false };
    this.pairs.add(pair);
    client.on('close', () => this.destroy(pair));
    if (this.mode === 'blackhole') {
      client.resume(); // read and discard: the peer's writes succeed, nothing ever comes back
      return;
    }
    const upstream = net.connect(this.upstreamPort, '127.0.0.1');
    pair.upstream = upstream;
    upstream.on('error', () => this.destroy(pair));
    upstream.on('close', () => this.destroy(pair));
    client.on('data', (chunk: Buffer) =>
      this.later(() => {
        if (this.pairs.has(pair) && !pair.silenced) upstream.write(chunk);
      }),
    );
    upstream.on('data', (chunk: Buffer) => this.later(() => this.toClient(pair, chunk)));
  }

  private toClient(pair: Pair, chunk: Buffer): void {
    if (!this.pairs.has(pair) || pair.silenced) return;
    const eventStart = pair.cutNextEvent ? chunk.indexOf('event:') : -1;
    if (eventStart < 0) {
      pair.client.write(chunk);
      return;
    }
    const eventEnd = chunk.indexOf('\n\n', eventStart);
    const end = eventEnd < 0 ? chunk.length : eventEnd;
    const cut = eventStart + Math.max(1, Math.floor((end - eventStart) / 2));
    this.cuts++;
    pair.silenced = true;
    pair.client.write(chunk.subarray(0, cut), () => this.destroy(pair));
  }

  private later(forward: () => void): void {
    if (this.delayMs === 0) forward();
    else setTimeout(forward, this.delayMs);
  }

  private destroy(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}
