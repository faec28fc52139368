import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SdkCompatibility } from '@datawarehouse/sdk';
import type { PluginEntry } from '../config/HostConfig.js';
import { PluginLoader } from './PluginLoader.js';

const entry = (module: string, options: Record<string, unknown> = {}): PluginEntry => ({
  module,
  options,
  enabled: true,
});
const valid = (id = 'p') => ({ id, version: '1.0.0', sdkVersion: '6.0.0', async initializeAsync() {} });

describe('PluginLoader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dw-loader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('calls the default factory with the entry options', async () => {
    let seen: unknown;
    const loader = new PluginLoader({
      importModule: async () => ({
        default: (o: unknown) => {
          seen = o;
          return valid();
        },
      }),
    });
    const loaded = await loader.loadAsync(entry('m', { a: 1 }), 0);
    expect(loaded.plugin.id).toBe('p');
    expect(seen).toEqual({ a: 1 });
  });

  it('accepts a named createPlugin factory, and a default-exported plugin class', async () => {
    const named = new PluginLoader({ importModule: async () => ({ createPlugin: () => valid('named') }) });
    expect((await named.loadAsync(entry('m'), 0)).plugin.id).toBe('named');
    class Cls {
      readonly id = 'cls';
      readonly version = '1.0.0';
      readonly sdkVersion = '6.0.0';
      constructor(readonly options: unknown) {}
      async initializeAsync(): Promise<void> {}
    }
    const cls = new PluginLoader({ importModule: async () => ({ default: Cls }) });
    const plugin = (await cls.loadAsync(entry('m', { k: 2 }), 0)).plugin as unknown as Cls;
    expect(plugin).toBeInstanceOf(Cls);
    expect(plugin.options).toEqual({ k: 2 });
  });

  it('resolves relative specifiers against baseDir', async () => {
    const seen: string[] = [];
    const loader = new PluginLoader({
      baseDir: dir,
      importModule: async (s) => {
        seen.push(s);
        return { default: () => valid() };
      },
    });
    await loader.loadAsync(entry('./plugins/mine.js'), 0);
    expect(seen).toEqual([pathToFileURL(join(dir, 'plugins/mine.js')).href]);
  });

  it('falls back to resolving a bare specifier from baseDir', async () => {
    const pkg = join(dir, 'node_modules', 'dw-fallback-plugin');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'dw-fallback-plugin', main: 'index.js' }));
    writeFileSync(join(pkg, 'index.js'), '');
    const seen: string[] = [];
    const loader = new PluginLoader({
      baseDir: dir,
      importModule: async (s) => {
        seen.push(s);
        if (s === 'dw-fallback-plugin')
          throw Object.assign(new Error('Cannot find package'), { code: 'ERR_MODULE_NOT_FOUND' });
        return { default: () => valid() };
      },
    });
    await loader.loadAsync(entry('dw-fallback-plugin'), 0);
    expect(seen).toEqual(['dw-fallback-plugin', pathToFileURL(join(pkg, 'index.js')).href]);
  });

  it('reports an unresolvable module as ERR_PLUGIN_LOAD_FAILED with the specifier and index', async () => {
    const loader = new PluginLoader({ baseDir: dir });
    await expect(loader.loadAsync(entry('@datawarehouse/no-such-plugin'), 3)).rejects.toMatchObject({
      code: 'ERR_PLUGIN_LOAD_FAILED',
      specifier: '@datawarehouse/no-such-plugin',
      index: 3,
    });
  });

  it('reports a factory that throws as ERR_PLUGIN_LOAD_FAILED with the cause', async () => {
    const loader = new PluginLoader({
      importModule: async () => ({
        default: () => {
          throw new Error('no db');
        },
      }),
    });
    const e = await loader.loadAsync(entry('m'), 0).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'ERR_PLUGIN_LOAD_FAILED' });
    expect((e as Error).message).toContain('no db');
  });

  it('names the option field and the file when the factory rejects its options', async () => {
    const { InvalidConfigurationError } = await import('@datawarehouse/sdk');
    const loader = new PluginLoader({
      source: '/etc/dw.json',
      importModule: async () => ({
        default: () => {
          throw new InvalidConfigurationError('rate', -1, 'a number >= 0');
        },
      }),
    });
    await expect(loader.loadAsync(entry('m'), 1)).rejects.toMatchObject({
      code: 'ERR_INVALID_CONFIGURATION',
      field: 'plugins[1].options.rate',
      value: -1,
      source: '/etc/dw.json',
    });
  });

  it.each([
    ['no factory', {}, 'neither a default factory'],
    ['null plugin', { default: () => null }, 'returned null'],
    ['bad id', { default: () => ({ ...valid(), id: 'has space' }) }, "'id' must be"],
    ['bad version', { default: () => ({ ...valid(), version: 'one' }) }, "'version' must be a semver"],
    [
      'no initializeAsync',
      { default: () => ({ id: 'p', version: '1.0.0', sdkVersion: '6.0.0' }) },
      "'initializeAsync' must be a function",
    ],
    ['bad dependencies', { default: () => ({ ...valid(), dependencies: 'x' }) }, "'dependencies' must be an array"],
  ])('reports %s as ERR_PLUGIN_INVALID', async (_name, mod, text) => {
    const loader = new PluginLoader({ importModule: async () => mod });
    const e = await loader.loadAsync(entry('m'), 0).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'ERR_PLUGIN_INVALID', specifier: 'm' });
    expect((e as Error).message).toContain(text);
  });

  it('refuses an SDK of another major or a newer minor, and accepts an older minor of the same major', async () => {
    const load = (sdkVersion: string) =>
      new PluginLoader({ importModule: async () => ({ default: () => ({ ...valid(), sdkVersion }) }) }).loadAsync(
        entry('m'),
        0,
      );
    await expect(load('5.9.0')).rejects.toMatchObject({
      code: 'ERR_PLUGIN_INCOMPATIBLE_SDK',
      pluginSdkVersion: '5.9.0',
    });
    await expect(load('6.1.0')).rejects.toMatchObject({ code: 'ERR_PLUGIN_INCOMPATIBLE_SDK' });
    await expect(load('6.0.0')).resolves.toBeDefined();
  });

  it('checks the @SdkCompatibility decoration of the plugin class', async () => {
    @SdkCompatibility('5.0.0')
    class Old {
      readonly id = 'old';
      readonly version = '1.0.0';
      readonly sdkVersion = '6.0.0';
      async initializeAsync(): Promise<void> {}
    }
    const loader = new PluginLoader({ importModule: async () => ({ default: () => new Old() }) });
    const e = await loader.loadAsync(entry('m'), 0).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'ERR_PLUGIN_INCOMPATIBLE_SDK', pluginId: 'old', pluginSdkVersion: '5.0.0' });
    expect((e as Error).message).toContain('SDK 5.0.0');
    expect((e as Error).message).toContain('SDK 6.0.0');
  });
});
