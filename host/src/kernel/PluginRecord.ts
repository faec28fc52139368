import type { IPlugin } from '@datawarehouse/sdk';
import type { PluginEntry } from '../config/HostConfig.js';
import type { ServiceRegistry } from '../registry/ServiceRegistry.js';

/**
 * Lifecycle of a plugin inside the kernel: `loaded` → `initializing` → `initialized` →
 * `starting` → `running` → `stopping` → `stopped`, or `failed` when a step threw or timed out.
 * @since 6.0.0
 */
export type PluginState =
  'loaded' | 'initializing' | 'initialized' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** What the kernel reports about one plugin. @since 6.0.0 */
export interface PluginInfo {
  readonly id: string;
  readonly version: string;
  readonly sdkVersion: string;
  readonly module: string;
  readonly dependencies: readonly string[];
  readonly state: PluginState;
}

/** The kernel's bookkeeping for one plugin. */
export interface PluginRecord {
  readonly plugin: IPlugin;
  readonly entry: PluginEntry;
  readonly index: number;
  readonly services: ServiceRegistry;
  state: PluginState;
  /**
   * Set when its `startAsync` threw or timed out: `settled` tells whether that start is over,
   * `done` resolves when it is (never rejects). Such a plugin is still stopped.
   */
  failedStart?: { readonly settled: boolean; readonly done: Promise<void> } | undefined;
}

/** The public view of a record. */
export function toPluginInfo(r: PluginRecord): PluginInfo {
  return {
    id: r.plugin.id,
    version: r.plugin.version,
    sdkVersion: r.plugin.sdkVersion,
    module: r.entry.module,
    dependencies: [...(r.plugin.dependencies ?? [])],
    state: r.state,
  };
}
