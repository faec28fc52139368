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
  readonly status: 'ok' | KernelState;
  readonly nodeId: string;
  readonly sdkVersion: string;
  readonly uptimeMs: number;
  readonly plugins: readonly PluginInfo[];
  readonly subsystems: readonly string[];
  readonly bus: { readonly transport: string; readonly connectionState: string };
}
