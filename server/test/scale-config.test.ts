/** Configuration of the scale-out parts: Redis, the polling interval, and relay mode. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';
import { isRelayMode, loadRelayConfig } from '../src/relay/config';

describe('REDIS_URL and SWITCHBOARD_POLL_INTERVAL_MS', () => {
  it('take a redis:// or rediss:// URL and an interval in milliseconds', () => {
    const config = loadConfig({ REDIS_URL: 'redis://cache:6379/2', SWITCHBOARD_POLL_INTERVAL_MS: '250' });
    expect(config.redisUrl).toBe('redis://cache:6379/2');
    expect(config.fanoutPollIntervalMs).toBe(250);
    expect(loadConfig({ REDIS_URL: 'rediss://user:pw@cache:6380' }).redisUrl).toBe(
      'rediss://user:pw@cache:6380',
    );
    expect(loadConfig({})).toMatchObject({ redisUrl: undefined, fanoutPollIntervalMs: undefined });
  });

  it('refuse anything else with a message naming the variable', () => {
    expect(() => loadConfig({ REDIS_URL: 'cache:6379' })).toThrow(/REDIS_URL must look like redis:\/\//);
    expect(() => loadConfig({ REDIS_URL: 'http://cache:6379' })).toThrow(ConfigError);
    for (const interval of ['0', '5', 'fast', '-1', '60001']) {
      expect(() => loadConfig({ SWITCHBOARD_POLL_INTERVAL_MS: interval }), interval).toThrow(
        /SWITCHBOARD_POLL_INTERVAL_MS/,
      );
    }
  });

  it('select PostgreSQL from a postgres:// DATABASE_URL', () => {
    const url = 'postgresql://u@db:5432/flags?options=-c%20search_path%3Dsb';
    expect(loadConfig({ DATABASE_URL: url }).database).toEqual({ kind: 'postgres', url });
  });
});

describe('relay configuration', () => {
  const args = ['--relay', '--upstream', 'https://flags.example.com/switchboard', '--sdk-key', 'sb_server_a'];

  it('comes from the command line, with the upstream as a base URL', () => {
    const config = loadRelayConfig([...args, '--client-key', 'sb_client_1', '--client-key', 'sb_client_2'], {
      PORT: '7080',
    });
    expect(config.relay).toEqual({
      upstream: new URL('https://flags.example.com/switchboard/'),
      sdkKey: 'sb_server_a',
      clientKeys: ['sb_client_1', 'sb_client_2'],
    });
    expect(config.port).toBe(7080);
  });

  it('comes from the environment, the command line winning', () => {
    const env = {
      SWITCHBOARD_RELAY_UPSTREAM: 'http://core:7070',
      SWITCHBOARD_RELAY_SDK_KEY: 'sb_server_env',
      SWITCHBOARD_RELAY_CLIENT_KEYS: 'sb_client_1, sb_client_2,',
    };
    expect(loadRelayConfig([], env).relay).toEqual({
      upstream: new URL('http://core:7070/'),
      sdkKey: 'sb_server_env',
      clientKeys: ['sb_client_1', 'sb_client_2'],
    });
    expect(loadRelayConfig(['--sdk-key', 'sb_server_flag'], env).relay.sdkKey).toBe('sb_server_flag');
  });

  it('is chosen by --relay or by SWITCHBOARD_RELAY_UPSTREAM', () => {
    expect(isRelayMode(['--relay'], {})).toBe(true);
    expect(isRelayMode([], { SWITCHBOARD_RELAY_UPSTREAM: 'http://core:7070' })).toBe(true);
    expect(isRelayMode([], { SWITCHBOARD_RELAY_UPSTREAM: ' ' })).toBe(false);
    expect(isRelayMode(['migrate', 'up'], {})).toBe(false);
  });

  it('refuses a missing upstream or key, a non-HTTP upstream, an unknown option', () => {
    expect(() => loadRelayConfig(['--relay', '--sdk-key', 'k'], {})).toThrow(
      /upstream URL and a server SDK key/,
    );
    expect(() => loadRelayConfig(['--relay', '--upstream', 'http://core'], {})).toThrow(ConfigError);
    expect(() => loadRelayConfig(['--relay', '--upstream', 'ftp://core', '--sdk-key', 'k'], {})).toThrow(
      /must be http\(s\)/,
    );
    expect(() => loadRelayConfig(['--relay', '--upstream', 'not a url', '--sdk-key', 'k'], {})).toThrow(
      /is not a URL/,
    );
    expect(() => loadRelayConfig([...args, '--verbose', 'yes'], {})).toThrow(
      /unknown relay option --verbose/,
    );
    expect(() => loadRelayConfig([...args, '--client-key'], {})).toThrow(/--client-key needs a value/);
    expect(() => loadRelayConfig([...args, '--client-key', 'sb_server_a'], {})).toThrow(
      /cannot be the relay SDK key/,
    );
  });
});
