import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { SdkCompatibility, silentLogger } from '@datawarehouse/sdk';
import type { Clock, Logger, ScalingLimits, TimerHandle } from '@datawarehouse/sdk';
import type { HostConfig } from './HostConfig.js';
import type { HostConfigFile } from './loadHostConfig.js';
import { parseHostConfig, readHostConfigFile } from './loadHostConfig.js';
import type { HostConfigOverrides } from './loadHostConfig.js';

/** Why a reload ran. @since 6.0.0 */
export type ReloadTrigger = 'signal' | 'file' | 'manual';

/** Outcome of one reload. @since 6.0.0 */
export interface ReloadOutcome {
  /**
   * `applied` (subsystems section applied), `unchanged` (file trigger only: the file reads as
   * it did at the last reload, whether that was applied or rejected) or `rejected`.
   */
  readonly status: 'applied' | 'unchanged' | 'rejected';
  readonly trigger: ReloadTrigger;
  /** Limits in force per subsystem that was reconfigured. */
  readonly applied: Readonly<Record<string, ScalingLimits>>;
  /** Sections that changed but need a restart (ignored). */
  readonly ignored: readonly string[];
  /** Why the reload was rejected. */
  readonly error?: unknown;
}

/**
 * Watches a folder: calls `onEvent` for every change in it (with the entry's name when the
 * platform tells) and `onError` if watching fails; the handle stops watching.
 * @since 6.0.0
 */
export type FolderWatcher = (
  folder: string,
  onEvent: (filename: string | null) => void,
  onError: (error: unknown) => void,
) => { close(): void };

/** {@link FolderWatcher} on `fs.watch` (not keeping the process alive). @since 6.0.0 */
export const fsFolderWatcher: FolderWatcher = (folder, onEvent, onError) => {
  const watcher: FSWatcher = watch(folder, { persistent: false }, (_event, filename) =>
    onEvent(filename === null ? null : String(filename)),
  );
  watcher.on('error', onError);
  return watcher;
};

/** Options of {@link ConfigReloader}. @since 6.0.0 */
export interface ConfigReloaderOptions {
  /** Path of the configuration file. */
  readonly path: string;
  /** The configuration the host runs with. */
  readonly initial: HostConfig;
  /** SHA-256 of the file as loaded at startup (see `loadHostConfig`). */
  readonly initialDigest?: string;
  /**
   * Replaces `admin.token` in each reloaded file before it is validated, as at startup
   * (the environment's token), so it is neither refused nor reported as a change.
   */
  readonly adminToken?: string;
  /** The other environment overrides (`adminPort`, `redisUrl`), applied the same way. @since 6.1.0 */
  readonly overrides?: HostConfigOverrides;
  /** Applies a `subsystems` section (the kernel's `applySubsystemLimitsAsync`). */
  readonly apply: (section: HostConfig['subsystems'], source: string) => Promise<Record<string, ScalingLimits>>;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Quiet period after a file event before reloading, ms. Default `250`. */
  readonly debounceMs?: number;
  /** How the file's folder is watched (tests inject one). Default {@link fsFolderWatcher}. */
  readonly watchFolder?: FolderWatcher;
}

const RESTART_SECTIONS = [
  'nodeId',
  'admin',
  'statusIntervalMs',
  'shutdownTimeoutMs',
  'startupTimeoutMs',
  'drainDelayMs',
  'plugins',
] as const;

/**
 * Re-reads the configuration file on demand (SIGHUP) or when it changes, and applies its
 * `subsystems` section through the subsystem registry without restart. A file that does not
 * parse or validate, or limits a subsystem refuses, is reported and the running configuration
 * is kept. Sections that need a restart are reported as ignored. Reloads run one at a time.
 *
 * A file event only reloads when the file's content differs from what the last reload read
 * (or, for an unreadable file, when the read fails differently): writes to other files in the
 * folder — the host's own log file, say — never re-run a reload, even one that was rejected.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class ConfigReloader {
  private running: HostConfig;
  /** What the last reload read: the content digest, or why the file could not be read. */
  private seen: string | undefined;
  private watcher: { close(): void } | undefined;
  private debounce: TimerHandle | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly logger: Logger;

  constructor(private readonly options: ConfigReloaderOptions) {
    this.running = options.initial;
    this.seen = options.initialDigest;
    this.logger = options.logger ?? silentLogger;
  }

  /** The configuration currently in force. */
  get config(): HostConfig {
    return this.running;
  }

  /**
   * Reloads now. With trigger `file`, a file that reads as at the last reload is skipped;
   * `signal`/`manual` always re-apply the `subsystems` section. Never throws: the outcome
   * says what happened.
   */
  reloadAsync(trigger: ReloadTrigger = 'manual'): Promise<ReloadOutcome> {
    const run = (): Promise<ReloadOutcome> => this.reload(trigger);
    const next = this.tail.then(run, run);
    this.tail = next.then(noop, noop);
    return next;
  }

  /** Resolves once every reload started so far (a debounced one included once it started) has finished. */
  idleAsync(): Promise<void> {
    return this.tail.then(noop);
  }

  /**
   * Watches the file's folder (editors often replace a file rather than write it) and, after
   * `debounceMs` of quiet following any event there, reloads if the file's content changed
   * since the last reload read it. Any event counts, not only one naming the file: in a
   * Kubernetes ConfigMap volume the file is a symlink through `..data`, and an update only
   * renames that folder link; the content check keeps other files' events from reloading.
   * Idempotent. A watcher failure is logged and ends watching.
   */
  watch(): void {
    if (this.watcher !== undefined) return;
    try {
      const watchFolder = this.options.watchFolder ?? fsFolderWatcher;
      this.watcher = watchFolder(
        dirname(this.options.path),
        () => this.schedule(),
        (e) => {
          this.logger.warn('config file watcher failed; reload with SIGHUP', { error: e });
          this.close();
        },
      );
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
    const unchanged: ReloadOutcome = { status: 'unchanged', trigger, applied: {}, ignored: [] };
    let file: HostConfigFile;
    try {
      file = await readHostConfigFile(path);
    } catch (error) {
      const why = `unreadable: ${String((error as { expected?: unknown }).expected)}`;
      if (trigger === 'file' && why === this.seen) return unchanged;
      this.seen = why;
      return this.rejected(trigger, [], error);
    }
    if (trigger === 'file' && file.digest === this.seen) return unchanged;
    this.seen = file.digest;
    let next: HostConfig;
    try {
      next = parseHostConfig(file.text, file.path, {
        ...this.options.overrides,
        ...(this.options.adminToken !== undefined && { adminToken: this.options.adminToken }),
      });
    } catch (error) {
      return this.rejected(trigger, [], error);
    }
    const ignored = RESTART_SECTIONS.filter((k) => JSON.stringify(next[k]) !== JSON.stringify(this.running[k]));
    if (ignored.length > 0) {
      this.logger.warn('config sections changed that need a restart; ignored until then', { sections: ignored });
    }
    try {
      const applied = await this.options.apply(next.subsystems, file.path);
      this.running = { ...this.running, subsystems: next.subsystems };
      this.logger.info('config reloaded', { trigger, subsystems: Object.keys(applied) });
      return { status: 'applied', trigger, applied, ignored };
    } catch (error) {
      return this.rejected(trigger, ignored, error);
    }
  }

  private rejected(trigger: ReloadTrigger, ignored: readonly string[], error: unknown): ReloadOutcome {
    this.logger.error('config reload rejected; keeping the running configuration', { trigger, error });
    return { status: 'rejected', trigger, applied: {}, ignored, error };
  }
}

function noop(): void {}
