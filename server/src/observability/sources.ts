import type { FastifyInstance } from 'fastify';
import { ReplicatedFanout } from '../fanout/replicated';
import type { MetricsSources } from './metrics';

/** What a server's gauges read: the store's seqs, what the fan-out delivered, the SDK streams. */
export function serverMetricsSources(app: FastifyInstance): MetricsSources {
  const fanout = app.fanout;
  return {
    async positions() {
      const environments = await app.store.listEnvironments();
      // In-process delivery happens right after the commit: nothing committed is undelivered.
      const delivered = fanout instanceof ReplicatedFanout ? fanout.deliveredSeqs() : null;
      return environments.map(({ key, seq }) => ({
        environment: key,
        committed: seq,
        delivered: delivered === null ? seq : (delivered.get(key) ?? 0),
      }));
    },
    streams: (environment) => app.sdkStreams.connectionCount(environment),
    connected: () => fanout.status?.().connected,
  };
}
