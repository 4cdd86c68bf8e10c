/**
 * Relay configuration: `switchboard-server --relay --upstream URL --sdk-key KEY [--client-key KEY]…`,
 * or the same from SWITCHBOARD_RELAY_UPSTREAM, SWITCHBOARD_RELAY_SDK_KEY and
 * SWITCHBOARD_RELAY_CLIENT_KEYS (comma-separated); flags win over variables. PORT, HOST, LOG_LEVEL,
 * SWITCHBOARD_CHANGE_LOG_RETENTION and SWITCHBOARD_CORS_ORIGINS mean what they mean for a server.
 */
import type { ServerConfig } from '../config';
import { ConfigError, loadConfig } from '../config';

export interface RelayConfig extends ServerConfig {
  relay: {
    /** The upstream server's base URL, ending in `/`. */
    upstream: URL;
    /** The server SDK key the relay follows its upstream with; downstream SDKs present the same key. */
    sdkKey: string;
    /** Client keys of the same environment that browsers may evaluate with here. */
    clientKeys: string[];
  };
}

export const RELAY_USAGE =
  'switchboard-server --relay --upstream URL --sdk-key KEY [--client-key KEY]...\n' +
  '  (or SWITCHBOARD_RELAY_UPSTREAM, SWITCHBOARD_RELAY_SDK_KEY, SWITCHBOARD_RELAY_CLIENT_KEYS)';

/** True when the command line or the environment asks for relay mode. */
export function isRelayMode(args: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return args.includes('--relay') || (env.SWITCHBOARD_RELAY_UPSTREAM ?? '').trim() !== '';
}

function parseArgs(args: readonly string[]): { upstream?: string; sdkKey?: string; clientKeys: string[] } {
  const parsed: { upstream?: string; sdkKey?: string; clientKeys: string[] } = { clientKeys: [] };
  for (let index = 0; index < args.length; index++) {
    const flag = args[index];
    if (flag === '--relay') continue;
    const value = args[index + 1];
    if (value === undefined || value.startsWith('--'))
      throw new ConfigError(`${flag} needs a value\n${RELAY_USAGE}`);
    index++;
    if (flag === '--upstream') parsed.upstream = value;
    else if (flag === '--sdk-key') parsed.sdkKey = value;
    else if (flag === '--client-key') parsed.clientKeys.push(value);
    else throw new ConfigError(`unknown relay option ${flag}\n${RELAY_USAGE}`);
  }
  return parsed;
}

function parseUpstream(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`the relay upstream "${raw}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`the relay upstream must be http(s), got ${url.protocol}`);
  // API paths resolve below the base path ("https://host/switchboard" → ".../switchboard/sdk/v1/…").
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

export function loadRelayConfig(args: readonly string[], env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const flags = parseArgs(args);
  const trimmed = (value: string | undefined) =>
    value === undefined || value.trim() === '' ? undefined : value.trim();
  const upstream = flags.upstream ?? trimmed(env.SWITCHBOARD_RELAY_UPSTREAM);
  const sdkKey = flags.sdkKey ?? trimmed(env.SWITCHBOARD_RELAY_SDK_KEY);
  if (upstream === undefined || sdkKey === undefined)
    throw new ConfigError(`a relay needs an upstream URL and a server SDK key\n${RELAY_USAGE}`);
  const clientKeys =
    flags.clientKeys.length > 0
      ? flags.clientKeys
      : (trimmed(env.SWITCHBOARD_RELAY_CLIENT_KEYS) ?? '')
          .split(',')
          .map((key) => key.trim())
          .filter((key) => key !== '');
  if (clientKeys.includes(sdkKey)) throw new ConfigError('a client key cannot be the relay SDK key');
  return {
    ...loadConfig(env),
    relay: { upstream: parseUpstream(upstream), sdkKey, clientKeys },
  };
}
