/**
 * The two servers of the propagation suite, each in its own process: Switchboard (`node
 * server/dist/main.js` on a temporary SQLite file) and the bare node:http SSE server.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlagDocument } from '@switchboard/core';
import { firstMessage, repoDir, spawnNodeWithRaisedFileLimit, stopChild } from '../lib/child';
import { expectJson, waitUntilUp } from '../lib/http-json';
import type { BareServerListening } from './protocol';

export const BENCH_FLAG = 'propagation-flag';
const ENVIRONMENT = 'production';
const SERVER_MAIN = path.join(repoDir, 'server', 'dist', 'main.js');

/** Resident set size of a process in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface ServerUnderTest {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

/** A running `server/dist/main.js`, before any flag or key exists. */
export interface SwitchboardProcess extends ServerUnderTest {
  adminToken: string;
  /** The last lines the server logged (warnings and errors), for failure reports. */
  logTail(): string;
}

export interface SpawnSwitchboardOptions {
  /** Added to (and overriding) the server's environment, e.g. DATABASE_URL and REDIS_URL of a cluster. */
  env?: NodeJS.ProcessEnv;
  /** Replicas of one cluster share their admin token; default a fresh random one. */
  adminToken?: string;
  /** How long the server may take to answer /readyz (default 30 s). */
  readyTimeoutMs?: number;
}

/** The propagation flag's server SDK key and the admin calls that change it. */
export interface BenchFlagControls {
  sdkKey: string;
  /** Flips the flag's fallthrough between on and off with a full-document PUT (the flag `change`). */
  changeFlag(): Promise<void>;
  kill(): Promise<void>;
  unkill(): Promise<void>;
}

export type SwitchboardServer = SwitchboardProcess & BenchFlagControls;

function flagDocument(serveOn: boolean): Omit<FlagDocument, 'version'> {
  return {
    key: BENCH_FLAG,
    description: 'propagation benchmark',
    tags: ['benchmark'],
    variants: { on: true, off: false },
    environments: {
      [ENVIRONMENT]: {
        enabled: true,
        offVariant: 'off',
        targets: [],
        rules: [],
        fallthrough: { variant: serveOn ? 'on' : 'off' },
      },
    },
  };
}

/** Starts a server process (on a temporary SQLite file unless `env` names another DATABASE_URL). */
export async function spawnSwitchboard(options: SpawnSwitchboardOptions = {}): Promise<SwitchboardProcess> {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run \`npm run build\` first`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'));
  const adminToken = options.adminToken ?? `bench-admin-${randomBytes(24).toString('hex')}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logPath = path.join(dataDir, 'server.log');
  const logFd = openSync(logPath, 'a');
  const logTail = () => readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n');
  const child = spawnNodeWithRaisedFileLimit([SERVER_MAIN], {
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: path.join(dataDir, 'switchboard.db'),
      SWITCHBOARD_ADMIN_TOKEN: adminToken,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...options.env,
    },
    output: logFd,
  });
  closeSync(logFd); // the child holds its own copy
  const removeData = () => rmSync(dataDir, { recursive: true, force: true });
  process.once('exit', removeData); // the child is killed on exit too (lib/child)
  const stop = async () => {
    await stopChild(child);
    removeData();
    process.off('exit', removeData);
  };
  try {
    await waitUntilUp(`${url}/readyz`, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    const tail = logTail();
    await stop();
    throw new Error(`${(error as Error).message}\nlast server log lines:\n${tail}`);
  }
  return { pid: child.pid as number, url, adminToken, logTail, stop };
}

/** Creates a server SDK key and the propagation flag through `server`'s admin API. */
export async function controlBenchFlag(
  server: Pick<SwitchboardProcess, 'url' | 'adminToken'>,
): Promise<BenchFlagControls> {
  const { url } = server;
  const admin = { token: server.adminToken };
  const { token: sdkKey } = (await expectJson('POST', `${url}/api/v1/tokens`, {
    ...admin,
    body: { name: 'propagation-benchmark', kind: 'server', environment: ENVIRONMENT },
  })) as { token: string };
  let serveOn = true;
  let version = (
    (await expectJson('PUT', `${url}/api/v1/flags/${BENCH_FLAG}`, {
      ...admin,
      body: flagDocument(serveOn),
    })) as FlagDocument
  ).version;
  const flagUrl = `${url}/api/v1/flags/${BENCH_FLAG}`;
  const environmentUrl = `${flagUrl}/environments/${ENVIRONMENT}`;
  return {
    sdkKey,
    changeFlag: async () => {
      serveOn = !serveOn;
      const flag = (await expectJson('PUT', flagUrl, {
        ...admin,
        body: { ...flagDocument(serveOn), version },
      })) as FlagDocument;
      version = flag.version;
    },
    kill: async () => {
      const flag = (await expectJson('POST', `${environmentUrl}/kill`, {
        ...admin,
        body: { reason: 'propagation benchmark' },
      })) as FlagDocument;
      version = flag.version;
    },
    unkill: async () => {
      const flag = (await expectJson('POST', `${environmentUrl}/unkill`, {
        ...admin,
        body: {},
      })) as FlagDocument;
      version = flag.version;
    },
  };
}

export async function startSwitchboard(options: SpawnSwitchboardOptions = {}): Promise<SwitchboardServer> {
  const server = await spawnSwitchboard(options);
  try {
    return { ...server, ...(await controlBenchFlag(server)) };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

const bareServerScript = fileURLToPath(new URL('./bare-server.ts', import.meta.url));

export interface BareServer extends ServerUnderTest {
  eventBytes: number;
  broadcast(): Promise<void>;
}

export async function startBareServer(): Promise<BareServer> {
  const child: ChildProcess = spawnNodeWithRaisedFileLimit([bareServerScript], {
    ipc: true,
    typescript: true,
  });
  const stop = () => stopChild(child);
  try {
    const { port, eventBytes } = await firstMessage<BareServerListening>(child, 30_000);
    const url = `http://127.0.0.1:${port}`;
    await waitUntilUp(`${url}/healthz`, 10_000);
    return {
      pid: child.pid as number,
      url,
      eventBytes,
      stop,
      broadcast: async () => {
        await expectJson('POST', `${url}/broadcast`);
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
