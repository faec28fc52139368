import type { DataWarehouseError } from '@datawarehouse/sdk';
import type { PluginInfo } from './PluginRecord.js';

/** Lifecycle of the kernel. @since 6.0.0 */
export type KernelState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Outcome of {@link Kernel.stopAsync}. @since 6.0.0 */
export interface ShutdownReport {
  /** Plugins stopped cleanly, in stop order. */
  readonly stopped: readonly string[];
  /** Stop failures and timeouts (`ERR_PLUGIN_STOP_FAILED`, `ERR_PLUGIN_STOP_TIMEOUT`). */
  readonly errors: readonly DataWarehouseError[];
}

/** What `GET /health` reports. @since 6.0.0 */
export interface KernelHealth {
  /** `ok` while running, else the kernel's state. */
  readonly status: 'ok' | KernelState;
  /** This node's id in the federation. */
  readonly nodeId: string;
  /** The host's SDK version. */
  readonly sdkVersion: string;
  /** Time since `startAsync` on the kernel's clock, ms (0 before). */
  readonly uptimeMs: number;
  /** The loaded plugins in start order, with their states. */
  readonly plugins: readonly PluginInfo[];
  /** Names of the registered subsystems. */
  readonly subsystems: readonly string[];
  /** Id of the plugin that provided the bus transport (`in-memory` for the embedded one) and its connection state. */
  readonly bus: { readonly transport: string; readonly connectionState: string };
}

/** What `GET /readyz` reports. @since 6.1.0 */
export interface KernelReadiness {
  /** Whether the node should receive traffic. */
  readonly ready: boolean;
  /** Why not, e.g. `draining`, `plugin demo-traffic starting`, `bus disconnected`; empty when ready. */
  readonly reasons: readonly string[];
}

/** What `GET /livez` reports. @since 6.1.0 */
export interface KernelLiveness {
  /** False only after a failed startup. */
  readonly live: boolean;
  /** The kernel's state. */
  readonly status: KernelState;
}
