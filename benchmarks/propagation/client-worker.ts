/**
 * A client process of the propagation suite: holds many streams, either Switchboard SDK clients
 * (`change` events) or bare SSE readers, and timestamps when each one sees the measured change.
 */
import http from 'node:http';
import { createClient } from '@switchboard/sdk-node';
import { sendToParent } from '../lib/child';
import type { ClientCommand, ClientReply, ClientRequest, StreamTarget } from './protocol';

// Node's default agent probes idle keep-alive sockets every second; at thousands of streams that overflows
// the loopback queue and drops connections. The SDK uses the global agent, so replace it.
http.globalAgent = new http.Agent({ keepAlive: true, keepAliveMsecs: 300_000, maxSockets: Infinity });

/**
 * Streams opened at once per process while connecting: a burst of thousands overflows the servers' accept
 * queue (backlog 511), and dropped SYNs are only retried a second later.
 */
const CONNECT_WAVE = 100;
const CONNECT_TIMEOUT_MS = 60_000;
/** Opening all of a process's streams must not take longer than this (bounds the whole run). */
const CONNECT_DEADLINE_MS = 600_000;

interface Stream {
  close(): void | Promise<void>;
}

let streams: Stream[] = [];
let receivedAt: Array<bigint | undefined> = [];
let received = 0;
let armed = false;
let allReceived: (() => void) | null = null;

function markReceived(index: number): void {
  if (!armed || receivedAt[index] !== undefined) return;
  receivedAt[index] = process.hrtime.bigint();
  received++;
  if (received === streams.length && allReceived) allReceived();
}

function openSwitchboard(
  target: Extract<StreamTarget, { kind: 'switchboard' }>,
  index: number,
): Promise<Stream> {
  const client = createClient({
    url: target.url,
    sdkKey: target.sdkKey,
    metrics: false,
    readyTimeoutMs: 120_000,
  });
  client.on('change', (keys) => {
    if (keys.includes(target.flagKey)) markReceived(index);
  });
  return client.ready().then(() => client);
}

/** A bare reader: every `patch` event after arming is a receipt. The initial comment means "connected". */
function openBare(target: Extract<StreamTarget, { kind: 'bare' }>, index: number): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${target.url}/stream`, { headers: { accept: 'text/event-stream' } }, (res) => {
      req.setTimeout(0); // connected: the stream may now be silent for as long as the run lasts
      if (res.statusCode !== 200) {
        reject(new Error(`bare stream answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let buffered = '';
      let connected = false;
      res.on('data', (text: string) => {
        buffered += text;
        let end = buffered.indexOf('\n\n');
        while (end !== -1) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (!connected) {
            connected = true;
            resolve({ close: () => void req.destroy() });
          }
          if (block.split('\n').includes('event: patch')) markReceived(index);
          end = buffered.indexOf('\n\n');
        }
      });
    });
    req.setTimeout(CONNECT_TIMEOUT_MS, () => req.destroy(new Error('bare stream: no response')));
    req.on('error', reject);
  });
}

async function connect(target: StreamTarget, count: number): Promise<ClientReply> {
  const started = Date.now();
  for (let first = 0; first < count; first += CONNECT_WAVE) {
    if (Date.now() - started > CONNECT_DEADLINE_MS) {
      throw new Error(`only ${streams.length} of ${count} streams open after ${CONNECT_DEADLINE_MS} ms`);
    }
    const wave: Promise<Stream>[] = [];
    for (let index = first; index < Math.min(count, first + CONNECT_WAVE); index++) {
      wave.push(target.kind === 'switchboard' ? openSwitchboard(target, index) : openBare(target, index));
    }
    streams.push(...(await Promise.all(wave)));
  }
  return { type: 'connected', streams: streams.length, ms: Date.now() - started };
}

async function collect(timeoutMs: number): Promise<ClientReply> {
  if (received < streams.length) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      allReceived = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  allReceived = null;
  armed = false;
  const times = receivedAt.filter((time): time is bigint => time !== undefined).map(String);
  return { type: 'collected', receivedAt: times, missing: streams.length - times.length };
}

async function handle(command: ClientCommand): Promise<ClientReply> {
  switch (command.type) {
    case 'connect':
      return connect(command.target, command.count);
    case 'arm':
      receivedAt = new Array<bigint | undefined>(streams.length);
      received = 0;
      armed = true;
      return { type: 'armed' };
    case 'collect':
      return collect(command.timeoutMs);
    case 'disconnect':
      await Promise.all(streams.map((stream) => stream.close()));
      streams = [];
      receivedAt = [];
      return { type: 'disconnected' };
  }
}

process.on('message', (message: ClientRequest) => {
  handle(message.command).then(
    (reply) => sendToParent({ id: message.id, reply }),
    (error: unknown) => sendToParent({ id: message.id, reply: { type: 'failed', error: String(error) } }),
  );
});
process.on('disconnect', () => process.exit(0));
