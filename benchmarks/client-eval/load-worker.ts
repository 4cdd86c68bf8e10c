/**
 * The load generator of the client-evaluate benchmark, in a process of its own so that it does not
 * share an event loop with the server it measures: autocannon for a warm-up window (not reported),
 * then for the measured window.
 */
import autocannon from 'autocannon';
import type { Result } from 'autocannon';
import { sendToParent } from '../lib/child';
import type { LoadJob, LoadReply, LoadResult } from './protocol';

function run(job: LoadJob, seconds: number): Promise<Result> {
  return autocannon({
    url: job.url,
    method: 'POST',
    headers: job.headers,
    body: job.body,
    connections: job.connections,
    pipelining: job.pipelining,
    duration: seconds,
    expectBody: job.expectBody,
  });
}

function summarize(result: Result): LoadResult {
  return {
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    bytesPerSecond: result.throughput.average,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, count]),
    ),
  };
}

process.once('message', (job: LoadJob) => {
  const measure = async (): Promise<LoadReply> => {
    await run(job, job.warmupSeconds);
    return { type: 'result', result: summarize(await run(job, job.durationSeconds)) };
  };
  measure()
    .catch((error: unknown): LoadReply => ({ type: 'failed', error: String(error) }))
    .then((reply) => sendToParent(reply))
    .then(() => process.exit(0));
});
