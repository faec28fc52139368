import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { InvalidConfigurationError, VirtualClock } from '@datawarehouse/sdk';
import type { IPlugin, IScalableSubsystem, ScalingLimits } from '@datawarehouse/sdk';
import { Kernel } from '../kernel/Kernel.js';
import type { KernelOptions } from '../kernel/Kernel.js';

/**
 * A subsystem for host tests: limits start at 8 / 0 / 10 / 1000, every applied patch is kept in
 * `applied`, and `maxConcurrentOperations: 999` is refused with `InvalidConfigurationError`.
 */
export function fakeSubsystem(name: string): IScalableSubsystem & { applied: Partial<ScalingLimits>[] } {
  let limits: ScalingLimits = {
    maxConcurrentOperations: 8,
    maxQueueDepth: 0,
    maxCacheEntries: 10,
  };
  const applied: Partial<ScalingLimits>[] = [];
  return {
    name,
    applied,
    get currentLimits() {
      return limits;
    },
    currentBackpressureState: 'normal',
    getScalingMetrics: () => ({}),
    async reconfigureLimitsAsync(patch) {
      if (patch.maxConcurrentOperations === 999)
        throw new InvalidConfigurationError('maxConcurrentOperations', 999, 'at most 100');
      applied.push(patch);
      limits = { ...limits, ...patch };
      return limits;
    },
  };
}

/** A kernel on a virtual clock whose plugin modules are `plugins` (module specifier = key), 1 s timeouts. */
export function kernelWith(plugins: Record<string, IPlugin>, extra: Partial<KernelOptions> = {}): Kernel {
  return new Kernel({
    config: {
      nodeId: 'n1',
      shutdownTimeoutMs: 1000,
      startupTimeoutMs: 1000,
      plugins: Object.keys(plugins).map((module) => ({ module })),
    },
    importModule: async (spec) => ({ createPlugin: () => plugins[spec] }),
    clock: new VirtualClock(),
    ...extra,
  });
}

/**
 * Host config files for one test file, in a fresh temporary directory (`dw-<name>-…`) removed
 * after its tests: returns a function writing a config as the next `c<n>.json` and returning its path.
 */
export function tempConfigFiles(name: string): (config: object) => string {
  const dir = mkdtempSync(join(tmpdir(), `dw-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return (config) => {
    const path = join(dir, `c${n++}.json`);
    writeFileSync(path, JSON.stringify(config));
    return path;
  };
}
