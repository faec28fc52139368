import { SdkCompatibility, silentLogger, systemClock } from '@datawarehouse/sdk';
import type { Clock, IFederatedMessageBus, Logger, ScalingLimits, ServiceToken } from '@datawarehouse/sdk';
import type { HttpRouteTable } from '../admin/HttpRouteTable.js';
import type { HostMessageBus } from '../bus/HostMessageBus.js';
import type { HostConfig, HostConfigInput } from '../config/HostConfig.js';
import { validateHostConfig } from '../config/validateHostConfig.js';
import type { ServiceDirectory } from '../registry/ServiceDirectory.js';
import type { SubsystemRegistry } from '../registry/SubsystemRegistry.js';
import { CompositionRoot } from './CompositionRoot.js';
import { describeKernelHealth } from './describeKernelHealth.js';
import type { KernelHealth, KernelLiveness, KernelReadiness, KernelState, ShutdownReport } from './KernelHealth.js';
import { PluginLifecycle } from './PluginLifecycle.js';
import { PluginLoader } from './PluginLoader.js';
import type { ModuleImporter } from './PluginLoader.js';
import type { PluginInfo } from './PluginRecord.js';

/** Options of {@link Kernel}. @since 6.0.0 */
export interface KernelOptions {
  /** The configuration (validated again here, so a plain object literal is fine). */
  readonly config: HostConfig | HostConfigInput;
  /** Path of the configuration file, named by configuration errors. */
  readonly source?: string;
  /** Folder relative plugin specifiers resolve against. Default `process.cwd()`. */
  readonly baseDir?: string;
  /** Time source for plugins and shutdown timeouts. Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Host and plugin logs (plugins get a scoped child). Default: silent. */
  readonly logger?: Logger;
  /** Module importer (tests). Default: native `import()`. */
  readonly importModule?: ModuleImporter;
  /** Initial transport of the node's bus. Default: a node of a new in-memory federation. */
  readonly messageBus?: IFederatedMessageBus;
}

/**
 * The microkernel: loads the configured plugins, checks their SDK versions, orders them by
 * dependency, runs every `initializeAsync` then every `startAsync` in that order, and
 * `stopAsync` in reverse (each bounded by `shutdownTimeoutMs`) on shutdown; each
 * `initializeAsync` and `startAsync` is bounded by `startupTimeoutMs`. If any step of
 * startup fails, everything already initialized is stopped and the coded error is thrown:
 * the host never runs half-started.
 *
 * A facade: the `CompositionRoot` wires the registries, containers, contexts and bus;
 * the `PluginLifecycle` sequences the plugins; `describeKernelHealth` reports.
 *
 * @example
 * ```ts
 * const kernel = new Kernel({ config: { plugins: [{ module: '@datawarehouse/plugin-ultimate-resilience' }] } });
 * await kernel.startAsync();
 * await kernel.subsystems.reconfigureAsync('resilience', { maxConcurrentOperations: 16 });
 * await kernel.stopAsync();
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class Kernel {
  /** The validated configuration. */
  readonly config: HostConfig;
  /** Time source of the host and its plugins. */
  readonly clock: Clock;
  /** The host's logger. */
  readonly logger: Logger;
  /** Every registered subsystem; reconfigure them here. */
  readonly subsystems: SubsystemRegistry;
  /** The services published by the host and its plugins. */
  readonly services: ServiceDirectory;
  /** The node's bus as every plugin sees it. */
  readonly bus: HostMessageBus;
  /** The plugins' HTTP routes (each plugin's `ctx.http`), served by the admin server. @since 6.1.0 */
  readonly routes: HttpRouteTable;
  private readonly root: CompositionRoot;
  private readonly lifecycle: PluginLifecycle;
  private readonly source: string | undefined;
  private drainingSince: number | undefined;

  /** @throws {@link InvalidConfigurationError} when the configuration is invalid. */
  constructor(options: KernelOptions) {
    this.config = validateHostConfig(options.config, options.source);
    this.source = options.source;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.root = new CompositionRoot({
      config: this.config,
      clock: this.clock,
      logger: this.logger,
      ...(options.messageBus !== undefined && { messageBus: options.messageBus }),
    });
    this.subsystems = this.root.subsystems;
    this.services = this.root.services;
    this.bus = this.root.bus;
    this.routes = this.root.routes;
    this.lifecycle = new PluginLifecycle({
      config: this.config,
      loader: new PluginLoader({
        baseDir: options.baseDir,
        importModule: options.importModule,
        source: options.source,
      }),
      scopes: this.root,
      clock: this.clock,
      logger: this.logger,
      afterInitializeAsync: () => this.applySubsystemLimitsAsync(this.config.subsystems),
    });
  }

  /** The kernel's lifecycle state. */
  get state(): KernelState {
    return this.lifecycle.state;
  }

  /** The loaded plugins in start order, with their states. */
  get plugins(): readonly PluginInfo[] {
    return this.lifecycle.plugins;
  }

  /**
   * Loads, initializes and starts every configured plugin. On failure, stops what was
   * initialized (in reverse) and rethrows the coded error; the kernel is then `failed`.
   * @throws {@link PluginLoadFailedError}, {@link PluginInvalidError},
   * {@link PluginIncompatibleSdkError}, {@link DuplicatePluginError},
   * {@link PluginMissingDependencyError}, {@link PluginDependencyCycleError},
   * {@link PluginInitFailedError}, {@link PluginStartFailedError},
   * {@link InvalidConfigurationError} (plugin options, `subsystems` limits),
   * `ERR_SUBSYSTEM_NOT_FOUND` (a `subsystems` entry nobody registered), {@link KernelStateError}.
   */
  startAsync(): Promise<void> {
    return this.lifecycle.startAsync();
  }

  /**
   * Stops every initialized plugin in reverse start order, each bounded by
   * `shutdownTimeoutMs`; withdraws their services and subsystems; closes the bus. Never
   * throws: failures and timeouts are logged and returned. Idempotent.
   */
  stopAsync(): Promise<ShutdownReport> {
    this.drain();
    return this.lifecycle.stopAsync();
  }

  /**
   * Marks the node as draining: `readiness()` answers not ready from now on (a load balancer
   * takes the node out) while everything keeps running. `stopAsync` drains first. Idempotent.
   * @since 6.1.0
   */
  drain(): void {
    this.drainingSince ??= this.clock.now();
  }

  /** Whether {@link Kernel.drain} (or `stopAsync`) was called. @since 6.1.0 */
  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /**
   * Readiness as `GET /readyz` reports it: ready while the kernel runs, every plugin is
   * `running`, the node is not draining, and (with `admin.probes.requireBus`) the bus is
   * `connected`; otherwise the reasons.
   * @since 6.1.0
   */
  readiness(): KernelReadiness {
    const reasons: string[] = [];
    const state = this.lifecycle.state;
    if (state !== 'running') reasons.push(`host ${state}`);
    if (this.drainingSince !== undefined && state === 'running') reasons.push('draining');
    for (const p of this.lifecycle.plugins) if (p.state !== 'running') reasons.push(`plugin ${p.id} ${p.state}`);
    const connection = this.bus.connectionState;
    if (this.config.admin.probes.requireBus && connection !== 'connected') reasons.push(`bus ${connection}`);
    return { ready: reasons.length === 0, reasons };
  }

  /**
   * Liveness as `GET /livez` reports it: live unless startup failed (`failed`: the process
   * should be restarted). A stopping or draining host is still live.
   * @since 6.1.0
   */
  liveness(): KernelLiveness {
    const state = this.lifecycle.state;
    return { live: state !== 'failed', status: state };
  }

  /**
   * Applies a `subsystems` section (from the configuration or a reload) through the
   * registry, declaratively and all or nothing (see `LimitsTransaction`): the section's
   * fields are set, fields the previous section set and this one drops go back to their value
   * from before the first section, everything is validated first, and a subsystem refusing
   * its part leaves every subsystem exactly as it was. Resolves to the limits now in force by name.
   * @throws {@link InvalidConfigurationError} with the field prefixed `subsystems.<name>.`,
   * or `ERR_SUBSYSTEM_NOT_FOUND`; the subsystems are then as they were (a restore that itself
   * fails is logged).
   */
  applySubsystemLimitsAsync(
    section: Readonly<Record<string, Partial<ScalingLimits>>>,
    source: string | undefined = this.source,
  ): Promise<Record<string, ScalingLimits>> {
    return this.root.limits.applyAsync(section, source);
  }

  /**
   * Resolves a published service from the host's root container.
   * @throws `ERR_SERVICE_NOT_FOUND` when nothing is published under `token`.
   */
  resolve<T>(token: ServiceToken<T>): T {
    return this.services.resolve(token);
  }

  /** The kernel's state for health checks. */
  health(): KernelHealth {
    return describeKernelHealth({
      lifecycle: this.lifecycle,
      nodeId: this.config.nodeId,
      clock: this.clock,
      subsystems: this.subsystems,
      bus: this.bus,
    });
  }
}
