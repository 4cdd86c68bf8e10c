import { describe, expect, it } from 'vitest';
import { CorsPolicy } from '../src/client-api/cors';
import { ConfigError, loadConfig } from '../src/config';

describe('SWITCHBOARD_CORS_ORIGINS', () => {
  it('is a comma-separated list of origins, empty by default', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(
      loadConfig({ SWITCHBOARD_CORS_ORIGINS: ' https://app.example.com, http://localhost:5173 ,' })
        .corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(loadConfig({ SWITCHBOARD_CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });

  it('refuses what is not an origin (a path, a missing scheme)', () => {
    for (const wrong of ['https://app.example.com/', 'app.example.com', 'https://a.com/path', 'ftp://a.com'])
      expect(() => loadConfig({ SWITCHBOARD_CORS_ORIGINS: wrong }), wrong).toThrow(ConfigError);
  });
});

describe('CorsPolicy', () => {
  it('allows exactly the configured origins, whatever their case in the configuration', () => {
    const policy = new CorsPolicy(['https://App.Example.com']);
    expect(policy.allows('https://app.example.com')).toBe(true);
    expect(policy.allows('https://app.example.com.evil.net')).toBe(false);
    expect(policy.allows('http://app.example.com')).toBe(false);
    expect(policy.allows(undefined)).toBe(false);
    expect(policy.responseHeaders('https://other.example.com')).toEqual({});
  });

  it('allows any origin with *', () => {
    expect(new CorsPolicy(['*']).responseHeaders('http://localhost:3000')).toMatchObject({
      'access-control-allow-origin': 'http://localhost:3000',
      vary: 'origin',
    });
  });
});
