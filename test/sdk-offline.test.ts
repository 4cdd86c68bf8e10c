/** Starting without the server: a bootstrap file or the cache file, then catching up once it is back. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '@switchboard/sdk-node';
import type { SwitchboardClient } from '@switchboard/sdk-node';
import { SdkTestServer, booleanFlag, nextEvent } from './sdk-harness';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stoppedServerWith(flags: Array<[string, 'on' | 'off']>) {
  const server = new SdkTestServer();
  cleanups.push(() => server.dispose());
  await server.start();
  for (const [key, serve] of flags) await server.putFlag(booleanFlag(key, serve));
  const { token } = await server.serverKey();
  return { server, token };
}

function track(client: SwitchboardClient): SwitchboardClient {
  cleanups.push(() => client.close());
  return client;
}

describe('SDK without the server', () => {
  it('starts from a bootstrap file with the server down, then follows the server once it is up', async () => {
    const { server, token } = await stoppedServerWith([['launch', 'on']]);
    // The same JSON the polling endpoint serves makes a bootstrap file.
    const exported = await fetch(`${server.url}/sdk/v1/flags`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const bootstrap = join(server.dir, 'bootstrap.json');
    writeFileSync(bootstrap, await exported.text());
    await server.putFlag(booleanFlag('launch', 'off')); // the server moves on after the export
    await server.stop();

    const client = track(
      createClient({
        url: server.url,
        sdkKey: token,
        bootstrap,
        metrics: false,
        reconnectBaseMs: 50,
        reconnectMaxMs: 100,
      }),
    );
    await client.ready();
    expect(client.isEnabled('launch', { userId: 'u' })).toBe(true);
    expect(client.status.source).toBe('bootstrap');

    const caughtUp = nextEvent(client, 'change');
    await server.start();
    expect(await caughtUp).toEqual([['launch']]);
    expect(client.isEnabled('launch', { userId: 'u' })).toBe(false);
    expect(client.status.source).toBe('server');
  });

  it('serves the cache file of an earlier run while the server is down', async () => {
    const { server, token } = await stoppedServerWith([['cached', 'on']]);
    const cacheFile = join(server.dir, 'switchboard-cache.json');
    const first = createClient({ url: server.url, sdkKey: token, cacheFile, metrics: false });
    await first.ready();
    await first.close();
    await server.stop();

    const restarted = track(
      createClient({ url: server.url, sdkKey: token, cacheFile, metrics: false, staleAfterMs: 100 }),
    );
    await restarted.ready();
    expect(restarted.status).toMatchObject({ source: 'cache', state: 'ready' });
    expect(restarted.isEnabled('cached', {})).toBe(true);
    await nextEvent(restarted, 'stale');
    expect(restarted.status.state).toBe('stale');
    expect(restarted.isEnabled('cached', {})).toBe(true);
  });
});
