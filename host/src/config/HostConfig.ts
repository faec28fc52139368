import type { ScalingLimits } from '@datawarehouse/sdk';

/**
 * The admin HTTP API's settings (`admin` in the configuration file).
 * @since 6.0.0
 */
export interface AdminConfig {
  /** Whether the admin API runs. Default `true`. */
  readonly enabled: boolean;
  /** Address to bind. Default `127.0.0.1`; any non-loopback address requires `token`. */
  readonly host: string;
  /** TCP port, `0` for an ephemeral one. Default `7070`. */
  readonly port: number;
  /** Bearer token required on every request, or `null` (loopback only). Default `null`. */
  readonly token: string | null;
  /** Largest accepted request body, bytes. Default `65536`. */
  readonly maxBodyBytes: number;
  /** `GET /livez` and `GET /readyz`. @since 6.1.0 */
  readonly probes: ProbesConfig;
}

/**
 * The health probes' settings (`admin.probes`).
 * @since 6.1.0
 */
export interface ProbesConfig {
  /**
   * Answer the probes without the token and `Host` checks (Kubernetes probes send no token).
   * They only tell ready/live and why not. Default `false`.
   */
  readonly public: boolean;
  /** Ready only while the node's bus is `connected` (e.g. to Redis). Default `false`. */
  readonly requireBus: boolean;
}

/**
 * One entry of `plugins`: a module specifier and the options passed to its factory.
 * @since 6.0.0
 */
export interface PluginEntry {
  /**
   * Module specifier: a package name (`@datawarehouse/plugin-demo-traffic`), or a path
   * relative to the configuration file's folder (`./plugins/mine.js`), or absolute.
   */
  readonly module: string;
  /** The plugin's options (its `ctx.config`). Default `{}`. */
  readonly options: Readonly<Record<string, unknown>>;
  /** `false` skips the entry without removing it. Default `true`. */
  readonly enabled: boolean;
}

/**
 * The host's validated, fully-resolved configuration.
 * @since 6.0.0
 */
export interface HostConfig {
  /** This node's id in the federation. Default `node-1`. */
  readonly nodeId: string;
  readonly admin: AdminConfig;
  /** Period of the CLI's status lines, ms; `0` turns them off. Default `5000`. */
  readonly statusIntervalMs: number;
  /** Longest wait for each plugin's `stopAsync` on shutdown, ms. Default `10000`. */
  readonly shutdownTimeoutMs: number;
  /** Longest wait for each plugin's `initializeAsync` and `startAsync`, ms. Default `30000`. */
  readonly startupTimeoutMs: number;
  /**
   * On stop, how long the host answers `GET /readyz` with 503 (draining) before it stops the
   * plugins, so a load balancer takes the node out first, ms. Default `0`.
   * @since 6.1.0
   */
  readonly drainDelayMs: number;
  /** Plugins to load, in configuration order (reordered by their dependencies). */
  readonly plugins: readonly PluginEntry[];
  /** Limits applied through the subsystem registry after initialization and on reload. Default `{}`. */
  readonly subsystems: Readonly<Record<string, Partial<ScalingLimits>>>;
}

/** Defaults of the optional {@link HostConfig} fields. @since 6.0.0 */
export const HOST_CONFIG_DEFAULTS = Object.freeze({
  nodeId: 'node-1',
  statusIntervalMs: 5000,
  shutdownTimeoutMs: 10_000,
  startupTimeoutMs: 30_000,
  drainDelayMs: 0,
  admin: Object.freeze({
    enabled: true,
    host: '127.0.0.1',
    port: 7070,
    token: null,
    maxBodyBytes: 65_536,
    probes: Object.freeze({ public: false, requireBus: false }),
  }),
});

/**
 * A configuration as written (in a file or in code): optional fields may be omitted and
 * are filled by `validateHostConfig`.
 * @since 6.0.0
 */
export interface HostConfigInput {
  readonly $schema?: string;
  readonly nodeId?: string;
  readonly admin?: Partial<Omit<AdminConfig, 'probes'>> & { readonly probes?: Partial<ProbesConfig> };
  readonly statusIntervalMs?: number;
  readonly shutdownTimeoutMs?: number;
  readonly startupTimeoutMs?: number;
  /** See {@link HostConfig.drainDelayMs}. @since 6.1.0 */
  readonly drainDelayMs?: number;
  readonly plugins: readonly {
    readonly module: string;
    readonly options?: Readonly<Record<string, unknown>>;
    readonly enabled?: boolean;
  }[];
  readonly subsystems?: Readonly<Record<string, Partial<ScalingLimits>>>;
}
