import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, ExitCode, usageError } from './errors';

/** What `switchboard login` stores: the server to talk to and the token to present. */
export interface Profile {
  url: string;
  token: string;
}

export interface ConnectionOptions {
  url?: string;
  token?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where the profile lives: `SWITCHBOARD_CONFIG` (a file path) wins, then
 * `$XDG_CONFIG_HOME/switchboard/profile.json`, then `~/.config/switchboard/profile.json`.
 */
export function profilePath(env: Env = process.env): string {
  if (env.SWITCHBOARD_CONFIG) return env.SWITCHBOARD_CONFIG;
  const configHome = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(configHome, 'switchboard', 'profile.json');
}

export function readProfile(path: string): Profile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw usageError(`cannot read profile ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw usageError(`profile ${path} is not valid JSON; run \`switchboard login\` again`);
  }
  const profile = parsed as Partial<Profile> | null;
  if (typeof profile?.url !== 'string' || typeof profile.token !== 'string') {
    throw usageError(`profile ${path} lacks "url" and "token"; run \`switchboard login\` again`);
  }
  return { url: profile.url, token: profile.token };
}

/** Writes the profile readable by its owner only: it holds a bearer token. */
export function writeProfile(path: string, profile: Profile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  // writeFileSync's mode only applies when it creates the file; an existing profile keeps its mode otherwise.
  chmodSync(path, 0o600);
}

export function normalizeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`invalid server URL "${url}" (expected e.g. http://127.0.0.1:4600)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw usageError(`invalid server URL "${url}": only http and https are supported`);
  }
  return parsed.toString().replace(/\/+$/, '');
}

/** Resolves the server and token: command-line options, then environment variables, then the profile. */
export function resolveConnection(options: ConnectionOptions, env: Env = process.env): Profile {
  const profile = options.url && options.token ? undefined : readProfile(profilePath(env));
  const url = options.url ?? env.SWITCHBOARD_URL ?? profile?.url;
  const token = options.token ?? env.SWITCHBOARD_TOKEN ?? profile?.token;
  if (!url) {
    throw usageError('no server URL: pass --url, set SWITCHBOARD_URL or run `switchboard login`');
  }
  if (!token) {
    throw new CliError(
      'no token: pass --token, set SWITCHBOARD_TOKEN or run `switchboard login`',
      ExitCode.auth,
    );
  }
  return { url: normalizeUrl(url), token };
}
