/**
 * A token revoked through one replica stops working on every replica, and the streams it holds open on
 * other replicas are closed: each replica learns of the revocation from the shared audit log.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app';
import type { TestServer } from './helpers';
import { ADMIN_TOKEN, startServer, testConfig } from './helpers';

let replicaA: TestServer;
let replicaB: Awaited<ReturnType<typeof buildApp>>;
beforeAll(async () => {
  replicaA = await startServer();
  replicaB = await buildApp(testConfig(replicaA.databasePath), { adminUiRoot: join(replicaA.dir, 'none') });
});
afterAll(async () => {
  await replicaB.close();
  await replicaA.close();
});

describe('revoking a token on another replica', () => {
  it('closes the streams the token holds open here and refuses it from then on', async () => {
    const created = await replicaA.request<{ id: string; token: string }>('POST', '/api/v1/tokens', {
      body: { name: 'edge-sdk', kind: 'server', environment: 'production' },
    });
    expect(created.status).toBe(201);
    const { id, token } = created.body;

    const stream = await fetch(`${replicaA.url}/sdk/v1/stream`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    while (!received.includes('event: put')) received += decoder.decode((await reader.read()).value);

    const revoked = await replicaB.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${id}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(revoked.statusCode).toBe(200);

    // Replica A never saw the request: its stream ends once its audit tail reads the revocation.
    const started = Date.now();
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    const refused = await fetch(`${replicaA.url}/sdk/v1/flags`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
  });
});
