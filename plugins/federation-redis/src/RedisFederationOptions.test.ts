import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configErrorOf } from '@datawarehouse/sdk/testing';
import {
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  MAX_RECONNECT_DELAY_MS,
  redactUrl,
  resolveRedisFederationOptions,
} from './RedisFederationOptions.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

describe('resolveRedisFederationOptions', () => {
  it('fills the documented defaults', () => {
    const o = resolveRedisFederationOptions({ secret: SECRET }, {});
    expect(o).toMatchObject({
      url: 'redis://127.0.0.1:6379',
      channelPrefix: 'dw:bus:',
      maxMessageBytes: 65_536,
      messageTtlMs: 30_000,
      maxClockSkewMs: 5_000,
      replayCacheSize: 20_000,
      reconnectMinDelayMs: 100,
      reconnectMaxDelayMs: 1_000,
      connectTimeoutMs: 2_000,
      startupConnectTimeoutMs: 5_000,
      subsystemName: 'federation',
    });
    expect(o.secret).toBe(SECRET);
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('reads the secret from the environment (DW_FEDERATION_SECRET or the variable named by secretEnv)', () => {
    expect(resolveRedisFederationOptions({}, { DW_FEDERATION_SECRET: SECRET }).secret).toBe(SECRET);
    expect(resolveRedisFederationOptions({ secretEnv: 'MY_SECRET' }, { MY_SECRET: SECRET }).secret).toBe(SECRET);
    expect(resolveRedisFederationOptions({ secret: SECRET }, { DW_FEDERATION_SECRET: 'x'.repeat(40) }).secret).toBe(
      SECRET,
    );
  });

  it('refuses to start without a secret unless unsigned traffic is explicitly allowed', () => {
    const e = configErrorOf(() => resolveRedisFederationOptions({}, {}));
    expect(e?.field).toBe('secret');
    expect(e?.message).toMatch(/DW_FEDERATION_SECRET/);
    expect(e?.message).toMatch(/allowUnsigned/);
    expect(resolveRedisFederationOptions({ allowUnsigned: true }, {}).secret).toBeUndefined();
  });

  it('never shows the secret: not in errors, JSON or inspection', () => {
    const short = 'short-secret';
    for (const call of [
      () => resolveRedisFederationOptions({ secret: short }, {}),
      () => resolveRedisFederationOptions({}, { DW_FEDERATION_SECRET: short }),
    ]) {
      const e = configErrorOf(call);
      expect(e?.message).toMatch(/at least 32 bytes/);
      expect(e?.message).not.toContain(short);
    }
    const o = resolveRedisFederationOptions({ secret: SECRET }, {});
    expect(JSON.stringify(o)).not.toContain(SECRET);
    expect(inspect(o)).not.toContain(SECRET);
  });

  it('validates the URL and never echoes its password', () => {
    const e = configErrorOf(() =>
      resolveRedisFederationOptions({ url: 'http://user:pa55word@host', secret: SECRET }, {}),
    );
    expect(e?.field).toBe('url');
    expect(e?.message).not.toContain('pa55word');
    expect(configErrorOf(() => resolveRedisFederationOptions({ url: 'not a url', secret: SECRET }, {}))?.field).toBe(
      'url',
    );
    expect(redactUrl('redis://user:pa55word@host:6380/2')).toBe('redis://user:redacted@host:6380/2');
  });

  it('rejects bad values naming the field', () => {
    const base = { secret: SECRET };
    expect(configErrorOf(() => resolveRedisFederationOptions({ ...base, maxMessageBytes: 10 }, {}))?.field).toBe(
      'maxMessageBytes',
    );
    expect(
      configErrorOf(() =>
        resolveRedisFederationOptions({ ...base, reconnectMinDelayMs: 500, reconnectMaxDelayMs: 100 }, {}),
      )?.field,
    ).toBe('reconnectMaxDelayMs');
    expect(configErrorOf(() => resolveRedisFederationOptions({ ...base, allowUnsigned: 'yes' }, {}))?.field).toBe(
      'allowUnsigned',
    );
    expect(configErrorOf(() => resolveRedisFederationOptions({ ...base, secretEnv: 'bad name' }, {}))?.field).toBe(
      'secretEnv',
    );
    expect(
      configErrorOf(() => resolveRedisFederationOptions({ ...base, startupConnectTimeoutMs: -1 }, {}))?.field,
    ).toBe('startupConnectTimeoutMs');
    expect(configErrorOf(() => resolveRedisFederationOptions({ ...base, subsystemName: '../x' }, {}))?.field).toBe(
      'subsystemName',
    );
    expect(configErrorOf(() => resolveRedisFederationOptions({ ...base, urll: 'x' }, {}))?.field).toBe('urll');
  });

  it('caps the reconnect backoff at 1 s by default, configurable up to 1 minute', () => {
    const base = { secret: SECRET };
    expect(DEFAULT_RECONNECT_MAX_DELAY_MS).toBeLessThanOrEqual(1_000);
    expect(resolveRedisFederationOptions(base, {}).reconnectMaxDelayMs).toBe(DEFAULT_RECONNECT_MAX_DELAY_MS);
    expect(resolveRedisFederationOptions({ ...base, reconnectMinDelayMs: 2_000 }, {}).reconnectMaxDelayMs).toBe(2_000);
    expect(
      resolveRedisFederationOptions({ ...base, reconnectMaxDelayMs: MAX_RECONNECT_DELAY_MS }, {}).reconnectMaxDelayMs,
    ).toBe(MAX_RECONNECT_DELAY_MS);
    for (const bad of [0, -1, MAX_RECONNECT_DELAY_MS + 1, Infinity, Number.NaN, '500']) {
      const e = configErrorOf(() => resolveRedisFederationOptions({ ...base, reconnectMaxDelayMs: bad }, {}));
      expect(e?.field).toBe('reconnectMaxDelayMs');
      expect(e?.value).toEqual(bad);
      expect(configErrorOf(() => resolveRedisFederationOptions({ ...base, reconnectMinDelayMs: bad }, {}))?.field).toBe(
        'reconnectMinDelayMs',
      );
    }
  });
});
