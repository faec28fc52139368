import { describe, expect, it } from 'vitest';
import { InvalidConfigurationError } from '@datawarehouse/sdk';
import { validateHostConfig } from './validateHostConfig.js';

// Edge cases of configuration validation found in review: values JSON cannot carry, hostile keys.

describe('validateHostConfig', () => {
  it('names the field (not a DataCloneError) for plugin options JSON cannot carry, e.g. a function given in code', () => {
    let error: unknown;
    try {
      validateHostConfig({ plugins: [{ module: 'x', options: { retryIf: () => true } }] }, 'inline');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    expect(error).toMatchObject({ field: 'plugins[0].options.retryIf', source: 'inline' });
  });
});

describe('validateHostConfig __proto__', () => {
  it('a `__proto__` subsystem key from the file is refused or kept as a key, never turned into a prototype', () => {
    const parsed: unknown = JSON.parse('{"plugins":[],"subsystems":{"__proto__":{"maxQueueDepth":1}}}');
    let config: ReturnType<typeof validateHostConfig> | undefined;
    try {
      config = validateHostConfig(parsed, 'dw.config.json');
    } catch (e) {
      expect(e).toMatchObject({ field: expect.stringContaining('subsystems') });
      return;
    }
    // Silently dropped from the section (Object.entries skips it) ...
    expect(Object.keys(config.subsystems)).toEqual(['__proto__']);
    // ... and it became the section's prototype.
    expect(Object.getPrototypeOf(config.subsystems)).toBe(Object.prototype);
  });
});

describe('validateHostConfig reserved keys', () => {
  it('refuses __proto__, constructor and prototype as keys of plugin options and strategy ids, naming the field', () => {
    const options: unknown = JSON.parse('{"plugins":[{"module":"x","options":{"a":{"__proto__":{"polluted":true}}}}]}');
    expect(() => validateHostConfig(options, 'f.json')).toThrow(
      expect.objectContaining({ field: 'plugins[0].options.a.__proto__', source: 'f.json' }),
    );
    expect(() => validateHostConfig({ plugins: [], subsystems: { constructor: { maxQueueDepth: 1 } } })).toThrow(
      expect.objectContaining({ field: 'subsystems.constructor' }),
    );
    const strategies: unknown = JSON.parse('{"plugins":[],"subsystems":{"r":{"strategies":{"prototype":{}}}}}');
    expect(() => validateHostConfig(strategies)).toThrow(
      expect.objectContaining({ field: 'subsystems.r.strategies.prototype' }),
    );
  });

  it('names a cycle or a class instance in plugin options instead of failing to clone', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => validateHostConfig({ plugins: [{ module: 'x', options: cyclic }] })).toThrow(
      expect.objectContaining({ field: 'plugins[0].options.self' }),
    );
    expect(() => validateHostConfig({ plugins: [{ module: 'x', options: { at: new Date(0) } }] })).toThrow(
      expect.objectContaining({ field: 'plugins[0].options.at' }),
    );
  });
});
