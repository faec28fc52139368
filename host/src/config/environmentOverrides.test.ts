import { describe, expect, it } from 'vitest';
import { isInvalidConfigurationError } from '@datawarehouse/sdk';
import { REDIS_PLUGIN_MODULE, hostConfigOverridesFromEnv } from './environmentOverrides.js';
import { parseHostConfig } from './loadHostConfig.js';

function errorOf(run: () => unknown): { field: string; value: unknown; source: string } {
  try {
    run();
  } catch (e) {
    expect(isInvalidConfigurationError(e)).toBe(true);
    return e as never;
  }
  throw new Error('did not throw');
}

describe('hostConfigOverridesFromEnv', () => {
  it('reads DW_ADMIN_TOKEN, DW_ADMIN_PORT and DW_REDIS_URL, empty ones as unset', () => {
    expect(hostConfigOverridesFromEnv({})).toEqual({});
    expect(hostConfigOverridesFromEnv({ DW_ADMIN_PORT: '', DW_REDIS_URL: '' })).toEqual({});
    expect(
      hostConfigOverridesFromEnv({
        DW_ADMIN_TOKEN: 'abcdefghijklmnopq',
        DW_ADMIN_PORT: '9464',
        DW_REDIS_URL: 'rediss://u:p@redis.internal:6380/2',
      }),
    ).toEqual({ adminToken: 'abcdefghijklmnopq', adminPort: 9464, redisUrl: 'rediss://u:p@redis.internal:6380/2' });
    expect(hostConfigOverridesFromEnv({ DW_ADMIN_PORT: '0' })).toEqual({ adminPort: 0 });
  });

  it.each(['70000', '-1', '80a', '1.5', ' ', 'x'])('refuses DW_ADMIN_PORT=%j naming the variable', (value) => {
    const e = errorOf(() => hostConfigOverridesFromEnv({ DW_ADMIN_PORT: value }));
    expect(e.field).toBe('DW_ADMIN_PORT');
    expect(e.value).toBe(value);
    expect(e.source).toBe('environment');
  });

  it.each(['localhost:6379', 'http://h:1', 'redis://', 'not a url'])('refuses DW_REDIS_URL=%j', (value) => {
    const e = errorOf(() => hostConfigOverridesFromEnv({ DW_REDIS_URL: value }));
    expect(e.field).toBe('DW_REDIS_URL');
    expect(e.source).toBe('environment');
  });

  it('does not echo the password of a refused Redis URL', () => {
    const e = errorOf(() => hostConfigOverridesFromEnv({ DW_REDIS_URL: 'http://user:hunter2@h' }));
    expect(String(e.value)).not.toContain('hunter2');
  });
});

describe('parseHostConfig with environment overrides', () => {
  const file = JSON.stringify({
    admin: { port: 7070 },
    plugins: [
      { module: REDIS_PLUGIN_MODULE, options: { url: 'redis://a:1', channelPrefix: 'x:' } },
      { module: './other.js', options: { url: 'keep' } },
    ],
  });

  it('replaces admin.port and the Redis plugin url, and nothing else', () => {
    const config = parseHostConfig(file, 'f.json', { adminPort: 9000, redisUrl: 'redis://b:2' });
    expect(config.admin.port).toBe(9000);
    expect(config.plugins[0]!.options).toEqual({ url: 'redis://b:2', channelPrefix: 'x:' });
    expect(config.plugins[1]!.options).toEqual({ url: 'keep' });
  });

  it('still validates the file and rejects unknown keys', () => {
    const bad = JSON.stringify({ plugins: [], admin: { port: 1, colour: 'red' } });
    expect(errorOf(() => parseHostConfig(bad, 'f.json', { adminPort: 2 })).field).toBe('admin.colour');
  });
});
