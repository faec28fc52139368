import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import type { IScalableSubsystem } from '@datawarehouse/sdk';
import { SubsystemRegistry } from '../registry/SubsystemRegistry.js';
import { StatusReporter } from './StatusReporter.js';

function subsystem(name: string, metrics: () => Record<string, unknown>): IScalableSubsystem {
  return {
    name,
    currentLimits: { maxConcurrentOperations: 1, maxQueueDepth: 0, maxCacheEntries: 1 },
    currentBackpressureState: 'normal',
    getScalingMetrics: metrics,
    reconfigureLimitsAsync: async () => {
      throw new Error('unused');
    },
  };
}

describe('StatusReporter', () => {
  it('writes the status lines every interval in virtual time and stops cleanly', () => {
    const clock = new VirtualClock();
    const registry = new SubsystemRegistry();
    let inFlight = 1;
    registry.register(subsystem('resilience', () => ({ strategies: { default: { state: 'closed', inFlight } } })));
    const lines: string[] = [];
    const reporter = new StatusReporter({ registry, clock, intervalMs: 5000, write: (l) => void lines.push(l) });
    reporter.start();
    clock.advance(4999);
    expect(lines).toEqual([]);
    clock.advance(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[status\] resilience\/default closed in-flight 1\//);
    inFlight = 7;
    clock.advance(5000);
    expect(lines[1]).toContain('in-flight 7/');
    reporter.stop();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(20_000);
    expect(lines).toHaveLength(2);
  });

  it("keeps reporting when one subsystem's metrics throw", () => {
    const clock = new VirtualClock();
    const registry = new SubsystemRegistry();
    registry.register(
      subsystem('broken', () => {
        throw new Error('metrics bug');
      }),
    );
    registry.register(subsystem('ok', () => ({})));
    const lines: string[] = [];
    const reporter = new StatusReporter({ registry, clock, intervalMs: 100, write: (l) => void lines.push(l) });
    reporter.start();
    clock.advance(200);
    expect(lines).toEqual([
      '[status] broken [metrics unavailable]',
      '[status] ok [normal]',
      '[status] broken [metrics unavailable]',
      '[status] ok [normal]',
    ]);
    reporter.stop();
  });

  it('rejects a bad interval', () => {
    expect(
      () =>
        new StatusReporter({
          registry: new SubsystemRegistry(),
          clock: new VirtualClock(),
          intervalMs: 0,
          write: () => {},
        }),
    ).toThrow(expect.objectContaining({ field: 'statusIntervalMs' }));
  });
});
