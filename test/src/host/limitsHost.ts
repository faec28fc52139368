import { InvalidConfigurationError, VirtualClock } from '@datawarehouse/sdk';
import type { IPlugin, IScalableSubsystem, PluginContext, ScalingLimits, StrategyLimits } from '@datawarehouse/sdk';
import { Kernel } from '@datawarehouse/host';
import { createPlugin } from '@datawarehouse/plugin-ultimate-resilience';

/**
 * A kernel running the real resilience plugin (strategy `db` whose bulkhead follows the global
 * limits, `api` with its own) beside `beta`, a plain subsystem with four numeric limits that
 * refuses `maxConcurrentOperations: 999` — for tests of how limits are applied and restored.
 */
export const RESILIENCE_OPTIONS = Object.freeze({
  builtinStrategies: false,
  distributed: { enabled: false },
  limits: { maxQueueDepth: 50 },
  strategies: [
    { id: 'db', bulkhead: {}, circuitBreaker: { failureThreshold: 5 }, retry: { maxRetries: 1 } },
    { id: 'api', bulkhead: { maxConcurrency: 3 }, circuitBreaker: {}, retry: false },
  ],
});

/** Beta's limits before any configuration touched them. */
export const BETA_DEFAULTS: ScalingLimits = Object.freeze({
  maxConcurrentOperations: 8,
  maxQueueDepth: 0,
  maxCacheEntries: 10,
});

function betaSubsystem(): IScalableSubsystem {
  let limits: ScalingLimits = BETA_DEFAULTS;
  return {
    name: 'beta',
    get currentLimits() {
      return limits;
    },
    currentBackpressureState: 'normal',
    getScalingMetrics: () => ({}),
    async reconfigureLimitsAsync(patch) {
      if (patch.maxConcurrentOperations === 999)
        throw new InvalidConfigurationError('maxConcurrentOperations', 999, 'at most 100');
      limits = { ...limits, ...patch };
      return limits;
    },
  };
}

const betaPlugin: IPlugin = {
  id: 'beta',
  version: '1.0.0',
  sdkVersion: '6.0.0',
  async initializeAsync(ctx: PluginContext) {
    ctx.subsystems.register(betaSubsystem());
  },
};

/** Module importer giving the real resilience plugin for `resilience` and beta's plugin otherwise. */
export const importLimitsPlugins = async (spec: string): Promise<unknown> => ({
  createPlugin: spec === 'resilience' ? createPlugin : () => betaPlugin,
});

/** Starts the kernel with `subsystems` as its configuration's section; the caller stops it. */
export async function startLimitsHost(
  subsystems: Readonly<Record<string, Partial<ScalingLimits>>> = {},
): Promise<Kernel> {
  const kernel = new Kernel({
    config: {
      plugins: [{ module: 'resilience', options: RESILIENCE_OPTIONS }, { module: 'beta' }],
      subsystems,
    },
    importModule: importLimitsPlugins,
    clock: new VirtualClock(),
  });
  await kernel.startAsync();
  return kernel;
}

/** Everything observable about the running limits: in force and as configured, per subsystem. */
export function limitsState(kernel: Kernel): unknown {
  return kernel.subsystems.names().map((name) => {
    const { limits, configured } = kernel.subsystems.describe(name);
    return { name, limits, configured };
  });
}

/** The effective options of one resilience strategy. */
export function strategyLimits(kernel: Kernel, id: string): StrategyLimits {
  return kernel.subsystems.describe('resilience').limits.strategies?.[id] ?? {};
}

/** A configuration file's content for the same plugins, with `subsystems` as its section. */
export function limitsConfigText(subsystems: unknown): string {
  return JSON.stringify({
    admin: { enabled: false },
    statusIntervalMs: 0,
    plugins: [{ module: 'resilience', options: RESILIENCE_OPTIONS }, { module: 'beta' }],
    subsystems,
  });
}
