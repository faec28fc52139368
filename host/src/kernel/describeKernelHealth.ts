import { SDK_VERSION } from '@datawarehouse/sdk';
import type { BusConnectionState, Clock } from '@datawarehouse/sdk';
import type { KernelHealth, KernelState } from './KernelHealth.js';
import type { PluginInfo } from './PluginRecord.js';

/** What `describeKernelHealth` reads. @since 6.0.0 */
export interface KernelHealthSource {
  /** The lifecycle: its state, when it started, and the plugins in start order. */
  readonly lifecycle: {
    readonly state: KernelState;
    readonly startedAt: number;
    readonly plugins: readonly PluginInfo[];
  };
  /** This node's id. */
  readonly nodeId: string;
  /** The clock `startedAt` was read on. */
  readonly clock: Clock;
  /** The subsystem registry (only its names are reported). */
  readonly subsystems: { names(): readonly string[] };
  /** The node's bus: who provided its transport (`undefined`: the embedded in-memory one) and its state. */
  readonly bus: { readonly providedBy: string | undefined; readonly connectionState: BusConnectionState };
}

/**
 * The kernel's health as `GET /health` reports it: `ok` while running, else the lifecycle
 * state; uptime since `startAsync` (0 before); the plugins, subsystems and bus transport.
 * @since 6.0.0
 */
export function describeKernelHealth(source: KernelHealthSource): KernelHealth {
  const { lifecycle, bus } = source;
  const state = lifecycle.state;
  return {
    status: state === 'running' ? 'ok' : state,
    nodeId: source.nodeId,
    sdkVersion: SDK_VERSION,
    uptimeMs: state === 'created' ? 0 : Math.max(0, Math.round(source.clock.now() - lifecycle.startedAt)),
    plugins: lifecycle.plugins,
    subsystems: source.subsystems.names(),
    bus: { transport: bus.providedBy ?? 'in-memory', connectionState: bus.connectionState },
  };
}
