import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Clock, Logger } from '@datawarehouse/sdk';
import type { HostConfig } from '../config/HostConfig.js';
import {
  DuplicatePluginError,
  KernelStateError,
  PluginInitFailedError,
  PluginStartFailedError,
  PluginStartupTimeoutError,
  describeCause,
} from './errors.js';
import type { KernelState, ShutdownReport } from './KernelHealth.js';
import { orderPlugins } from './orderPlugins.js';
import type { LoadedPlugin, PluginLoader } from './PluginLoader.js';
import { toPluginInfo } from './PluginRecord.js';
import type { PluginInfo, PluginRecord } from './PluginRecord.js';
import type { PluginScopes } from './PluginScopes.js';
import { runWithTimeout } from './runWithTimeout.js';
import { stopInReverseAsync } from './stopInReverseAsync.js';

/** Options of `PluginLifecycle`. @since 6.0.0 */
export interface PluginLifecycleOptions {
  /** The validated configuration: `plugins`, `nodeId`, `startupTimeoutMs`, `shutdownTimeoutMs`. */
  readonly config: HostConfig;
  /** Turns configuration entries into checked plugins. */
  readonly loader: PluginLoader;
  /** Per-plugin scopes and the host's shared parts (the composition root). */
  readonly scopes: PluginScopes;
  /** Clock of the startup and shutdown timeouts, and of `startedAt`. */
  readonly clock: Clock;
  /** Receives lifecycle events and failures. */
  readonly logger: Logger;
  /** Runs once every plugin is initialized, before any starts (the configured `subsystems` limits). */
  readonly afterInitializeAsync: () => Promise<unknown>;
}

/**
 * Sequences the plugins' lifecycle and owns the kernel's state: loads the enabled entries
 * (duplicate ids refused), orders them by dependency, runs every `initializeAsync` then every
 * `startAsync` in that order (each bounded by `startupTimeoutMs`), and stops them in reverse
 * on shutdown. If any step of startup fails, everything already initialized is stopped and the
 * coded error is rethrown; a stop requested during startup lets startup stop between two
 * plugins and shut down what it reached. Like avvio's boot queue, it knows nothing of what the
 * plugins are given: that is {@link PluginScopes}'.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class PluginLifecycle {
  private readonly options: PluginLifecycleOptions;
  private records: PluginRecord[] = [];
  private current: KernelState = 'created';
  private started = 0;
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<ShutdownReport> | undefined;
  private stopRequested = false;
  private failureReport: ShutdownReport | undefined;

  /** A lifecycle in state `created`; nothing is loaded until {@link PluginLifecycle.startAsync}. */
  constructor(options: PluginLifecycleOptions) {
    this.options = options;
  }

  /** The kernel's lifecycle state. */
  get state(): KernelState {
    return this.current;
  }

  /** When {@link PluginLifecycle.startAsync} was called, on the clock (0 before). */
  get startedAt(): number {
    return this.started;
  }

  /** The loaded plugins in start order, with their states. */
  get plugins(): readonly PluginInfo[] {
    return this.records.map(toPluginInfo);
  }

  /**
   * Loads, initializes and starts every enabled plugin (see the class).
   * @throws the loader's, ordering's and plugins' coded errors, or whatever
   * `afterInitializeAsync` throws; {@link KernelStateError} when not `created`.
   */
  startAsync(): Promise<void> {
    if (this.current !== 'created') return Promise.reject(new KernelStateError('start', this.current));
    this.current = 'starting';
    this.started = this.options.clock.now();
    this.startPromise = this.runStartup();
    return this.startPromise;
  }

  /**
   * Stops every initialized plugin in reverse start order and releases the host's shared
   * parts. Never throws: failures and timeouts are logged and returned. Idempotent.
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

  private async runStartup(): Promise<void> {
    const { config, logger } = this.options;
    try {
      const loaded = await this.loadAsync();
      const ordered = orderPlugins(loaded.map((l) => ({ ...l, id: l.plugin.id, dependencies: l.plugin.dependencies })));
      this.records = ordered.map((l) => ({
        plugin: l.plugin,
        entry: l.entry,
        index: l.index,
        services: this.options.scopes.createServices(l.plugin.id),
        state: 'loaded',
      }));
      for (const r of this.records) await this.initializeAsync(r);
      await this.options.afterInitializeAsync();
      for (const r of this.records) await this.startPluginAsync(r);
      this.checkStopRequested();
      this.current = 'running';
      logger.info('host started', { nodeId: config.nodeId, plugins: this.records.map((r) => r.plugin.id) });
    } catch (e) {
      logger.error('host startup failed; stopping what was started', { error: describeCause(e) });
      this.failureReport = await this.stopPlugins();
      this.options.scopes.releaseAll();
      // A stop requested during startup is an orderly shutdown, not a failure of the host.
      this.current = this.stopRequested ? 'stopped' : 'failed';
      throw e;
    }
  }

  /** Loads the enabled entries in configuration order, refusing a second plugin with the same id. */
  private async loadAsync(): Promise<LoadedPlugin[]> {
    const loaded: LoadedPlugin[] = [];
    const seen = new Map<string, number>();
    for (const [index, entry] of this.options.config.plugins.entries()) {
      if (!entry.enabled) continue;
      const l = await this.options.loader.loadAsync(entry, index);
      const first = seen.get(l.plugin.id);
      if (first !== undefined) throw new DuplicatePluginError(l.plugin.id, first, index);
      seen.set(l.plugin.id, index);
      loaded.push(l);
      this.options.logger.debug('plugin loaded', {
        plugin: l.plugin.id,
        version: l.plugin.version,
        module: entry.module,
      });
    }
    return loaded;
  }

  private async initializeAsync(r: PluginRecord): Promise<void> {
    const { clock, config, scopes } = this.options;
    this.checkStopRequested();
    r.state = 'initializing';
    try {
      const ctx = scopes.createContext(r);
      await runWithTimeout(
        () => r.plugin.initializeAsync(ctx),
        clock,
        config.startupTimeoutMs,
        () => new PluginStartupTimeoutError(r.plugin.id, 'initializeAsync', config.startupTimeoutMs),
      );
    } catch (e) {
      r.state = 'failed';
      throw new PluginInitFailedError(r.plugin.id, e);
    }
    r.state = 'initialized';
    this.options.logger.info('plugin initialized', { plugin: r.plugin.id, version: r.plugin.version });
  }

  private async startPluginAsync(r: PluginRecord): Promise<void> {
    const { clock, config } = this.options;
    this.checkStopRequested();
    r.state = 'starting';
    const start = Promise.resolve().then(() => r.plugin.startAsync?.());
    // Tracked before the race subscribes, so `settled` is already true when a throwing start
    // is caught below; a timed-out start is still running and is stopped once it settles.
    const tracker = { settled: false, done: Promise.resolve() };
    const settle = (): void => {
      tracker.settled = true;
    };
    tracker.done = start.then(settle, settle);
    try {
      await runWithTimeout(
        () => start,
        clock,
        config.startupTimeoutMs,
        () => new PluginStartupTimeoutError(r.plugin.id, 'startAsync', config.startupTimeoutMs),
      );
    } catch (e) {
      r.state = 'failed';
      r.failedStart = tracker;
      throw new PluginStartFailedError(r.plugin.id, e);
    }
    r.state = 'running';
  }

  private checkStopRequested(): void {
    if (this.stopRequested) throw new KernelStateError('continue starting', 'stopping');
  }

  private async shutdown(): Promise<ShutdownReport> {
    const { logger, scopes } = this.options;
    if (this.current === 'created' || this.current === 'failed' || this.current === 'stopped') {
      // Nothing runs: never started, or a failed startup already stopped what it had started.
      scopes.releaseAll();
      if (this.current === 'created') this.current = 'stopped';
      return this.failureReport ?? { stopped: [], errors: [] };
    }
    this.current = 'stopping';
    logger.info('host stopping');
    const report = await this.stopPlugins();
    scopes.releaseAll();
    this.current = 'stopped';
    logger.info('host stopped', { stopped: report.stopped, errors: report.errors.length });
    return report;
  }

  private stopPlugins(): Promise<ShutdownReport> {
    const { clock, config, logger, scopes } = this.options;
    return stopInReverseAsync(this.records, {
      clock,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      logger,
      withdraw: (id) => scopes.withdraw(id),
    });
  }
}

function noop(): void {}
