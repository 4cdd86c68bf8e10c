/**
 * A stream process of the soak suite: holds plain SSE readers of `GET /sdk/v1/stream` and real sdk-node
 * clients, checks that each receives every change exactly once and in order, and histograms the time
 * from each change's admin call (started in the parent) to each stream's first receipt.
 */
import http from 'node:http';
import { createClient } from '@switchboard/sdk-node';
import { sendToParent } from '../lib/child';
import { LatencyHistogram } from '../lib/histogram';
import { DeliveryTracker } from './delivery';
import type {
  ChangeStarted,
  StreamTargetSpec,
  StreamWorkerCommand,
  StreamWorkerFinished,
  StreamWorkerReply,
  StreamWorkerRequest,
} from './protocol';

// Node's default agent probes idle keep-alive sockets every second; at thousands of streams that overflows
// the loopback queue and drops connections. The SDK uses the global agent, so replace it.
http.globalAgent = new http.Agent({ keepAlive: true, keepAliveMsecs: 300_000, maxSockets: Infinity });

/** Streams opened at once: a burst of thousands overflows the server's accept queue (backlog 511). */
const CONNECT_WAVE = 100;
const CONNECT_TIMEOUT_MS = 60_000;
const RECONNECT_DELAY_MS = 250;

/** The fields of a patch event's data that identify the change. */
interface PatchPayload {
  version?: unknown;
  kind?: unknown;
  key?: unknown;
}

interface Stream {
  tracker: DeliveryTracker;
  close(): void | Promise<void>;
}

let streams: Stream[] = [];
let readerCount = 0;
let sdkClientCount = 0;
let reconnects = 0;
/** When each change's admin call started, by sequence (sent by the parent as it starts the call). */
const starts = new Map<number, { ns: bigint; window: number }>();
/** Receipts that arrived before the parent's note of their start (IPC is not faster than loopback). */
const early = new Map<number, bigint[]>();
const windows = new Map<number, LatencyHistogram>();

function recordLatency(seq: number, at: bigint): void {
  const start = starts.get(seq);
  if (!start) {
    const waiting = early.get(seq);
    if (waiting) waiting.push(at);
    else early.set(seq, [at]);
    return;
  }
  let histogram = windows.get(start.window);
  if (!histogram) windows.set(start.window, (histogram = new LatencyHistogram()));
  histogram.record(Number(at - start.ns) / 1e6);
}

function receive(tracker: DeliveryTracker, seq: number, at: bigint): void {
  if (tracker.record(seq) === 'first') recordLatency(seq, at);
}

function changeStarted(change: ChangeStarted): void {
  starts.set(change.seq, { ns: BigInt(change.startNs), window: change.window });
  const waiting = early.get(change.seq);
  if (!waiting) return;
  early.delete(change.seq);
  for (const at of waiting) recordLatency(change.seq, at);
}

/**
 * A plain SSE reader: parses `event`, `id` and `data` of each event, checks that a patch's payload is the
 * soak flag at the version its id names, and reconnects with Last-Event-ID when the stream drops (as an
 * SDK would; what the server then resends counts, what it skips is missing).
 */
function openReader(target: StreamTargetSpec): Promise<Stream> {
  const tracker = new DeliveryTracker(target.baseSeq);
  let closing = false;
  let current: http.ClientRequest | null = null;
  return new Promise((resolve, reject) => {
    let opened = false;
    const handle = (block: string, at: bigint) => {
      let event = 'message';
      let id: number | null = null;
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('id: ')) id = Number(line.slice(4));
        else if (line.startsWith('data: ')) data = line.slice(6);
      }
      if (event === 'put' && id !== null) {
        tracker.snapshotAt(id);
        if (!opened) {
          opened = true;
          resolve({
            tracker,
            close: () => {
              closing = true;
              current?.destroy();
            },
          });
        }
      } else if (event === 'patch' && id !== null) {
        let payload: PatchPayload | null = null;
        try {
          payload = JSON.parse(data) as PatchPayload;
        } catch {
          // Counted below as unexpected: not a patch event's payload.
        }
        if (payload?.version === id && payload.kind === 'flag' && payload.key === target.flagKey) {
          receive(tracker, id, at);
        } else tracker.unexpected++;
      } else if (event !== 'message') tracker.unexpected++; // a delete, or an event without an id
    };
    const connect = (lastEventId: number | null) => {
      const headers: http.OutgoingHttpHeaders = {
        accept: 'text/event-stream',
        authorization: `Bearer ${target.sdkKey}`,
      };
      if (lastEventId !== null) headers['last-event-id'] = String(lastEventId);
      let ended = false;
      const dropped = (error: Error) => {
        if (ended) return;
        ended = true;
        if (!opened) reject(error);
        else if (!closing) {
          reconnects++;
          setTimeout(() => connect(tracker.position), RECONNECT_DELAY_MS);
        }
      };
      const req = http.get(`${target.url}/sdk/v1/stream`, { headers }, (res) => {
        req.setTimeout(0); // connected: the stream may be quiet between changes
        if (res.statusCode !== 200) {
          res.resume();
          dropped(new Error(`stream answered ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        let buffered = '';
        res.on('data', (text: string) => {
          const at = process.hrtime.bigint();
          buffered += text;
          let end = buffered.indexOf('\n\n');
          while (end !== -1) {
            handle(buffered.slice(0, end), at);
            buffered = buffered.slice(end + 2);
            end = buffered.indexOf('\n\n');
          }
        });
        res.on('close', () => dropped(new Error('stream closed')));
      });
      req.setTimeout(CONNECT_TIMEOUT_MS, () => req.destroy(new Error('stream: no response')));
      req.on('error', dropped);
      current = req;
    };
    connect(null);
  });
}

/** A real sdk-node client: its `change` event for the flag, with the ruleset version it now serves. */
async function openSdkClient(target: StreamTargetSpec): Promise<Stream> {
  const tracker = new DeliveryTracker(target.baseSeq);
  const client = createClient({
    url: target.url,
    sdkKey: target.sdkKey,
    metrics: false,
    events: false,
    readyTimeoutMs: CONNECT_TIMEOUT_MS,
  });
  client.on('change', (keys) => {
    const at = process.hrtime.bigint();
    const seq = client.version;
    if (seq !== null && keys.includes(target.flagKey)) receive(tracker, seq, at);
    else tracker.unexpected++;
  });
  await client.ready();
  tracker.snapshotAt(client.version ?? target.baseSeq);
  return { tracker, close: () => client.close() };
}

async function connect(
  target: StreamTargetSpec,
  readers: number,
  sdkClients: number,
): Promise<StreamWorkerReply> {
  const started = Date.now();
  const total = readers + sdkClients;
  for (let first = 0; first < total; first += CONNECT_WAVE) {
    const wave: Promise<Stream>[] = [];
    // sdk-node clients first: spread evenly they would share waves with readers for no benefit.
    for (let index = first; index < Math.min(total, first + CONNECT_WAVE); index++) {
      wave.push(index < sdkClients ? openSdkClient(target) : openReader(target));
    }
    streams.push(...(await Promise.all(wave)));
  }
  readerCount = readers;
  sdkClientCount = sdkClients;
  return { type: 'connected', streams: streams.length, ms: Date.now() - started };
}

async function finish(firstSeq: number, lastSeq: number, timeoutMs: number): Promise<StreamWorkerFinished> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && streams.some((stream) => stream.tracker.position < lastSeq)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const missingBySeq = new Map<number, number>();
  let streamsWithLoss = 0;
  for (const { tracker } of streams) {
    const missing = tracker.missing(firstSeq, lastSeq);
    if (missing.length > 0 || tracker.duplicates > 0 || tracker.outOfOrder > 0) streamsWithLoss++;
    for (const seq of missing) missingBySeq.set(seq, (missingBySeq.get(seq) ?? 0) + 1);
  }
  const sum = (field: 'distinct' | 'duplicates' | 'outOfOrder' | 'unexpected') =>
    streams.reduce((total, { tracker }) => total + tracker[field], 0);
  // Receipts of a sequence the parent never started: not one of the soak's changes.
  const unmatched = [...early.values()].reduce((total, times) => total + times.length, 0);
  return {
    type: 'finished',
    readers: readerCount,
    sdkClients: sdkClientCount,
    delivered: sum('distinct'),
    duplicates: sum('duplicates'),
    outOfOrder: sum('outOfOrder'),
    unexpected: sum('unexpected') + unmatched,
    missingBySeq: [...missingBySeq].sort(([a], [b]) => a - b),
    streamsWithLoss,
    reconnects,
    windows: [...windows].map(([window, histogram]) => [window, histogram.toJSON()]),
  };
}

async function handle(command: StreamWorkerCommand): Promise<StreamWorkerReply> {
  switch (command.type) {
    case 'connect':
      return connect(command.target, command.readers, command.sdkClients);
    case 'finish':
      return finish(command.firstSeq, command.lastSeq, command.timeoutMs);
    case 'disconnect':
      await Promise.all(streams.map((stream) => stream.close()));
      streams = [];
      return { type: 'disconnected' };
  }
}

process.on('message', (message: StreamWorkerRequest | ChangeStarted) => {
  if ('type' in message) {
    changeStarted(message);
    return;
  }
  handle(message.command).then(
    (reply) => sendToParent({ id: message.id, reply }),
    (error: unknown) => sendToParent({ id: message.id, reply: { type: 'failed', error: String(error) } }),
  );
});
process.on('disconnect', () => process.exit(0));
