import { DashboardPlugin } from './DashboardPlugin.js';

/**
 * The plugin factory the host calls with the entry's `options`.
 * @throws `InvalidConfigurationError` naming the bad option and its value.
 * @example
 * ```ts
 * const plugin = createPlugin({ intervalMs: 1000, maxStreams: 8 });
 * ```
 * @since 6.1.0
 */
export function createPlugin(options: Readonly<Record<string, unknown>> = {}): DashboardPlugin {
  return new DashboardPlugin(options);
}
