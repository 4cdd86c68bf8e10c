/**
 * The physical limit: a bare node:http SSE server. `GET /stream` holds a stream open; `POST /broadcast`
 * writes one pre-encoded ~300-byte event, already framed as an HTTP chunk, straight to every stream's
 * socket — no per-connection work beyond the write. Run as a child of the propagation suite.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { sendToParent } from '../lib/child';
import { flagConfig } from '../eval/systems/switchboard-flags';
import type { BareServerListening } from './protocol';

/** A patch event shaped like Switchboard's: one flag's configuration. */
function patchEvent(): Buffer {
  const value = flagConfig({ key: 'propagation-flag', enabled: true, clauses: [], rolloutPercent: null }, 2);
  const data = JSON.stringify({ version: 2, kind: 'flag', key: value.key, value });
  return Buffer.from(`event: patch\nid: 2\ndata: ${data}\n\n`);
}

const event = patchEvent();
const frame = Buffer.concat([Buffer.from(`${event.length.toString(16)}\r\n`), event, Buffer.from('\r\n')]);
const streams = new Set<Socket>();

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stream') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': connected\n\n');
    const socket = res.socket;
    if (!socket) return;
    socket.setNoDelay(true);
    streams.add(socket);
    socket.once('close', () => streams.delete(socket));
    return;
  }
  if (req.method === 'POST' && req.url === '/broadcast') {
    for (const socket of streams) socket.write(frame);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ streams: streams.size }));
    return;
  }
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 300_000;

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const listening: BareServerListening = { type: 'listening', port, eventBytes: event.length };
  void sendToParent(listening);
});
process.on('SIGTERM', () => process.exit(0));
