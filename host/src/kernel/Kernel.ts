import {
  ClockToken, FederatedMessageBusToken, InMemoryFederation, SDK_VERSION,
  SdkCompatibility, SubsystemRegistryToken, silentLogger, systemClock,
} from '@datawarehouse/sdk';
import type {
  Clock, DataWarehouseError, IFederatedMessageBus, Logger, PluginContext, ScalingLimits, ServiceToken, TimerHandle,
} from '@datawarehouse/sdk';
import { HostMessageBus } from '../bus/HostMessageBus.js';
import type { HostConfig, HostConfigInput } from '../config/HostConfig.js';
import { validateHostConfig } from '../config/validateHostConfig.js';
import { scopedLogger } from '../logging/scopedLogger.js';
import { ServiceDirectory } from '../registry/ServiceDirectory.js';
import { ServiceRegistry } from '../registry/ServiceRegistry.js';
import { LimitsTransaction } from '../registry/LimitsTransaction.js';
import { SubsystemRegistry } from '../registry/SubsystemRegistry.js';
import { DuplicatePluginError, KernelStateError, PluginInitFailedError, PluginStartFailedError, describeCause, PluginStartupTimeoutError } from './errors.js';
import { runWithTimeout } from './runWithTimeout.js';
import { orderPlugins } from './orderPlugins.js';
import { stopPluginAsync } from './stopPluginAsync.js';
import { PluginLoader } from './PluginLoader.js';
import type { ModuleImporter } from './PluginLoader.js';
import type { KernelHealth, KernelState, ShutdownReport } from './KernelHealth.js';
import { toPluginInfo } from './PluginRecord.js';
import type { PluginInfo, PluginRecord } from './PluginRecord.js';

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
  readonly config: HostConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly subsystems: SubsystemRegistry;
  readonly services: ServiceDirectory;
  readonly bus: HostMessageBus;
  private readonly loader: PluginLoader;
  private readonly limits: LimitsTransaction;
  private readonly source: string | undefined;
  private readonly federation: InMemoryFederation | undefined;
  private records: PluginRecord[] = [];
  private current: KernelState = 'created';
  private startedAt = 0;
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<ShutdownReport> | undefined;
  private stopRequested = false;
  private failureReport: ShutdownReport | undefined;

  /** @throws {@link InvalidConfigurationError} when the configuration is invalid. */
  constructor(options: KernelOptions) {
    this.config = validateHostConfig(options.config, options.source);
    this.source = options.source;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.loader = new PluginLoader({ baseDir: options.baseDir, importModule: options.importModule, source: options.source });
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

  /** The kernel's lifecycle state. */
  get state(): KernelState {
    return this.current;
  }

  /** The loaded plugins in start order, with their states. */
  get plugins(): readonly PluginInfo[] {
    return this.records.map(toPluginInfo);
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
    if (this.current !== 'created') return Promise.reject(new KernelStateError('start', this.current));
    this.current = 'starting';
    this.startedAt = this.clock.now();
    this.startPromise = this.runStartup();
    return this.startPromise;
  }

  /**
   * Stops every initialized plugin in reverse start order, each bounded by
   * `shutdownTimeoutMs`; withdraws their services and subsystems; closes the bus. Never
   * throws: failures and timeouts are logged and returned. Idempotent.
   */
  stopAsync(): Promise<ShutdownReport> {
    if (this.stopPromise !== undefined) return this.stopPromise;
    if (this.current === 'starting') {
      // Let startup notice the request between two plugins, then shut down what it reached.
      this.stopRequested = true;
      this.stopPromise = (this.startPromise ?? Promise.resolve()).then(noop, noop).then(() => this.shutdown());
      return this.stopPromise;
    }
    this.stopPromise = this.shutdown();
    return this.stopPromise;
  }

  /**
   * Applies a `subsystems` section (from the configuration or a reload) through the
   * registry, declaratively and all or nothing (see {@link LimitsTransaction}): the section's
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
    return this.limits.applyAsync(section, source);
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
    return {
      status: this.current === 'running' ? 'ok' : this.current,
      nodeId: this.config.nodeId,
      sdkVersion: SDK_VERSION,
      uptimeMs: this.current === 'created' ? 0 : Math.max(0, Math.round(this.clock.now() - this.startedAt)),
      plugins: this.plugins,
      subsystems: this.subsystems.names(),
      bus: { transport: this.bus.providedBy ?? 'in-memory', connectionState: this.bus.connectionState },
    };
  }

  private async runStartup(): Promise<void> {
    try {
      const loaded = [];
      const seen = new Map<string, number>();
      for (const [index, entry] of this.config.plugins.entries()) {
        if (!entry.enabled) continue;
        const l = await this.loader.loadAsync(entry, index);
        const first = seen.get(l.plugin.id);
        if (first !== undefined) throw new DuplicatePluginError(l.plugin.id, first, index);
        seen.set(l.plugin.id, index);
        loaded.push(l);
        this.logger.debug('plugin loaded', { plugin: l.plugin.id, version: l.plugin.version, module: entry.module });
      }
      const ordered = orderPlugins(loaded.map((l) => ({ ...l, id: l.plugin.id, dependencies: l.plugin.dependencies })));
      this.records = ordered.map((l) => ({
        plugin: l.plugin, entry: l.entry, index: l.index, services: new ServiceRegistry(this.services, l.plugin.id), state: 'loaded',
      }));
      for (const r of this.records) {
        this.checkStopRequested();
        r.state = 'initializing';
        try {
          const ctx = this.createContext(r);
          await runWithTimeout(() => r.plugin.initializeAsync(ctx), this.clock, this.config.startupTimeoutMs,
            () => new PluginStartupTimeoutError(r.plugin.id, 'initializeAsync', this.config.startupTimeoutMs));
        } catch (e) {
          r.state = 'failed';
          throw new PluginInitFailedError(r.plugin.id, e);
        }
        r.state = 'initialized';
        this.logger.info('plugin initialized', { plugin: r.plugin.id, version: r.plugin.version });
      }
      await this.applySubsystemLimitsAsync(this.config.subsystems);
      for (const r of this.records) {
        this.checkStopRequested();
        r.state = 'starting';
        const start = Promise.resolve().then(() => r.plugin.startAsync?.());
        // Tracked before the race subscribes, so `settled` is already true when a throwing start
        // is caught below; a timed-out start is still running and is stopped once it settles.
        const tracker = { settled: false, done: Promise.resolve() };
        const settle = (): void => { tracker.settled = true; };
        tracker.done = start.then(settle, settle);
        try {
          await runWithTimeout(() => start, this.clock, this.config.startupTimeoutMs,
            () => new PluginStartupTimeoutError(r.plugin.id, 'startAsync', this.config.startupTimeoutMs));
        } catch (e) {
          r.state = 'failed';
          r.failedStart = tracker;
          throw new PluginStartFailedError(r.plugin.id, e);
        }
        r.state = 'running';
      }
      this.checkStopRequested();
      this.current = 'running';
      this.logger.info('host started', { nodeId: this.config.nodeId, plugins: this.records.map((r) => r.plugin.id) });
    } catch (e) {
      this.logger.error('host startup failed; stopping what was started', { error: describeCause(e) });
      this.failureReport = await this.stopPlugins();
      this.releaseAll();
      // A stop requested during startup is an orderly shutdown, not a failure of the host.
      this.current = this.stopRequested ? 'stopped' : 'failed';
      throw e;
    }
  }

  private checkStopRequested(): void {
    if (this.stopRequested) throw new KernelStateError('continue starting', 'stopping');
  }

  private createContext(r: PluginRecord): PluginContext {
    const id = r.plugin.id;
    return Object.freeze({
      pluginId: id,
      nodeId: this.config.nodeId,
      bus: this.bus,
      subsystems: this.subsystems.forOwner(id),
      services: r.services,
      logger: scopedLogger(this.logger, id),
      clock: this.clock,
      config: r.entry.options,
      provideMessageBus: (bus: IFederatedMessageBus) => this.bus.provide(bus, id),
    });
  }

  private async shutdown(): Promise<ShutdownReport> {
    if (this.current === 'created' || this.current === 'failed' || this.current === 'stopped') {
      // Nothing runs: never started, or a failed startup already stopped what it had started.
      this.releaseAll();
      if (this.current === 'created') this.current = 'stopped';
      return this.failureReport ?? { stopped: [], errors: [] };
    }
    this.current = 'stopping';
    this.logger.info('host stopping');
    const report = await this.stopPlugins();
    this.releaseAll();
    this.current = 'stopped';
    this.logger.info('host stopped', { stopped: report.stopped, errors: report.errors.length });
    return report;
  }

  /** Stops, in reverse order, every plugin whose `initializeAsync` completed. */
  private async stopPlugins(): Promise<ShutdownReport> {
    const stopped: string[] = [];
    const errors: DataWarehouseError[] = [];
    for (const r of [...this.records].reverse()) {
      if (r.state === 'loaded' || r.state === 'stopped') continue;
      const failedStart = r.state === 'failed' ? r.failedStart : undefined;
      if (failedStart !== undefined && !failedStart.settled) {
        // Its start timed out and still runs: stopping it now would race that start, and
        // waiting here would hold up the failure report; it is stopped once the start settles.
        this.withdraw(r);
        void this.stopAfterStartSettlesAsync(r, failedStart.done);
        continue;
      }
      if (failedStart === undefined && (r.state === 'failed' || r.state === 'initializing')) {
        // Its initializeAsync failed (or a stop already failed); only its registrations are withdrawn.
        this.withdraw(r);
        continue;
      }
      // Running, initialized, or whose startAsync threw: its initializeAsync may hold resources.
      r.failedStart = undefined;
      r.state = 'stopping';
      const error = await stopPluginAsync(r.plugin, this.clock, this.config.shutdownTimeoutMs);
      this.withdraw(r);
      if (error === undefined) {
        r.state = 'stopped';
        stopped.push(r.plugin.id);
      } else {
        r.state = 'failed';
        errors.push(error);
        this.logger.error(error.message, { plugin: r.plugin.id, code: error.code });
      }
    }
    return { stopped, errors };
  }

  /**
   * Stops a plugin whose `startAsync` timed out once that start settles; waits for it at most
   * `shutdownTimeoutMs` (then stops it anyway), and bounds the stop by `shutdownTimeoutMs` too.
   */
  private async stopAfterStartSettlesAsync(r: PluginRecord, settled: Promise<void>): Promise<void> {
    r.failedStart = undefined;
    let timer: TimerHandle | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(resolve, this.config.shutdownTimeoutMs);
    });
    await Promise.race([settled, waited]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    r.state = 'stopping';
    const error = await stopPluginAsync(r.plugin, this.clock, this.config.shutdownTimeoutMs);
    this.withdraw(r);
    if (error === undefined) {
      r.state = 'stopped';
      this.logger.info('plugin stopped after its timed-out start settled', { plugin: r.plugin.id });
    } else {
      r.state = 'failed';
      this.logger.error(error.message, { plugin: r.plugin.id, code: error.code });
    }
  }

  private withdraw(r: PluginRecord): void {
    this.services.withdrawAll(r.plugin.id);
    this.subsystems.unregisterOwner(r.plugin.id);
  }

  private releaseAll(): void {
    this.bus.dispose();
    this.federation?.dispose();
    this.services.clear();
  }
}

function noop(): void {}
