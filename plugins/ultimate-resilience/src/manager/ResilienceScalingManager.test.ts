import { describe, expect, it } from 'vitest';
import { getEventListeners } from 'node:events';
import {
  VirtualClock,
  flushMicrotasks,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isInvalidConfigurationError,
  isRateLimitedError,
  isResilienceTimeoutError,
  isUnknownStrategyError,
} from '@datawarehouse/sdk';
import { deferred } from '@datawarehouse/sdk/testing';
import { ResilienceScalingManager } from './ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';

function setup(strategies: StrategyDefinition[], limits = {}) {
  const clock = new VirtualClock(1_000_000);
  const registry = new StrategyRegistry(strategies);
  const manager = new ResilienceScalingManager({ registry, clock, random: () => 0.5, limits });
  return { clock, registry, manager };
}

const fail = (message = 'downstream down') => Promise.reject(new Error(message));

describe('ResilienceScalingManager', () => {
  it('runs its TSDoc example as written: with no registry given, the built-in strategies are there', async () => {
    const manager = new ResilienceScalingManager({ clock: new VirtualClock(0) });
    await expect(manager.executeWithResilience('default', () => 'user')).resolves.toBe('user');
    await manager.reconfigureLimitsAsync({ strategies: { default: { bulkhead: { maxConcurrency: 8 } } } });
    expect(manager.currentLimits.strategies?.default?.bulkhead?.maxConcurrency).toBe(8);
    expect(manager.registry.has('retry-exponential-jitter')).toBe(true);
    manager.dispose();
  });

  describe('bulkhead stage', () => {
    it('runs exactly maxConcurrency calls at once and queues the rest in FIFO order', async () => {
      const { manager } = setup([
        { id: 's', bulkhead: { maxConcurrency: 2, maxQueueSize: 100 }, circuitBreaker: false, retry: false },
      ]);
      let running = 0;
      let peak = 0;
      const order: number[] = [];
      const gates = Array.from({ length: 10 }, () => deferred());
      const calls = gates.map((gate, i) =>
        manager.executeWithResilience('s', async () => {
          running++;
          peak = Math.max(peak, running);
          order.push(i);
          await gate.promise;
          running--;
          return i;
        }),
      );
      await flushMicrotasks();
      expect(running).toBe(2);
      const metrics = manager.getScalingMetrics() as {
        strategies: Record<string, { running: number; queued: number }>;
      };
      expect(metrics.strategies.s).toMatchObject({ running: 2, queued: 8 });
      for (const gate of gates) {
        gate.resolve(undefined);
        await flushMicrotasks();
        expect(running).toBeLessThanOrEqual(2);
      }
      expect(await Promise.all(calls)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(peak).toBe(2);
      expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('rejects with BulkheadRejectedError when the queue is full, and does not count it as a failure', async () => {
      const { manager } = setup([
        {
          id: 's',
          bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
          circuitBreaker: { failureThreshold: 1 },
          retry: false,
        },
      ]);
      const gate = deferred<undefined>();
      const first = manager.executeWithResilience('s', () => gate.promise);
      const second = manager.executeWithResilience('s', () => 'never');
      await expect(second).rejects.toSatisfy(isBulkheadRejectedError);
      gate.resolve(undefined);
      await first;
      expect(manager.getCircuitBreaker('s')!.state).toBe('closed');
      const m = (manager.getScalingMetrics() as { strategies: Record<string, Record<string, unknown>> }).strategies.s!;
      expect(m).toMatchObject({ failures: 0, successes: 1, rejected: expect.objectContaining({ bulkhead: 1 }) });
    });
  });

  describe('circuit breaker stage', () => {
    it('rejects without calling the operation once the threshold is reached', async () => {
      const { manager } = setup([
        { id: 's', circuitBreaker: { failureThreshold: 3, breakDurationMs: 10_000 }, retry: false },
      ]);
      let calls = 0;
      const op = () => {
        calls++;
        return fail();
      };
      for (let i = 0; i < 3; i++)
        await expect(manager.executeWithResilience('s', op)).rejects.toThrow('downstream down');
      expect(calls).toBe(3);
      const rejected = manager.executeWithResilience('s', op);
      await expect(rejected).rejects.toSatisfy(isCircuitOpenError);
      await expect(rejected).rejects.toMatchObject({ retryAfterMs: 10_000 });
      expect(calls).toBe(3);
    });

    it('does not count a caller abort as a failure', async () => {
      const { manager } = setup([{ id: 's', circuitBreaker: { failureThreshold: 1 }, retry: false }]);
      const controller = new AbortController();
      const call = manager.executeWithResilience(
        's',
        ({ signal }) =>
          new Promise((_, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason));
          }),
        { signal: controller.signal },
      );
      await flushMicrotasks();
      controller.abort(new DOMException('caller gave up', 'AbortError'));
      await expect(call).rejects.toMatchObject({ name: 'AbortError' });
      expect(manager.getCircuitBreaker('s')!.state).toBe('closed');
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });
  });

  describe('caller signal', () => {
    it('adds one abort listener per signal however many calls share it, and aborts them all', async () => {
      const { manager } = setup([{ id: 's', circuitBreaker: false, retry: false, bulkhead: { maxConcurrency: 100 } }]);
      const controller = new AbortController();
      const calls = Array.from({ length: 50 }, () =>
        manager
          .executeWithResilience('s', () => new Promise(() => undefined), { signal: controller.signal })
          .catch((e: unknown) => e),
      );
      await flushMicrotasks();
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      const reason = new Error('shutdown');
      controller.abort(reason);
      const errors = await Promise.all(calls);
      expect(errors.every((e) => e === reason)).toBe(true);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('removes the shared listener once the last call on the signal settles', async () => {
      const { manager } = setup([{ id: 's', circuitBreaker: false, retry: false }]);
      const controller = new AbortController();
      const gate = deferred<undefined>();
      const a = manager.executeWithResilience('s', () => gate.promise, { signal: controller.signal });
      const b = manager.executeWithResilience('s', () => 1, { signal: controller.signal });
      await b;
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      gate.resolve(undefined);
      await a;
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });
  });

  describe('retry stage', () => {
    it('makes 1 try + maxRetries retries with exact delays and no sleep after the last failure', async () => {
      const { manager, clock } = setup([
        {
          id: 's',
          circuitBreaker: false,
          retry: { maxRetries: 3, backoff: 'exponential', baseDelayMs: 100, factor: 2 },
        },
      ]);
      const attempts: { attempt: number; at: number }[] = [];
      const start = clock.now();
      const call = manager.executeWithResilience('s', ({ attempt }) => {
        attempts.push({ attempt, at: clock.now() - start });
        return fail();
      });
      const settled = call.catch((e: unknown) => e);
      await clock.advanceAsync(100);
      await clock.advanceAsync(200);
      await clock.advanceAsync(400);
      const error = await settled;
      expect((error as Error).message).toBe('downstream down');
      expect(attempts).toEqual([
        { attempt: 1, at: 0 },
        { attempt: 2, at: 100 },
        { attempt: 3, at: 300 },
        { attempt: 4, at: 700 },
      ]);
      expect(clock.now() - start).toBe(700);
      expect(clock.pendingTimers).toBe(0);
    });

    it('does not retry an open circuit and stops retrying once the breaker opens', async () => {
      const { manager, clock } = setup([
        {
          id: 's',
          circuitBreaker: { failureThreshold: 2 },
          retry: { maxRetries: 5, backoff: 'fixed', baseDelayMs: 10 },
        },
      ]);
      let calls = 0;
      const call = manager
        .executeWithResilience('s', () => {
          calls++;
          return fail();
        })
        .catch((e: unknown) => e);
      await clock.advanceAsync(100);
      const error = await call;
      expect(calls).toBe(2);
      expect(isCircuitOpenError(error)).toBe(true);
      expect((error as Error & { cause?: Error }).cause?.message).toBe('downstream down');
    });

    it('honours nonRetryableErrors and ignoredErrors', async () => {
      const { manager } = setup([
        {
          id: 'nr',
          circuitBreaker: { failureThreshold: 1 },
          retry: { backoff: 'immediate' },
          nonRetryableErrors: ['EBAD'],
        },
        {
          id: 'ig',
          circuitBreaker: { failureThreshold: 1 },
          retry: { backoff: 'immediate' },
          ignoredErrors: ['NotFound'],
        },
      ]);
      let calls = 0;
      const coded = () => {
        calls++;
        return Promise.reject(Object.assign(new Error('bad'), { code: 'EBAD' }));
      };
      await expect(manager.executeWithResilience('nr', coded)).rejects.toThrow('bad');
      expect(calls).toBe(1);
      expect(manager.getCircuitBreaker('nr')!.state).toBe('open');

      calls = 0;
      const notFound = () => {
        calls++;
        const e = new Error('no such row');
        e.name = 'NotFound';
        return Promise.reject(e);
      };
      await expect(manager.executeWithResilience('ig', notFound)).rejects.toThrow('no such row');
      expect(calls).toBe(1);
      expect(manager.getCircuitBreaker('ig')!.state).toBe('closed');
    });
  });

  describe('timeout stage', () => {
    it('aborts the attempt signal with ResilienceTimeoutError and retries', async () => {
      const { manager, clock } = setup([
        {
          id: 's',
          circuitBreaker: false,
          timeout: { attemptTimeoutMs: 50 },
          retry: { maxRetries: 1, backoff: 'immediate' },
        },
      ]);
      const signals: AbortSignal[] = [];
      const call = manager.executeWithResilience('s', ({ signal, attempt }) => {
        signals.push(signal);
        if (attempt === 2) return 'second';
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        );
      });
      await clock.advanceAsync(50);
      await expect(call).resolves.toBe('second');
      expect(signals[0]!.aborted).toBe(true);
      expect(isResilienceTimeoutError(signals[0]!.reason)).toBe(true);
      expect(signals[0]!.reason).toMatchObject({ timeoutMs: 50, scope: 'attempt' });
      expect(signals[1]!.aborted).toBe(false);
      expect(clock.pendingTimers).toBe(0);
    });

    it('keeps the bulkhead slot of a timed-out attempt until the operation really settles', async () => {
      const { manager, clock } = setup([
        {
          id: 's',
          circuitBreaker: false,
          retry: false,
          timeout: { attemptTimeoutMs: 10 },
          bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        },
      ]);
      const slow = deferred();
      const first = manager.executeWithResilience('s', () => slow.promise).catch((e: unknown) => e);
      await clock.advanceAsync(10);
      expect(isResilienceTimeoutError(await first)).toBe(true);
      // The operation ignored its signal and is still running: no new call may start yet.
      await expect(manager.executeWithResilience('s', () => 'x')).rejects.toSatisfy(isBulkheadRejectedError);
      slow.resolve(undefined);
      await flushMicrotasks();
      await expect(manager.executeWithResilience('s', () => 'x')).resolves.toBe('x');
    });

    it('gives up with the real error when no retry could finish before the overall deadline', async () => {
      const { manager, clock } = setup([
        {
          id: 's',
          circuitBreaker: false,
          timeout: { overallTimeoutMs: 250 },
          retry: { maxRetries: 10, backoff: 'fixed', baseDelayMs: 100 },
        },
      ]);
      let calls = 0;
      const call = manager
        .executeWithResilience('s', () => {
          calls++;
          return fail();
        })
        .catch((e: unknown) => e);
      await clock.advanceAsync(1000);
      const error = await call;
      expect((error as Error).message).toBe('downstream down');
      // Attempts at 0, 100 and 200 ms; the next one would start at 300 > 250.
      expect(calls).toBe(3);
      expect(manager.activeRuntimes().get('s')!.metrics.timeouts).toBe(0);
    });

    it('times out an attempt that runs into the overall deadline with scope overall', async () => {
      const { manager, clock } = setup([
        {
          id: 's',
          circuitBreaker: false,
          timeout: { attemptTimeoutMs: 1000, overallTimeoutMs: 250 },
          retry: { maxRetries: 3, backoff: 'fixed', baseDelayMs: 100 },
        },
      ]);
      let calls = 0;
      const call = manager
        .executeWithResilience('s', ({ attempt }) => {
          calls++;
          return attempt === 1 ? fail() : new Promise(() => undefined);
        })
        .catch((e: unknown) => e);
      await clock.advanceAsync(250);
      const error = await call;
      expect(error).toMatchObject({ code: 'ERR_RESILIENCE_TIMEOUT', scope: 'overall', timeoutMs: 250 });
      expect(calls).toBe(2);
    });
  });

  describe('strategies', () => {
    it('rejects an unknown strategy id with UnknownStrategyError and creates nothing', async () => {
      const { manager } = setup([{ id: 's' }]);
      await expect(manager.executeWithResilience('nope', () => 1)).rejects.toSatisfy(isUnknownStrategyError);
      expect(manager.activeRuntimes().size).toBe(0);
    });

    it('returns the fallback value instead of failing', async () => {
      const { manager } = setup([{ id: 's', circuitBreaker: false, retry: false, fallback: { value: 'cached' } }]);
      await expect(manager.executeWithResilience('s', () => fail())).resolves.toBe('cached');
    });

    it('applies a rate limit before anything else', async () => {
      const { manager } = setup([{ id: 's', rateLimit: { kind: 'token-bucket', capacity: 2, refillPerSecond: 1 } }]);
      await manager.executeWithResilience('s', () => 1);
      await manager.executeWithResilience('s', () => 1);
      await expect(manager.executeWithResilience('s', () => 1)).rejects.toSatisfy(isRateLimitedError);
    });

    it('replaces the rate limiter when its kind changes', async () => {
      const { manager, registry } = setup([
        { id: 's', rateLimit: { kind: 'token-bucket', capacity: 1, refillPerSecond: 1 } },
      ]);
      await manager.executeWithResilience('s', () => 1);
      await expect(manager.executeWithResilience('s', () => 1)).rejects.toSatisfy(isRateLimitedError);
      registry.update('s', { rateLimit: { kind: 'sliding-window', limit: 5, windowMs: 1000 } });
      for (let i = 0; i < 5; i++) await manager.executeWithResilience('s', () => 1);
      await expect(manager.executeWithResilience('s', () => 1)).rejects.toSatisfy(isRateLimitedError);
    });

    it('applies a registry update to the running strategy in place', async () => {
      const { manager, registry } = setup([{ id: 's', circuitBreaker: { failureThreshold: 1 }, retry: false }]);
      await expect(manager.executeWithResilience('s', () => fail())).rejects.toThrow();
      const breaker = manager.getCircuitBreaker('s')!;
      expect(breaker.state).toBe('open');
      registry.update('s', { circuitBreaker: { failureThreshold: 5 } });
      expect(manager.getCircuitBreaker('s')).toBe(breaker);
      expect(breaker.state).toBe('open');
      expect(breaker.options.failureThreshold).toBe(5);
    });
  });

  describe('reconfigureLimitsAsync', () => {
    it('maps maxConcurrentOperations and maxQueueDepth onto bulkheads that do not set their own', async () => {
      const { manager } = setup([{ id: 'follow' }, { id: 'pinned', bulkhead: { maxConcurrency: 3 } }]);
      await manager.executeWithResilience('follow', () => 1);
      await manager.executeWithResilience('pinned', () => 1);
      const limits = await manager.reconfigureLimitsAsync({ maxConcurrentOperations: 7, maxQueueDepth: 9 });
      expect(limits.strategies!.follow!.bulkhead).toMatchObject({ maxConcurrency: 7, maxQueueSize: 9 });
      expect(limits.strategies!.pinned!.bulkhead).toMatchObject({ maxConcurrency: 3, maxQueueSize: 9 });
      const stats = manager.activeRuntimes().get('follow')!.bulkheadStatistics()!;
      expect(stats).toMatchObject({ maxConcurrency: 7, maxQueueSize: 9 });
    });

    it('under load keeps an open circuit open and never exceeds the new, smaller limit', async () => {
      const { manager } = setup([
        { id: 'b', circuitBreaker: false, retry: false, bulkhead: { maxConcurrency: 4, maxQueueSize: 100 } },
        { id: 'c', circuitBreaker: { failureThreshold: 1, breakDurationMs: 60_000 }, retry: false },
      ]);
      await expect(manager.executeWithResilience('c', () => fail())).rejects.toThrow();
      let running = 0;
      let peakAfterShrink = 0;
      let shrunk = false;
      const gates: ReturnType<typeof deferred<undefined>>[] = [];
      const calls = Array.from({ length: 12 }, () =>
        manager.executeWithResilience('b', async () => {
          running++;
          if (shrunk) peakAfterShrink = Math.max(peakAfterShrink, running);
          const gate = deferred<undefined>();
          gates.push(gate);
          await gate.promise;
          running--;
        }),
      );
      await flushMicrotasks();
      expect(running).toBe(4);
      await manager.reconfigureLimitsAsync({
        strategies: {
          b: { bulkhead: { maxConcurrency: 2 } },
          c: { circuitBreaker: { failureThreshold: 10, breakDurationMs: 1000 } },
        },
      });
      shrunk = true;
      expect(manager.getCircuitBreaker('c')!.state).toBe('open');
      // Finish calls one at a time; from now on at most 2 may run.
      let finished = 0;
      while (gates.length > 0) {
        gates.shift()!.resolve(undefined);
        finished++;
        await flushMicrotasks();
        // The 4 admitted before the shrink drain first; after 3 of them finished, only 2 may run.
        if (finished >= 3) expect(running).toBeLessThanOrEqual(2);
      }
      await Promise.all(calls);
      // Every call admitted after the shrink started with at most 2 running, itself included.
      expect(peakAfterShrink).toBe(2);
      await expect(manager.executeWithResilience('c', () => 1)).rejects.toSatisfy(isCircuitOpenError);
    });

    it('names the bad field and applies nothing when any field is invalid', async () => {
      const { manager } = setup([{ id: 's' }]);
      await manager.executeWithResilience('s', () => 1);
      const before = manager.currentLimits;
      const bad = manager.reconfigureLimitsAsync({
        maxConcurrentOperations: 5,
        strategies: { s: { bulkhead: { maxQueueSize: -1 } } },
      });
      await expect(bad).rejects.toSatisfy(isInvalidConfigurationError);
      await expect(bad).rejects.toMatchObject({ field: 'strategies.s.bulkhead.maxQueueSize', value: -1 });
      expect(manager.currentLimits).toEqual(before);
      await expect(manager.reconfigureLimitsAsync({ maxConcurrentOperations: 0 })).rejects.toMatchObject({
        field: 'maxConcurrentOperations',
      });
      await expect(manager.reconfigureLimitsAsync({ strategies: { ghost: {} } })).rejects.toMatchObject({
        field: 'strategies.ghost',
      });
      await expect(manager.reconfigureLimitsAsync({ maxConcurency: 3 } as never)).rejects.toMatchObject({
        field: 'maxConcurency',
      });
    });
  });

  describe('metrics and backpressure', () => {
    it('reports latency percentiles of attempts, not of rejected calls', async () => {
      const { manager, clock } = setup([{ id: 's', circuitBreaker: { failureThreshold: 1 }, retry: false }]);
      for (let i = 1; i <= 100; i++) {
        const call = manager.executeWithResilience(
          's',
          () => new Promise<void>((resolve) => clock.setTimeout(resolve, i)),
        );
        await clock.advanceAsync(i);
        await call;
      }
      manager.getCircuitBreaker('s')!.trip('test');
      for (let i = 0; i < 1000; i++) await manager.executeWithResilience('s', () => 1).catch(() => undefined);
      const s = (
        manager.getScalingMetrics() as {
          strategies: Record<string, { latencyMs: { p50: number; p99: number; count: number } }>;
        }
      ).strategies.s!;
      expect(s.latencyMs.count).toBe(100);
      expect(s.latencyMs.p50).toBeGreaterThan(50 * 0.96);
      expect(s.latencyMs.p50).toBeLessThan(51 * 1.04);
      expect(s.latencyMs.p99).toBeGreaterThan(99 * 0.96);
      expect(s.latencyMs.p99).toBeLessThan(100 * 1.04);
    });

    it('takes backpressure from the most loaded strategy and reaches shedding on rejection', async () => {
      const { manager, clock } = setup([
        ...Array.from({ length: 5 }, (_, i) => ({ id: `idle-${i}` })),
        { id: 'hot', bulkhead: { maxConcurrency: 1, maxQueueSize: 1 }, circuitBreaker: false, retry: false },
      ]);
      for (let i = 0; i < 5; i++) await manager.executeWithResilience(`idle-${i}`, () => 1);
      expect(manager.currentBackpressureState).toBe('normal');
      const gate = deferred<undefined>();
      const a = manager.executeWithResilience('hot', () => gate.promise);
      await flushMicrotasks();
      expect(manager.currentBackpressureState).toBe('warning');
      const b = manager.executeWithResilience('hot', () => 1);
      await flushMicrotasks();
      expect(manager.currentBackpressureState).toBe('critical');
      await expect(manager.executeWithResilience('hot', () => 1)).rejects.toSatisfy(isBulkheadRejectedError);
      expect(manager.currentBackpressureState).toBe('shedding');
      gate.resolve(undefined);
      await Promise.all([a, b]);
      clock.advance(10_000);
      expect(manager.currentBackpressureState).toBe('normal');
    });
  });

  describe('bounded memory', () => {
    it('keeps one runtime per registered strategy however many calls and ids are used', async () => {
      const strategies = Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, retry: false as const }));
      const { manager, clock } = setup(strategies);
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 200; i++) {
          await manager.executeWithResilience(`s${i}`, () => round);
          await manager.executeWithResilience(`unknown-${round}-${i}`, () => round).catch(() => undefined);
        }
        clock.advance(30_000);
      }
      expect(manager.activeRuntimes().size).toBe(200);
      const s0 = manager.activeRuntimes().get('s0')!;
      // Windows only count what is inside them: 20 rounds of calls, but the 60 s window holds ~2-3.
      expect(s0.metrics.rates(clock.now()).calls).toBeLessThanOrEqual(3);
      expect(s0.metrics.calls).toBe(20);
      expect(clock.pendingTimers).toBe(0);
    });
  });
});
