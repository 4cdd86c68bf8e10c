/**
 * SDK API: `GET /sdk/v1/stream` (SSE), `GET /sdk/v1/flags` (polling), `POST /sdk/v1/metrics`,
 * all for server SDK keys. Decorates the app with `sdkStreams` (who has which version).
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { HubOptions } from './environment-hub';
import { sdkRoutes } from './routes';
import type { SdkDataSource } from './routes';
import { StreamHub } from './stream-hub';
import type { SdkStreams } from './stream-hub';

export type { SdkStreams } from './stream-hub';
export type { SdkDataSource } from './routes';
export { MAX_METRICS_COUNTS } from './routes';

declare module 'fastify' {
  interface FastifyInstance {
    /** Open SDK streams and the versions they were sent. */
    sdkStreams: SdkStreams;
  }
}

export const DEFAULT_STREAM_OPTIONS: HubOptions = {
  maxBufferedBytes: 1024 * 1024,
  heartbeatMs: 15_000,
  maxFramesAfterSnapshot: 64,
  closeGraceMs: 2_000,
};

export interface SdkApiOptions extends Partial<HubOptions> {
  /** Where rulesets and changes are read and metrics go: `app.store` unless given (a relay's memory). */
  source?: SdkDataSource;
}

const plugin: FastifyPluginAsync<SdkApiOptions> = async (app, { source = app.store, ...options }) => {
  const hubOptions: HubOptions = {
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_STREAM_OPTIONS.maxBufferedBytes,
    heartbeatMs: options.heartbeatMs ?? DEFAULT_STREAM_OPTIONS.heartbeatMs,
    maxFramesAfterSnapshot: options.maxFramesAfterSnapshot ?? DEFAULT_STREAM_OPTIONS.maxFramesAfterSnapshot,
    closeGraceMs: options.closeGraceMs ?? DEFAULT_STREAM_OPTIONS.closeGraceMs,
  };
  const hub = new StreamHub(source, app.fanout, hubOptions, app.log);
  app.decorate('sdkStreams', hub);
  const stopListening = app.onTokenRevoked((tokenId) => {
    const closed = hub.closeToken(tokenId);
    if (closed > 0) app.log.info({ tokenId, streams: closed }, 'closed the SDK streams of a revoked token');
  });
  // preClose, not onClose: Fastify waits for open connections before running onClose hooks.
  app.addHook('preClose', async () => {
    stopListening();
    hub.close();
  });
  await app.register(sdkRoutes, { hub, source });
};

/** Not encapsulated (fastify-plugin), so that `app.sdkStreams` is visible to the whole app. */
export const sdkApi = fp(plugin, { name: 'switchboard-sdk-api', dependencies: ['switchboard-auth'] });
