/**
 * `npm run demo`: starts Switchboard, the shop and the simulated shoppers, then prints what to do.
 * Everything listens on 127.0.0.1; the Switchboard database is a fresh temporary SQLite file.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startShop } from './shop';
import { startTraffic } from './traffic';

const SWITCHBOARD_PORT = Number(process.env.SWITCHBOARD_PORT ?? 7070);
const SHOP_PORT = Number(process.env.SHOP_PORT ?? 3000);
const ADMIN_TOKEN = 'sb_admin_demo-shop-walkthrough-token';
const SWITCHBOARD = `http://127.0.0.1:${SWITCHBOARD_PORT}`;
const SHOP = `http://127.0.0.1:${SHOP_PORT}`;
const SERVER_ENTRY = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));

/** The new payment flow: on for nobody yet (a 0 % rollout you ramp up in the admin UI). */
const FLAG = {
  key: 'new-payment-flow',
  description: 'One-click payments (the new flow)',
  tags: ['payments'],
  variants: { on: true, off: false },
  environments: {
    production: {
      enabled: true,
      offVariant: 'off',
      targets: [],
      rules: [],
      fallthrough: {
        rollout: {
          bucketBy: 'userId',
          weights: [
            { variant: 'on', weight: 0 },
            { variant: 'off', weight: 100_000 },
          ],
        },
      },
    },
  },
};

async function admin(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(SWITCHBOARD + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok)
    throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

async function waitUntilHealthy(): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      if ((await fetch(`${SWITCHBOARD}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Switchboard did not start on ${SWITCHBOARD}`);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-demo-'));
  const switchboard = spawn(process.execPath, [SERVER_ENTRY], {
    env: {
      ...process.env,
      PORT: String(SWITCHBOARD_PORT),
      HOST: '127.0.0.1',
      DATABASE_URL: join(dataDir, 'switchboard.db'),
      SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
      SWITCHBOARD_CORS_ORIGINS: SHOP,
      SWITCHBOARD_SCHEDULER_TICK_MS: '500',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  switchboard.on('exit', (code) => {
    if (code !== null && code !== 0) process.stderr.write(`Switchboard exited with code ${code}\n`);
  });
  await waitUntilHealthy();

  await admin('PUT', `/api/v1/flags/${FLAG.key}`, FLAG);
  const token = async (kind: 'server' | 'client') =>
    (await admin('POST', '/api/v1/tokens', { name: `demo shop (${kind})`, kind, environment: 'production' }))
      .token as string;
  const shop = await startShop({
    port: SHOP_PORT,
    switchboardUrl: SWITCHBOARD,
    sdkKey: await token('server'),
    clientKey: await token('client'),
  });
  const traffic = startTraffic({ shopUrl: shop.url, shoppers: 2000, paymentsPerSecond: 50 });

  process.stdout.write(`
  Switchboard admin UI   ${SWITCHBOARD}/   (admin token: ${ADMIN_TOKEN})
  The shop               ${SHOP}/
  2,000 simulated shoppers pay 50 times a second; every second a line below says how it went.

  Walk-through (examples/shop/README.md): ramp "new-payment-flow" to 5 % in production, watch the
  new flow's failures, then hit the kill switch and watch every shopper return to the old flow.
  Ctrl-C stops everything.

`);

  const stop = async () => {
    traffic.stop();
    await shop.close();
    switchboard.kill('SIGTERM');
    await new Promise((resolve) => switchboard.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
