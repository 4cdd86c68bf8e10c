/**
 * The soak's client-evaluate load: `POST /client/v1/evaluate` with a client key at a fixed rate
 * (open loop: requests go out on schedule whether or not earlier ones were answered), cycling through
 * the seeded user population so every request carries a different context. Latency runs from each
 * request's scheduled send time, so a server (or generator) falling behind shows up as queueing.
 */
import http from 'node:http';
import { sendToParent } from '../lib/child';
import { LatencyHistogram } from '../lib/histogram';
import { generateUsers } from '../eval/users';
import type { EvaluateLoadJob, EvaluateLoadReady, EvaluateLoadResult } from './protocol';

/** An answer slower than this is an error (generous: a starved machine must not fail a smoke run). */
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Requests in flight or queued for a socket beyond which a due request is not sent but counted as an
 * error: a server far below the rate would otherwise pile up queued requests without bound.
 */
const MAX_OUTSTANDING = 10_000;
/** How often the scheduler wakes up to send what is due (timers are not finer than ~1 ms anyway). */
const TICK_MS = 2;

// Kept-alive sockets probed every few minutes, not every second (see the stream workers).
const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 300_000, maxSockets: 256 });

/** One request body per seeded user, encoded before the run starts. */
const bodies = generateUsers().map((user) => Buffer.from(JSON.stringify({ context: user })));

function run(job: EvaluateLoadJob): Promise<EvaluateLoadResult> {
  const target = new URL('/client/v1/evaluate', job.url);
  const runStart = BigInt(job.runStartNs);
  const windowNs = job.windowMs * 1e6;
  const intervalNs = 1e9 / job.requestsPerSecond;
  const total = Math.floor((job.durationMs / 1000) * job.requestsPerSecond);
  const latency = new LatencyHistogram();
  const windows = new Map<number, { latency: LatencyHistogram; errors: number }>();
  const errorKinds: Record<string, number> = {};
  let succeeded = 0;
  let errors = 0;
  let outstanding = 0;
  let next = 0;
  let lastAnswer = 0n;
  const first = process.hrtime.bigint();

  return new Promise((resolve) => {
    const done = () =>
      resolve({
        type: 'evaluated',
        scheduled: total,
        succeeded,
        errors,
        errorKinds,
        elapsedSeconds: Number(lastAnswer - first) / 1e9,
        latency: latency.toJSON(),
        windows: [...windows].map(([window, stats]) => [window, stats.latency.toJSON(), stats.errors]),
      });

    const windowOf = (scheduled: bigint) => {
      const window = Math.floor(Number(scheduled - runStart) / windowNs);
      let stats = windows.get(window);
      if (!stats) windows.set(window, (stats = { latency: new LatencyHistogram(), errors: 0 }));
      return stats;
    };

    const record = (scheduled: bigint, error: string | null) => {
      lastAnswer = process.hrtime.bigint();
      const stats = windowOf(scheduled);
      if (error === null) {
        const ms = Number(lastAnswer - scheduled) / 1e6;
        succeeded++;
        latency.record(ms);
        stats.latency.record(ms);
      } else {
        errors++;
        stats.errors++;
        errorKinds[error] = (errorKinds[error] ?? 0) + 1;
      }
    };

    const send = (scheduled: bigint, body: Buffer) => {
      outstanding++;
      let settled = false;
      const settle = (error: string | null) => {
        if (settled) return;
        settled = true;
        outstanding--;
        record(scheduled, error);
        if (outstanding === 0 && next === total) done();
      };
      const req = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            authorization: `Bearer ${job.clientKey}`,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            if (res.statusCode !== 200) return settle(`status ${res.statusCode}`);
            try {
              const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { flags?: unknown };
              settle(typeof answer.flags === 'object' && answer.flags !== null ? null : 'no flags in answer');
            } catch {
              settle('answer is not JSON');
            }
          });
          res.on('error', (error: NodeJS.ErrnoException) => settle(error.code ?? error.message));
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () =>
        req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })),
      );
      req.on('error', (error: NodeJS.ErrnoException) => settle(error.code ?? error.message));
      req.end(body);
    };

    const tick = () => {
      const now = process.hrtime.bigint();
      while (next < total) {
        const scheduled = first + BigInt(Math.round(next * intervalNs));
        if (scheduled > now) break;
        if (outstanding >= MAX_OUTSTANDING) record(scheduled, `not sent: ${MAX_OUTSTANDING} outstanding`);
        else send(scheduled, bodies[next % bodies.length] as Buffer);
        next++;
      }
      if (next < total) setTimeout(tick, TICK_MS);
      else if (outstanding === 0) done();
    };
    tick();
  });
}

process.once('message', (job: EvaluateLoadJob) => {
  void run(job).then(async (result) => {
    await sendToParent(result);
    process.exit(0);
  });
});
process.on('disconnect', () => process.exit(0));
void sendToParent({ type: 'ready' } satisfies EvaluateLoadReady);
