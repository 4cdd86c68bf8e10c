import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { profilePath, resolveConnection, writeProfile } from '../src/config';
import { ExitCode } from '../src/errors';

const temporaryDirectory = () => mkdtempSync(join(tmpdir(), 'switchboard-cli-config-'));

describe('profilePath', () => {
  it('prefers SWITCHBOARD_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(profilePath({ SWITCHBOARD_CONFIG: '/x/p.json', XDG_CONFIG_HOME: '/xdg' })).toBe('/x/p.json');
    expect(profilePath({ XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/switchboard/profile.json');
    expect(profilePath({})).toMatch(/\.config\/switchboard\/profile\.json$/);
  });
});

describe('writeProfile', () => {
  it('creates the file readable by its owner only, also when it already existed with a wider mode', () => {
    const path = join(temporaryDirectory(), 'nested', 'profile.json');
    writeProfile(path, { url: 'http://127.0.0.1:7070', token: 'first' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeFileSync(path, '{}', { mode: 0o644 });
    writeProfile(path, { url: 'http://127.0.0.1:7070', token: 'second' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ url: 'http://127.0.0.1:7070', token: 'second' });
  });
});

describe('resolveConnection', () => {
  const path = join(temporaryDirectory(), 'profile.json');
  writeProfile(path, { url: 'http://127.0.0.1:1111', token: 'from-profile' });
  const env = { SWITCHBOARD_CONFIG: path };

  it('takes options over environment variables over the profile, field by field', () => {
    expect(resolveConnection({}, env)).toEqual({ url: 'http://127.0.0.1:1111', token: 'from-profile' });
    expect(resolveConnection({}, { ...env, SWITCHBOARD_TOKEN: 'from-env' })).toEqual({
      url: 'http://127.0.0.1:1111',
      token: 'from-env',
    });
    expect(
      resolveConnection(
        { url: 'http://127.0.0.1:2222/', token: 'from-option' },
        { ...env, SWITCHBOARD_URL: 'http://127.0.0.1:3333', SWITCHBOARD_TOKEN: 'from-env' },
      ),
    ).toEqual({ url: 'http://127.0.0.1:2222', token: 'from-option' });
  });

  it('fails with a hint when nothing names a server or a token', () => {
    const empty = { SWITCHBOARD_CONFIG: join(temporaryDirectory(), 'missing.json') };
    expect(() => resolveConnection({}, empty)).toThrow('no server URL');
    expect(() => resolveConnection({ url: 'http://127.0.0.1:1' }, empty)).toThrow(
      expect.objectContaining({ exitCode: ExitCode.auth }),
    );
    expect(() => resolveConnection({ url: 'ftp://host', token: 't' }, empty)).toThrow('only http and https');
  });
});
