import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isInvalidConfigurationError } from '@datawarehouse/sdk';
import type { InvalidConfigurationError } from '@datawarehouse/sdk';
import { requireConfigError } from '@datawarehouse/sdk/testing';
import { validateHostConfig } from './validateHostConfig.js';

const errorOf = (value: unknown): InvalidConfigurationError =>
  requireConfigError(() => validateHostConfig(value, 'dw.config.json'));

describe('validateHostConfig', () => {
  it('fills the documented defaults and freezes the result', () => {
    const config = validateHostConfig({ plugins: [{ module: 'x' }] });
    expect(config).toEqual({
      nodeId: 'node-1',
      admin: {
        enabled: true,
        host: '127.0.0.1',
        port: 7070,
        token: null,
        maxBodyBytes: 65536,
        probes: { public: false, requireBus: false },
      },
      statusIntervalMs: 5000,
      shutdownTimeoutMs: 10000,
      startupTimeoutMs: 30000,
      drainDelayMs: 0,
      plugins: [{ module: 'x', options: {}, enabled: true }],
      subsystems: {},
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.plugins[0]!.options)).toBe(true);
  });

  it('is idempotent on its own output', () => {
    const once = validateHostConfig({
      nodeId: 'n',
      admin: { port: 0 },
      plugins: [{ module: 'x', options: { a: [1] } }],
      subsystems: { resilience: { maxConcurrentOperations: 3 } },
    });
    expect(validateHostConfig(once)).toEqual(once);
  });

  it.each([
    [{ plugins: [], extra: 1 }, 'extra'],
    [{}, 'plugins'],
    [{ plugins: {} }, 'plugins'],
    [{ plugins: [{}] }, 'plugins[0].module'],
    [{ plugins: [{ module: 'x', opts: {} }] }, 'plugins[0].opts'],
    [{ plugins: [{ module: 'x', options: [] }] }, 'plugins[0].options'],
    [{ plugins: [], nodeId: 'has space' }, 'nodeId'],
    [{ plugins: [], admin: { port: 70000 } }, 'admin.port'],
    [{ plugins: [], admin: { prot: 1 } }, 'admin.prot'],
    [{ plugins: [], statusIntervalMs: 50 }, 'statusIntervalMs'],
    [{ plugins: [], shutdownTimeoutMs: 0 }, 'shutdownTimeoutMs'],
    [
      { plugins: [], subsystems: { resilience: { maxConcurrentOperations: 0 } } },
      'subsystems.resilience.maxConcurrentOperations',
    ],
    [{ plugins: [], subsystems: { resilience: { maxConcurency: 2 } } }, 'subsystems.resilience.maxConcurency'],
    [{ plugins: [], subsystems: { resilience: {} } }, 'subsystems.resilience'],
    [
      { plugins: [], subsystems: { resilience: { strategies: { s: { bulkhead: 3 } } } } },
      'subsystems.resilience.strategies.s.bulkhead',
    ],
  ])('rejects %j naming %s and the file', (value, field) => {
    const e = errorOf(value);
    expect(e.field).toBe(field);
    expect(e.source).toBe('dw.config.json');
    expect(e.message).toContain('dw.config.json');
  });

  it('requires a token when the admin API binds a non-loopback address', () => {
    expect(errorOf({ plugins: [], admin: { host: '0.0.0.0' } }).field).toBe('admin.token');
    const config = validateHostConfig({ plugins: [], admin: { host: '0.0.0.0', token: 'a'.repeat(16) } });
    expect(config.admin.token).toBe('a'.repeat(16));
    expect(validateHostConfig({ plugins: [], admin: { host: '::1' } }).admin.token).toBeNull();
    expect(validateHostConfig({ plugins: [], admin: { host: '0.0.0.0', enabled: false } }).admin.enabled).toBe(false);
  });

  it('never echoes a rejected token', () => {
    const e = errorOf({ plugins: [], admin: { token: 'short secret' } });
    expect(e.field).toBe('admin.token');
    expect(e.message).not.toContain('short secret');
  });

  it('deep-copies plugin options so later changes to the input do not leak in', () => {
    const options = { nested: { n: 1 } };
    const config = validateHostConfig({ plugins: [{ module: 'x', options }] });
    options.nested.n = 2;
    expect(config.plugins[0]!.options).toEqual({ nested: { n: 1 } });
  });

  it('reads "Infinity" in a subsystems section as Infinity (as the admin API writes it), and keeps Infinity given in code', () => {
    const config = validateHostConfig({
      plugins: [],
      subsystems: {
        resilience: {
          strategies: { db: { timeout: { attemptTimeoutMs: 'Infinity' }, bulkhead: { queueTimeoutMs: Infinity } } },
        },
      },
    });
    expect(config.subsystems.resilience?.strategies?.db).toEqual({
      timeout: { attemptTimeoutMs: Infinity },
      bulkhead: { queueTimeoutMs: Infinity },
    });
    // Elsewhere "Infinity" stays a string and Infinity cannot be carried by JSON.
    expect(validateHostConfig({ plugins: [{ module: 'x', options: { a: 'Infinity' } }] }).plugins[0]!.options).toEqual({
      a: 'Infinity',
    });
    expect(errorOf({ plugins: [{ module: 'x', options: { a: Infinity } }] }).field).toBe('plugins[0].options.a');
  });

  it('names the field of a value nested too deeply instead of overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(errorOf({ plugins: [{ module: 'x', options: { deep } }] }).expected).toContain('nested at most 64 levels');
    expect(errorOf({ plugins: [], subsystems: { resilience: { adaptation: { deep } } } }).field).toMatch(
      /^subsystems\.resilience\.adaptation\.deep/,
    );
  });

  it('never throws anything but an InvalidConfigurationError for arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          validateHostConfig(value, 'f.json');
        } catch (e) {
          expect(isInvalidConfigurationError(e)).toBe(true);
          expect((e as { source?: string }).source).toBe('f.json');
        }
      }),
    );
  });
});
