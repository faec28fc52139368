import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { SdkCompatibility, silentLogger } from '@datawarehouse/sdk';
import type { Clock, Logger, ScalingLimits, TimerHandle } from '@datawarehouse/sdk';
import type { HostConfig } from './HostConfig.js';
import { loadHostConfig } from './loadHostConfig.js';

/** Why a reload ran. @since 6.0.0 */
export type ReloadTrigger = 'signal' | 'file' | 'manual';

/** Outcome of one reload. @since 6.0.0 */
export interface ReloadOutcome {
  /** `applied` (subsystems section applied), `unchanged` (file identical, file trigger only) or `rejected`. */
  readonly status: 'applied' | 'unchanged' | 'rejected';
  readonly trigger: ReloadTrigger;
  /** Limits in force per subsystem that was reconfigured. */
  readonly applied: Readonly<Record<string, ScalingLimits>>;
  /** Sections that changed but need a restart (ignored). */
  readonly ignored: readonly string[];
  /** Why the reload was rejected. */
  readonly error?: unknown;
}

/** Options of {@link ConfigReloader}. @since 6.0.0 */
export interface ConfigReloaderOptions {
  /** Path of the configuration file. */
  readonly path: string;
  /** The configuration the host runs with. */
  readonly initial: HostConfig;
  /** SHA-256 of the file as loaded at startup (see `loadHostConfig`). */
  readonly initialDigest?: string;
  /** Applies a `subsystems` section (the kernel's `applySubsystemLimitsAsync`). */
  readonly apply: (section: HostConfig['subsystems'], source: string) => Promise<Record<string, ScalingLimits>>;
  readonly clock: Clock;
  readonly logger?: Logger;
  /**
   * Adjusts each reloaded configuration the way the host adjusted `initial` (e.g. the admin
   * token from the environment), so that adjustment is not reported as a change. Default: none.
   */
  readonly adjust?: (loaded: HostConfig) => HostConfig;
  /** Quiet period after a file event before reloading, ms. Default `250`. */
  readonly debounceMs?: number;
}

const RESTART_SECTIONS = ['nodeId', 'admin', 'statusIntervalMs', 'shutdownTimeoutMs', 'startupTimeoutMs', 'plugins'] as const;

/**
 * Re-reads the configuration file on demand (SIGHUP) or when it changes, and applies its
 * `subsystems` section through the subsystem registry without restart. A file that does not
 * parse or validate, or limits a subsystem refuses, is reported and the running configuration
 * is kept. Sections that need a restart are reported as ignored. Reloads run one at a time.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class ConfigReloader {
  private running: HostConfig;
  private digest: string | undefined;
  private watcher: FSWatcher | undefined;
  private debounce: TimerHandle | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly logger: Logger;

  constructor(private readonly options: ConfigReloaderOptions) {
    this.running = options.initial;
    this.digest = options.initialDigest;
    this.logger = options.logger ?? silentLogger;
  }

  /** The configuration currently in force. */
  get config(): HostConfig {
    return this.running;
  }

  /**
   * Reloads now. With trigger `file`, an unchanged file is skipped; `signal`/`manual` always
   * re-apply the `subsystems` section. Never throws: the outcome says what happened.
   */
  reloadAsync(trigger: ReloadTrigger = 'manual'): Promise<ReloadOutcome> {
    const run = (): Promise<ReloadOutcome> => this.reload(trigger);
    const next = this.tail.then(run, run);
    this.tail = next.then(noop, noop);
    return next;
  }

  /**
   * Watches the file's folder (editors often replace a file rather than write it) and, after
   * `debounceMs` of quiet following any event there, reloads if the file's content digest
   * changed. Any event counts, not only one naming the file: in a Kubernetes ConfigMap volume
   * the file is a symlink through `..data`, and an update only renames that folder link.
   * Idempotent. A watcher failure is logged and ends watching.
   */
  watch(): void {
    if (this.watcher !== undefined) return;
    try {
      this.watcher = watch(dirname(this.options.path), { persistent: false }, () => this.schedule());
      this.watcher.on('error', (e) => {
        this.logger.warn('config file watcher failed; reload with SIGHUP', { error: e });
        this.close();
      });
    } catch (e) {
      this.logger.warn('cannot watch the config file; reload with SIGHUP', { path: this.options.path, error: e });
    }
  }

  /** Stops watching and cancels a pending debounced reload. Idempotent. */
  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.debounce !== undefined) this.options.clock.clearTimeout(this.debounce);
    this.debounce = undefined;
  }

  private schedule(): void {
    if (this.debounce !== undefined) this.options.clock.clearTimeout(this.debounce);
    this.debounce = this.options.clock.setTimeout(() => {
      this.debounce = undefined;
      void this.reloadAsync('file');
    }, this.options.debounceMs ?? 250);
  }

  private async reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const path = this.options.path;
    let next: HostConfig;
    let digest: string;
    try {
      ({ config: next, digest } = await loadHostConfig(path));
      if (this.options.adjust !== undefined) next = this.options.adjust(next);
    } catch (error) {
      this.logger.error('config reload rejected; keeping the running configuration', { trigger, error });
      return { status: 'rejected', trigger, applied: {}, ignored: [], error };
    }
    if (trigger === 'file' && digest === this.digest) {
      return { status: 'unchanged', trigger, applied: {}, ignored: [] };
    }
    const ignored = RESTART_SECTIONS.filter((k) => JSON.stringify(next[k]) !== JSON.stringify(this.running[k]));
    if (ignored.length > 0) {
      this.logger.warn('config sections changed that need a restart; ignored until then', { sections: ignored });
    }
    try {
      const applied = await this.options.apply(next.subsystems, path);
      this.running = { ...this.running, subsystems: next.subsystems };
      this.digest = digest;
      this.logger.info('config reloaded', { trigger, subsystems: Object.keys(applied) });
      return { status: 'applied', trigger, applied, ignored };
    } catch (error) {
      this.logger.error('config reload rejected; keeping the running configuration', { trigger, error });
      return { status: 'rejected', trigger, applied: {}, ignored, error };
    }
  }
}

function noop(): void {}
