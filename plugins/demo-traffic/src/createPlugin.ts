import { DemoTrafficPlugin } from './DemoTrafficPlugin.js';

/**
 * The plugin factory the host calls with the entry's `options`.
 * @throws {@link InvalidConfigurationError} naming the bad option.
 * @example
 * ```ts
 * const plugin = createPlugin({ strategies: ['default'], requestsPerSecond: 20 });
 * ```
 */
export function createPlugin(options: Readonly<Record<string, unknown>> = {}): DemoTrafficPlugin {
  return new DemoTrafficPlugin(options);
}
