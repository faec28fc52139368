import { describe, expect, it } from 'vitest';
import { VirtualClock, getSdkCompatibility } from '@datawarehouse/sdk';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import { StrategySampler } from './StrategySampler.js';

function setup() {
  const clock = new VirtualClock(0);
  const manager = new ResilienceScalingManager({
    registry: new StrategyRegistry([{ id: 'db', retry: false, circuitBreaker: { failureThreshold: 1_000 } }]),
    clock,
  });
  return { clock, manager, runtime: manager.runtimeFor('db') };
}

async function calls(
  clock: VirtualClock,
  manager: ResilienceScalingManager,
  n: number,
  latencyMs: number,
  fail: boolean,
): Promise<void> {
  for (let i = 0; i < n; i++) {
    void manager
      .executeWithResilience(
        'db',
        () =>
          new Promise((resolve, reject) => {
            clock.setTimeout(() => (fail ? reject(new Error('refused')) : resolve(i)), latencyMs);
          }),
      )
      .catch(() => undefined);
  }
  await clock.advanceAsync(latencyMs + 1);
}

describe('StrategySampler', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(StrategySampler)?.sdkVersion).toBe('6.0.0');
  });

  it('records the deltas of the cumulative counters since the previous sample', async () => {
    const { clock, manager, runtime } = setup();
    const sampler = new StrategySampler(runtime, 10_000, 60_000, true);
    await calls(clock, manager, 30, 50, false);
    sampler.sample(clock.now(), 0.05);
    await clock.advanceAsync(10_000);
    await calls(clock, manager, 10, 50, true);
    sampler.sample(clock.now(), 0.05);
    const w = sampler.windows.window(60_000, clock.now());
    expect(w).toMatchObject({ calls: 40, successes: 30, failures: 10, intervals: 2 });
    expect(sampler.windows.window(10_000, clock.now())).toMatchObject({ calls: 10, failures: 10 });
  });

  it('starts from the counters at creation unless told to count from zero', async () => {
    const { clock, manager, runtime } = setup();
    await calls(clock, manager, 25, 10, false);
    const sampler = new StrategySampler(runtime, 10_000, 60_000, false);
    await calls(clock, manager, 5, 10, false);
    sampler.sample(clock.now(), 0.05);
    expect(sampler.windows.window(60_000, clock.now()).calls).toBe(5);
  });

  it('leaves out the latency reading of an interval where the downstream fails fast', async () => {
    const { clock, manager, runtime } = setup();
    const sampler = new StrategySampler(runtime, 10_000, 60_000, true);
    await calls(clock, manager, 50, 100, false);
    sampler.sample(clock.now(), 0.05);
    expect(sampler.windows.window(10_000, clock.now()).p99Ms).toBeCloseTo(100, -1);
    await clock.advanceAsync(10_000);
    await calls(clock, manager, 50, 2, true); // connection refused in 2 ms
    sampler.sample(clock.now(), 0.05);
    const last = sampler.windows.window(10_000, clock.now());
    expect(last.failures).toBe(50);
    expect(last.p99Ms).toBeNaN();
    expect(sampler.windows.window(60_000, clock.now()).p99MinMs).toBeCloseTo(100, -1); // the baseline is intact
  });
});
