/**
 * The physical limit of the client-evaluate benchmark: a bare Fastify route in its own process that
 * answers `POST /client/v1/evaluate` with pre-serialized bytes of the same size and shape as
 * Switchboard's answer (the request body is parsed as JSON, as any Fastify route does; nothing is
 * authenticated or evaluated). Run as a child of the client-evaluate suite.
 */
import Fastify from 'fastify';
import { sendToParent } from '../lib/child';
import type { BareBody, BareListening } from './protocol';

process.once('message', (message: BareBody) => {
  const app = Fastify({ logger: false });
  app.post('/client/v1/evaluate', (_request, reply) =>
    reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(message.body),
  );
  app.listen({ port: 0, host: '127.0.0.1' }).then(
    () => {
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const listening: BareListening = { type: 'listening', port };
      return sendToParent(listening);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
process.on('SIGTERM', () => process.exit(0));
