import { SdkCompatibility, silentLogger, systemClock } from '@datawarehouse/sdk';
import type { Clock, Logger } from '@datawarehouse/sdk';
import { AdminServer } from '../admin/AdminServer.js';
import { ConfigReloader } from '../config/ConfigReloader.js';
import type { ReloadOutcome, ReloadTrigger } from '../config/ConfigReloader.js';
import { loadHostConfig } from '../config/loadHostConfig.js';
import { Kernel } from '../kernel/Kernel.js';
import type { ShutdownReport } from '../kernel/KernelHealth.js';
import type { ModuleImporter } from '../kernel/PluginLoader.js';
import { scopedLogger } from '../logging/scopedLogger.js';
import { StatusReporter } from '../status/StatusReporter.js';

/** Options of {@link HostRuntime.startAsync}. @since 6.0.0 */
export interface HostRuntimeOptions {
  /** Path of the JSON configuration file. */
  readonly configPath: string;
  /** Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Receives status lines. Default: none printed. */
  readonly statusWrite?: (line: string) => void;
  /** Reload when the file changes. Default `true`. */
  readonly watchConfig?: boolean;
  /**
   * Overrides `admin.token` (the CLI passes `DW_ADMIN_TOKEN`), so the secret can stay out of
   * the file; it is merged before the file is validated, so it also satisfies the token a
   * non-loopback `admin.host` requires (at startup and on every reload).
   */
  readonly adminToken?: string;
  /** Module importer (tests). Default: native `import()`. */
  readonly importModule?: ModuleImporter;
}

/**
 * A running host as the CLI runs it: the {@link Kernel} started from a configuration file,
 * the admin API, periodic status lines and configuration reloads. The CLI only adds process
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
    const loaded = await loadHostConfig(options.configPath, { ...(adminToken !== undefined && { adminToken }) });
    const config = loaded.config;
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
        admin = new AdminServer({ ...config.admin, backend: kernel, logger: scopedLogger(logger, 'admin') });
        adminUrl = await admin.listenAsync();
      }
    } catch (e) {
      await admin?.closeAsync();
      await kernel.stopAsync();
      throw e;
    }
    const status =
      config.statusIntervalMs > 0 && options.statusWrite !== undefined
        ? new StatusReporter({
            registry: kernel.subsystems,
            clock,
            intervalMs: config.statusIntervalMs,
            write: options.statusWrite,
            logger,
          })
        : undefined;
    status?.start();
    const reloader = new ConfigReloader({
      path: loaded.path,
      initial: config,
      initialDigest: loaded.digest,
      apply: (section, source) => kernel.applySubsystemLimitsAsync(section, source),
      ...(adminToken !== undefined && { adminToken }),
      clock,
      logger: scopedLogger(logger, 'config'),
    });
    if (options.watchConfig !== false) reloader.watch();
    return new HostRuntime(kernel, reloader, admin, status, adminUrl);
  }

  /** Re-reads the configuration file and applies its `subsystems` section (SIGHUP). */
  reloadAsync(trigger: ReloadTrigger = 'manual'): Promise<ReloadOutcome> {
    return this.reloader.reloadAsync(trigger);
  }

  /** Stops status lines, reloads and the admin API, then the kernel. Idempotent; never throws. */
  stopAsync(): Promise<ShutdownReport> {
    this.stopping ??= (async () => {
      this.status?.stop();
      this.reloader.close();
      await this.admin?.closeAsync();
      return this.kernel.stopAsync();
    })();
    return this.stopping;
  }
}
