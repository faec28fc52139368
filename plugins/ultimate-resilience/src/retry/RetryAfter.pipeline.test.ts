import { describe, expect, it } from 'vitest';
import { VirtualClock, flushMicrotasks } from '@datawarehouse/sdk';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { parseRetryAfterMs } from './RetryAfter.js';

// The option end to end through `executeWithResilience`, in virtual time: the delay the pipeline
// schedules before a retry is read off the clock at each attempt's start.

function setup(retry: StrategyDefinition['retry'], timeout: StrategyDefinition['timeout'] = undefined) {
  const clock = new VirtualClock(1_000_000);
  const registry = new StrategyRegistry([{ id: 'api', circuitBreaker: false, bulkhead: false, retry, timeout }]);
  const manager = new ResilienceScalingManager({ registry, clock, random: () => 0.5 });
  return { clock, manager };
}

/** An operation answering 503 with `Retry-After: header` `failures` times, then 'ok'; records attempt start times. */
function throttledOperation(clock: VirtualClock, header: string, failures: number) {
  const starts: number[] = [];
  const operation = async (): Promise<string> => {
    starts.push(clock.now());
    if (starts.length <= failures) {
      throw Object.assign(new Error('HTTP 503'), { retryAfterMs: parseRetryAfterMs(header) });
    }
    return 'ok';
  };
  return { starts, operation };
}

async function settle<T>(clock: VirtualClock, promise: Promise<T>, stepMs: number, steps: number): Promise<T> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < steps && !done; i++) await clock.advanceAsync(stepMs);
  await flushMicrotasks();
  return promise;
}

describe('retry option honorRetryAfter, through the pipeline', () => {
  it('waits the Retry-After of a 503 before the retry instead of the backoff delay', async () => {
    const { clock, manager } = setup({ maxRetries: 2, backoff: 'fixed', baseDelayMs: 100, honorRetryAfter: true });
    const { starts, operation } = throttledOperation(clock, '3', 2);
    const result = await settle(clock, manager.executeWithResilience('api', operation), 50, 400);
    expect(result).toBe('ok');
    expect(starts.map((t) => t - starts[0]!)).toEqual([0, 3_000, 6_000]);
    manager.dispose();
  });

  it('keeps the backoff delay when the option is off', async () => {
    const { clock, manager } = setup({ maxRetries: 2, backoff: 'fixed', baseDelayMs: 100 });
    const { starts, operation } = throttledOperation(clock, '3', 2);
    await expect(settle(clock, manager.executeWithResilience('api', operation), 50, 400)).resolves.toBe('ok');
    expect(starts.map((t) => t - starts[0]!)).toEqual([0, 100, 200]);
    manager.dispose();
  });

  it('caps the hint at maxDelayMs', async () => {
    const { clock, manager } = setup({
      maxRetries: 1,
      backoff: 'fixed',
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      honorRetryAfter: true,
    });
    const { starts, operation } = throttledOperation(clock, '3600', 1);
    await expect(settle(clock, manager.executeWithResilience('api', operation), 50, 400)).resolves.toBe('ok');
    expect(starts.map((t) => t - starts[0]!)).toEqual([0, 1_000]);
    manager.dispose();
  });

  it('fails at once with the 503 when the hinted retry could not start before the overall timeout', async () => {
    const { clock, manager } = setup(
      { maxRetries: 3, backoff: 'fixed', baseDelayMs: 100, honorRetryAfter: true },
      { overallTimeoutMs: 2_000 },
    );
    const { starts, operation } = throttledOperation(clock, '5', 3);
    const call = manager.executeWithResilience('api', operation);
    const outcome = call.then(
      () => 'resolved',
      (e: unknown) => (e as Error).message,
    );
    await flushMicrotasks();
    expect(await outcome).toBe('HTTP 503');
    expect(starts).toHaveLength(1);
    expect(clock.now()).toBe(1_000_000); // no time passed: refused, not slept on
    manager.dispose();
  });
});
