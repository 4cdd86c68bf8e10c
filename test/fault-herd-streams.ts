/**
 * Child process of test/fault-herd.test.ts: holds `count` raw SSE streams on /sdk/v1/stream and
 * reconnects each one a fixed second after it ends, all in lock-step (no jitter, on purpose: the
 * worst case for the server). Answers `status` messages with how many streams are up, i.e. connected
 * and sent a `put` since they last (re)connected.
 * Usage: node --import tsx fault-herd-streams.ts <url> <sdkKey> <count>
 */
import http from 'node:http';

const [url, sdkKey, countArgument] = process.argv.slice(2);
if (url === undefined || sdkKey === undefined || countArgument === undefined) {
  throw new Error('usage: fault-herd-streams.ts <url> <sdkKey> <count>');
}
const RECONNECT_DELAY_MS = 1_000;
/** The first connections are spread out (setting up is not what is tested); reconnects are not. */
const FIRST_CONNECT_SPACING_MS = 1;
// TCP keep-alive probes every minutes, not the default second: thousands of idle sockets probed
// each second overflow the loopback queue and drop connections.
const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 10 * 60_000, maxSockets: Infinity });

export interface HerdStatus {
  /** Streams that received a `put` on their current connection. */
  up: number;
  /** Connections opened in total. */
  connections: number;
  /** Why connections failed: error codes and HTTP statuses, with counts. */
  failures: Record<string, number>;
}

const up = new Set<number>();
let connections = 0;
const failures: Record<string, number> = {};
const countFailure = (reason: string) => (failures[reason] = (failures[reason] ?? 0) + 1);

function connect(index: number): void {
  connections++;
  let retried = false;
  const retry = () => {
    up.delete(index);
    if (retried) return;
    retried = true;
    setTimeout(() => connect(index), RECONNECT_DELAY_MS);
  };
  const request = http.get(new URL('/sdk/v1/stream', url), {
    agent,
    headers: { authorization: `Bearer ${sdkKey}`, accept: 'text/event-stream' },
  });
  request.on('error', (error: NodeJS.ErrnoException) => {
    countFailure(error.code ?? error.message);
    retry();
  });
  request.on('response', (response) => {
    if (response.statusCode !== 200) {
      countFailure(`HTTP ${response.statusCode}`);
      response.resume();
      retry();
      return;
    }
    let head = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (up.has(index)) return;
      head += chunk;
      if (head.includes('event: put\n')) up.add(index);
    });
    response.on('error', retry);
    response.on('close', retry);
  });
}

const count = Number(countArgument);
for (let index = 0; index < count; index++) {
  setTimeout(() => connect(index), index * FIRST_CONNECT_SPACING_MS);
}

process.on('message', () => {
  const status: HerdStatus = { up: up.size, connections, failures };
  process.send?.(status);
});
process.on('disconnect', () => process.exit(0));
