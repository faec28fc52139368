import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  InvalidConfigurationError,
  SDK_VERSION,
  SdkCompatibility,
  getSdkCompatibility,
  isSdkVersionCompatible,
} from '@datawarehouse/sdk';
import type { IPlugin } from '@datawarehouse/sdk';
import type { PluginEntry } from '../config/HostConfig.js';
import { PluginIncompatibleSdkError, PluginInvalidError, PluginLoadFailedError } from './errors.js';
import { validatePluginShape } from './validatePluginShape.js';

/** Imports a module by specifier or file URL. @since 6.0.0 */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

/** A plugin created from a configuration entry. @since 6.0.0 */
export interface LoadedPlugin {
  readonly plugin: IPlugin;
  readonly entry: PluginEntry;
  /** Index of the entry in the configuration's `plugins`. */
  readonly index: number;
}

/** Options of {@link PluginLoader}. @since 6.0.0 */
export interface PluginLoaderOptions {
  /** Folder relative specifiers resolve against (the configuration file's). Default `process.cwd()`. */
  readonly baseDir?: string;
  /** Module importer. Default: native dynamic `import()`. */
  readonly importModule?: ModuleImporter;
  /** Where an `InvalidConfigurationError` from a plugin factory is reported to come from (the config file). */
  readonly source?: string;
}

const nativeImport: ModuleImporter = (specifier) => import(specifier);

/**
 * Turns configuration entries into plugins: imports the module, calls its factory (default
 * export or named `createPlugin`; a default-exported plugin class is constructed), checks the
 * result is an `IPlugin`, and checks its SDK version against the host's.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class PluginLoader {
  private readonly baseDir: string;
  private readonly importModule: ModuleImporter;
  private readonly source: string | undefined;

  constructor(options: PluginLoaderOptions = {}) {
    this.baseDir = options.baseDir ?? process.cwd();
    this.importModule = options.importModule ?? nativeImport;
    this.source = options.source;
  }

  /**
   * Loads and checks one plugin.
   * @throws {@link PluginLoadFailedError} (import failed, factory threw),
   * {@link PluginInvalidError}, {@link PluginIncompatibleSdkError}, or
   * {@link InvalidConfigurationError} naming `plugins[i].options.<field>` when the factory
   * rejected its options.
   */
  async loadAsync(entry: PluginEntry, index: number): Promise<LoadedPlugin> {
    const mod = await this.importEntry(entry.module, index);
    const factory = pickFactory(mod);
    if (factory === undefined) {
      throw new PluginInvalidError(
        entry.module,
        index,
        "the module exports neither a default factory nor 'createPlugin'",
      );
    }
    let plugin: unknown;
    try {
      plugin = await factory(entry.options);
    } catch (e) {
      if (e instanceof InvalidConfigurationError) {
        throw new InvalidConfigurationError(
          `plugins[${index}].options.${e.field}`,
          e.value,
          e.expected,
          this.source ?? e.source,
        );
      }
      throw new PluginLoadFailedError(entry.module, index, e);
    }
    const reason = validatePluginShape(plugin);
    if (reason !== undefined) throw new PluginInvalidError(entry.module, index, reason);
    const p = plugin as IPlugin;
    checkSdk(p);
    return { plugin: p, entry, index };
  }

  private async importEntry(specifier: string, index: number): Promise<unknown> {
    if (isPathSpecifier(specifier)) {
      const url = specifier.startsWith('file:') ? specifier : pathToFileURL(resolve(this.baseDir, specifier)).href;
      try {
        return await this.importModule(url);
      } catch (e) {
        throw new PluginLoadFailedError(specifier, index, e);
      }
    }
    try {
      return await this.importModule(specifier);
    } catch (first) {
      if (!isModuleNotFound(first)) throw new PluginLoadFailedError(specifier, index, first);
      // Not visible from the host's own location: try from the configuration's folder,
      // where a deployment installs its plugins.
      let resolved: string;
      try {
        resolved = createRequire(join(this.baseDir, 'dw.config.json')).resolve(specifier);
      } catch {
        throw new PluginLoadFailedError(specifier, index, first);
      }
      try {
        return await this.importModule(pathToFileURL(resolved).href);
      } catch (e) {
        throw new PluginLoadFailedError(specifier, index, e);
      }
    }
  }
}

function isPathSpecifier(s: string): boolean {
  return s.startsWith('./') || s.startsWith('../') || s === '.' || s === '..' || s.startsWith('file:') || isAbsolute(s);
}

function isModuleNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    (e instanceof Error && /Cannot find (module|package)|Failed to load url/i.test(e.message))
  );
}

type Factory = (options: Readonly<Record<string, unknown>>) => unknown;

function pickFactory(mod: unknown): Factory | undefined {
  if (typeof mod !== 'object' || mod === null) return undefined;
  const m = mod as Record<string, unknown>;
  for (const candidate of [m.default, m.createPlugin]) {
    if (typeof candidate !== 'function') continue;
    const fn = candidate as { prototype?: { initializeAsync?: unknown } } & ((...args: unknown[]) => unknown);
    // A class whose instances are plugins is constructed rather than called.
    if (typeof fn.prototype?.initializeAsync === 'function') {
      const Ctor = candidate as new (options: Readonly<Record<string, unknown>>) => unknown;
      return (options) => new Ctor(options);
    }
    return fn as Factory;
  }
  return undefined;
}

function checkSdk(plugin: IPlugin): void {
  if (!isSdkVersionCompatible(plugin.sdkVersion, SDK_VERSION)) {
    throw new PluginIncompatibleSdkError(plugin.id, plugin.sdkVersion, SDK_VERSION);
  }
  const declared = getSdkCompatibility(plugin)?.sdkVersion;
  if (declared !== undefined && !isSdkVersionCompatible(declared, SDK_VERSION)) {
    throw new PluginIncompatibleSdkError(plugin.id, declared, SDK_VERSION);
  }
}
