import type { PluginContext } from '@datawarehouse/sdk';
import type { ServiceRegistry } from '../registry/ServiceRegistry.js';
import type { PluginRecord } from './PluginRecord.js';

/**
 * What the plugin lifecycle needs of the composition root: a scope per plugin (its service
 * registry and context), withdrawal of a plugin's registrations, and release of the host's
 * shared parts. `CompositionRoot` implements it; `PluginLifecycle` only calls it,
 * so sequencing never depends on how the host is wired.
 * @since 6.0.0
 */
export interface PluginScopes {
  /** A new service registry for plugin `pluginId` (its own child container). */
  createServices(pluginId: string): ServiceRegistry;
  /** The frozen context handed to the plugin's `initializeAsync`. */
  createContext(record: PluginRecord): PluginContext;
  /** Withdraws every service and subsystem plugin `pluginId` registered. */
  withdraw(pluginId: string): void;
  /** Disposes the bus (and the embedded federation) and clears the service directory; idempotent. */
  releaseAll(): void;
}
