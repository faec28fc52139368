import {
  ClockToken,
  FederatedMessageBusToken,
  InMemoryFederation,
  SdkCompatibility,
  SubsystemRegistryToken,
} from '@datawarehouse/sdk';
import type { Clock, IFederatedMessageBus, Logger, PluginContext } from '@datawarehouse/sdk';
import { HttpRouteTable } from '../admin/HttpRouteTable.js';
import { HostMessageBus } from '../bus/HostMessageBus.js';
import type { HostConfig } from '../config/HostConfig.js';
import { scopedLogger } from '../logging/scopedLogger.js';
import { LimitsTransaction } from '../registry/LimitsTransaction.js';
import { ServiceDirectory } from '../registry/ServiceDirectory.js';
import { ServiceRegistry } from '../registry/ServiceRegistry.js';
import { SubsystemRegistry } from '../registry/SubsystemRegistry.js';
import type { PluginRecord } from './PluginRecord.js';
import type { PluginScopes } from './PluginScopes.js';

/** Options of `CompositionRoot`. @since 6.0.0 */
export interface CompositionRootOptions {
  /** The validated configuration (`nodeId` names the embedded bus node). */
  readonly config: HostConfig;
  /** Time source of the plugins and the embedded federation. */
  readonly clock: Clock;
  /** The host's logger; each part gets a scoped child (`subsystems`, `bus`, the plugin's id). */
  readonly logger: Logger;
  /** Initial transport of the node's bus. Default: a node of a new in-memory federation. */
  readonly messageBus?: IFederatedMessageBus;
}

/**
 * The host's composition root: builds the subsystem registry and its limits transaction, the
 * service directory (a tsyringe child container of the global one) with a child container per
 * plugin, and the node's bus proxy over the given or embedded transport; publishes the host's
 * own services (`SubsystemRegistryToken`, `ClockToken`, `FederatedMessageBusToken`) and hands
 * each plugin its context (with its view of the HTTP route table). It runs nothing: `PluginLifecycle` decides when.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class CompositionRoot implements PluginScopes {
  /** The host's subsystem registry (plugins see a per-owner view of it). */
  readonly subsystems: SubsystemRegistry;
  /** Applies `subsystems` sections through {@link CompositionRoot.subsystems}, all or nothing. */
  readonly limits: LimitsTransaction;
  /** The root container and the record of who published what. */
  readonly services: ServiceDirectory;
  /** The node's bus as every plugin sees it. */
  readonly bus: HostMessageBus;
  /** The plugins' HTTP routes (`ctx.http`), served by the admin server. */
  readonly routes = new HttpRouteTable();
  private readonly config: HostConfig;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly federation: InMemoryFederation | undefined;

  /** Wires every part and publishes the host's services; starts nothing. */
  constructor(options: CompositionRootOptions) {
    this.config = options.config;
    this.clock = options.clock;
    this.logger = options.logger;
    this.subsystems = new SubsystemRegistry(scopedLogger(this.logger, 'subsystems'));
    this.limits = new LimitsTransaction(this.subsystems, scopedLogger(this.logger, 'subsystems'));
    this.services = new ServiceDirectory();
    let transport = options.messageBus;
    if (transport === undefined) {
      const busLogger = scopedLogger(this.logger, 'bus');
      this.federation = new InMemoryFederation({
        clock: this.clock,
        onHandlerError: (error, topic) => busLogger.warn('message handler failed', { topic, error }),
      });
      transport = this.federation.createNode(this.config.nodeId);
    }
    this.bus = new HostMessageBus(transport, scopedLogger(this.logger, 'bus'));
    this.services.publish('host', SubsystemRegistryToken, this.subsystems);
    this.services.publish('host', ClockToken, this.clock);
    this.services.publish('host', FederatedMessageBusToken, this.bus);
  }

  /** A service registry for `pluginId` whose child container resolves through the root. */
  createServices(pluginId: string): ServiceRegistry {
    return new ServiceRegistry(this.services, pluginId);
  }

  /** The plugin's context: the shared bus and clock, its own registries, logger and options. */
  createContext(record: PluginRecord): PluginContext {
    const id = record.plugin.id;
    return Object.freeze({
      pluginId: id,
      nodeId: this.config.nodeId,
      bus: this.bus,
      subsystems: this.subsystems.forOwner(id),
      services: record.services,
      logger: scopedLogger(this.logger, id),
      clock: this.clock,
      config: record.entry.options,
      provideMessageBus: (bus: IFederatedMessageBus) => this.bus.provide(bus, id),
      http: this.routes.forOwner(id),
    });
  }

  /** Withdraws the services, subsystems and HTTP routes `pluginId` registered (its open streams end). */
  withdraw(pluginId: string): void {
    this.routes.unregisterOwner(pluginId);
    this.services.withdrawAll(pluginId);
    this.subsystems.unregisterOwner(pluginId);
  }

  /** Disposes the bus and the embedded federation, and clears the service directory. */
  releaseAll(): void {
    this.bus.dispose();
    this.federation?.dispose();
    this.services.clear();
  }
}
