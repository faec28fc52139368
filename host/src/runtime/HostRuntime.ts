import { SdkCompatibility, silentLogger, systemClock } from '@datawarehouse/sdk';
import type { Clock, Logger } from '@datawarehouse/sdk';
import { AdminServer } from '../admin/AdminServer.js';
import { ConfigReloader } from '../config/ConfigReloader.js';
import type { ReloadOutcome, ReloadTrigger } from '../config/ConfigReloader.js';
import { REDIS_PLUGIN_MODULE } from '../config/environmentOverrides.js';
import { loadHostConfig } from '../config/loadHostConfig.js';
import type { HostConfigOverrides } from '../config/loadHostConfig.js';
import { Kernel } from '../kernel/Kernel.js';
import type { ShutdownReport } from '../kernel/KernelHealth.js';
import type { ModuleImporter } from '../kernel/PluginLoader.js';
import { scopedLogger } from '../logging/scopedLogger.js';
import { StatusReporter } from '../status/StatusReporter.js';

const STATUS_PREFIX = /^\[status\] /;

/** Options of {@link HostRuntime.startAsync}. @since 6.0.0 */
export interface HostRuntimeOptions {
  /** Path of the JSON configuration file. */
  readonly configPath: string;
  /** Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Receives status lines (each prefixed `[status] `). Default: none printed. */
  readonly statusWrite?: (line: string) => void;
  /**
   * Receives status lines as `info` entries instead (no prefix; the CLI passes its logger's
   * `status` child, so they follow `--log-format`). Takes precedence over `statusWrite`.
   * @since 6.1.0
   */
  readonly statusLogger?: Logger;
  /** Reload when the file changes. Default `true`. */
  readonly watchConfig?: boolean;
  /**
   * Overrides `admin.token` (the CLI passes `DW_ADMIN_TOKEN`), so the secret can stay out of
   * the file; it is merged before the file is validated, so it also satisfies the token a
   * non-loopback `admin.host` requires (at startup and on every reload).
   */
  readonly adminToken?: string;
  /**
   * The other overrides from outside the file (`adminPort`, `redisUrl`; the CLI passes
   * `hostConfigOverridesFromEnv(process.env)`), applied at startup and on every reload.
   * @since 6.1.0
   */
  readonly overrides?: Omit<HostConfigOverrides, 'adminToken'>;
  /** Module importer (tests). Default: native `import()`. */
  readonly importModule?: ModuleImporter;
}

/**
 * A running host as the CLI runs it: the {@link Kernel} started from a configuration file,
 * the admin API (with the plugins' routes and the probes), periodic status lines and
 * configuration reloads. The CLI only adds process
 * signals on top, so tests can run all of it in-process.
 *
 * @example
 * ```ts
 * const host = await HostRuntime.startAsync({ configPath: 'dw.config.json', logger });
 * console.log(host.adminUrl);
 * await host.stopAsync();
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class HostRuntime {
  private stopping: Promise<ShutdownReport> | undefined;

  /** Use {@link HostRuntime.startAsync}; this only assembles already-started parts. */
  constructor(
    readonly kernel: Kernel,
    readonly reloader: ConfigReloader,
    private readonly admin: AdminServer | undefined,
    private readonly status: StatusReporter | undefined,
    /** URL of the admin API (`undefined` when disabled). */
    readonly adminUrl: string | undefined,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Loads the configuration and starts everything; on any failure, stops what was started
   * and rethrows the coded error.
   * @throws {@link InvalidConfigurationError} (the file), the kernel's startup errors, or
   * the admin server's listen error.
   */
  static async startAsync(options: HostRuntimeOptions): Promise<HostRuntime> {
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    const adminToken = options.adminToken;
    const overrides = options.overrides ?? {};
    const loaded = await loadHostConfig(options.configPath, {
      ...overrides,
      ...(adminToken !== undefined && { adminToken }),
    });
    const config = loaded.config;
    if (
      overrides.redisUrl !== undefined &&
      !config.plugins.some((p) => p.enabled && p.module === REDIS_PLUGIN_MODULE)
    ) {
      logger.warn('DW_REDIS_URL is set but no enabled plugin entry loads the Redis federation; ignored', {
        module: REDIS_PLUGIN_MODULE,
      });
    }
    const kernel = new Kernel({
      config,
      source: loaded.path,
      baseDir: loaded.baseDir,
      clock,
      logger,
      importModule: options.importModule,
    });
    await kernel.startAsync();
    let admin: AdminServer | undefined;
    let adminUrl: string | undefined;
    try {
      if (config.admin.enabled) {
        admin = new AdminServer({
          ...config.admin,
          publicProbes: config.admin.probes.public,
          backend: kernel,
          logger: scopedLogger(logger, 'admin'),
        });
        adminUrl = await admin.listenAsync();
      }
    } catch (e) {
      await admin?.closeAsync();
      await kernel.stopAsync();
      throw e;
    }
    const statusLogger = options.statusLogger;
    const write =
      statusLogger !== undefined
        ? (line: string) => statusLogger.info(line.replace(STATUS_PREFIX, ''))
        : options.statusWrite;
    const status =
      config.statusIntervalMs > 0 && write !== undefined
        ? new StatusReporter({ registry: kernel.subsystems, clock, intervalMs: config.statusIntervalMs, write, logger })
        : undefined;
    status?.start();
    const reloader = new ConfigReloader({
      path: loaded.path,
      initial: config,
      initialDigest: loaded.digest,
      apply: (section, source) => kernel.applySubsystemLimitsAsync(section, source),
      ...(adminToken !== undefined && { adminToken }),
      overrides,
      clock,
      logger: scopedLogger(logger, 'config'),
    });
    if (options.watchConfig !== false) reloader.watch();
    return new HostRuntime(kernel, reloader, admin, status, adminUrl, clock);
  }

  /** Re-reads the configuration file and applies its `subsystems` section (SIGHUP). */
  reloadAsync(trigger: ReloadTrigger = 'manual'): Promise<ReloadOutcome> {
    return this.reloader.reloadAsync(trigger);
  }

  /**
   * Drains (`GET /readyz` answers 503) for `drainDelayMs`, stops status lines and reloads, stops
   * the kernel — the admin API still answers meanwhile, so probes and scrapes see the node
   * stopping — then closes the admin API (open streams end). Idempotent; never throws.
   */
  stopAsync(): Promise<ShutdownReport> {
    this.stopping ??= (async () => {
      this.kernel.drain();
      const delay = this.kernel.config.drainDelayMs;
      if (delay > 0 && this.kernel.state === 'running') {
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delay));
      }
      this.status?.stop();
      this.reloader.close();
      try {
        return await this.kernel.stopAsync();
      } finally {
        await this.admin?.closeAsync();
      }
    })();
    return this.stopping;
  }
}
