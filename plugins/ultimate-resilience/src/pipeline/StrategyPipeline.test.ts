/**
 * Edge cases of the resilience pipeline (StrategyRuntime + Attempt + CallState + DeadlineQueue +
 * metrics/report), most found by an adversarial review: caller aborts in every gap, permits,
 * timeouts while queued, re-entrant deadline expiry, bad arguments, bulkhead variants, and the
 * accounting. Everything runs in virtual time.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getEventListeners } from 'node:events';
import {
  VirtualClock,
  flushMicrotasks,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isInvalidConfigurationError,
  isResilienceTimeoutError,
} from '@datawarehouse/sdk';
import { deferred } from '@datawarehouse/sdk/testing';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import { DeadlineQueue } from '../timeout/DeadlineQueue.js';
import type { DeadlineEntry } from '../timeout/DeadlineQueue.js';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { makeRuntime, never, track } from '../testing/runtimeFixture.js';
import { backpressureOf, strategyMetricsOf } from '../manager/strategyReport.js';

describe('StrategyRuntime', () => {
  describe('caller abort in every gap of the retry loop', () => {
    it('settles with the abort reason and makes no further attempt when the caller aborts in the same tick as an attempt timeout', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        bulkhead: false,
        timeout: { attemptTimeoutMs: 100 },
        retry: { maxRetries: 3, backoff: 'fixed', baseDelayMs: 1000 },
      });
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      let calls = 0;
      const call = track(
        runtime.execute(
          () => {
            calls++;
            return never();
          },
          { signal: controller.signal },
        ),
      );
      await flushMicrotasks();
      clock.advance(100); // the attempt times out (race rejected, loop continuation not yet run) ...
      controller.abort(reason); // ... and the caller gives up in the same tick
      await flushMicrotasks();
      // Correct: the backoff never starts; the call settles at once with the caller's reason.
      expect(call.done).toBe(true);
      expect(call.error).toBe(reason);
      await clock.advanceAsync(10_000);
      expect(calls).toBe(1);
    });

    it('settles with the abort reason when the caller aborts after an attempt failed but before the loop handled the failure', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        bulkhead: false,
        retry: { maxRetries: 3, backoff: 'fixed', baseDelayMs: 1000 },
      });
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      let calls = 0;
      let firstAttempt!: Promise<never>;
      const call = track(
        runtime.execute(
          ({ attempt }) => {
            calls++;
            if (attempt === 1) return (firstAttempt = Promise.reject(new Error('downstream 503')));
            return never();
          },
          { signal: controller.signal },
        ),
      );
      // Reacts to the same rejection the pipeline reacts to, one reaction later: the abort lands
      // after the attempt's race rejected but before the retry loop's catch ran.
      firstAttempt.catch(() => controller.abort(reason));
      await flushMicrotasks();
      expect(call.done).toBe(true);
      expect(call.error).toBe(reason);
      await clock.advanceAsync(10_000);
      expect(calls).toBe(1);
    });

    it('does not start the operation when the caller aborts right after its queued call was granted a bulkhead slot', async () => {
      const def: StrategyDefinition = {
        id: 's',
        circuitBreaker: false,
        retry: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 10 },
      };
      const { runtime, reapply } = makeRuntime(def);
      const gate = deferred();
      const first = runtime.execute(() => gate.promise, undefined);
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      let invoked = 0;
      const second = track(
        runtime.execute(
          () => {
            invoked++;
            return never(); // a downstream that ignores its signal
          },
          { signal: controller.signal },
        ),
      );
      await flushMicrotasks();
      expect(runtime.bulkheadStatistics()!.queued).toBe(1);
      // A resize hands the slot to the waiter synchronously (its listener is removed then) ...
      reapply({ ...def, bulkhead: { maxConcurrency: 2, maxQueueSize: 10 } });
      controller.abort(reason); // ... and the caller aborts before the queued continuation ran.
      await flushMicrotasks();
      expect(invoked).toBe(0);
      expect(second.done).toBe(true);
      expect(second.error).toBe(reason);
      expect(runtime.bulkheadStatistics()!.running).toBe(1);
      gate.resolve(undefined);
      await first;
    });
  });

  describe('breaker permits', () => {
    it('settles the half-open probe permit when the strategy isFailure predicate throws (circuit not stuck half-open)', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        retry: false,
        bulkhead: false,
        circuitBreaker: { failureThreshold: 1, breakDurationMs: 1000, halfOpenMaxAttempts: 1 },
        isFailure: () => {
          throw new Error('predicate bug');
        },
      });
      const breaker = runtime.breaker!;
      breaker.trip('test');
      clock.advance(1000);
      breaker.refresh();
      expect(breaker.state).toBe('half-open');
      await runtime.execute(() => Promise.reject(new Error('down')), undefined).catch(() => undefined);
      // The probe must have an outcome (failure, like InMemoryCircuitBreaker.execute does) or be released.
      expect(breaker.getStatistics().halfOpenInFlight).toBe(0);
      clock.advance(60_000);
      await expect(runtime.execute(() => 'ok', undefined)).resolves.toBe('ok');
    });
  });

  describe('timeouts', () => {
    const queuedDef: StrategyDefinition = {
      id: 's',
      circuitBreaker: false,
      retry: false,
      bulkhead: { maxConcurrency: 1, maxQueueSize: 10 },
      timeout: { overallTimeoutMs: 100 },
    };

    it('enforces the overall timeout while the call waits in the bulkhead queue', async () => {
      const { clock, runtime } = makeRuntime(queuedDef);
      // Holds the only slot for 500 ms (its own call times out at 100, the operation keeps the slot).
      const first = runtime
        .execute(() => new Promise((resolve) => clock.setTimeout(() => resolve('first'), 500)), undefined)
        .catch(() => undefined);
      const second = track(runtime.execute(() => 'second', undefined));
      await clock.advanceAsync(100);
      expect(second.done).toBe(true);
      expect(isResilienceTimeoutError(second.error)).toBe(true);
      expect(second.error).toMatchObject({ scope: 'overall', timeoutMs: 100 });
      expect(runtime.bulkheadStatistics()!.queued).toBe(0);
      await clock.advanceAsync(1000);
      await first;
    });

    it('never starts an operation whose overall deadline passed while queued, and never reports a negative timeout', async () => {
      const { clock, runtime } = makeRuntime(queuedDef);
      const first = runtime
        .execute(() => new Promise((resolve) => clock.setTimeout(() => resolve('first'), 500)), undefined)
        .catch(() => undefined);
      let invoked = 0;
      const second = runtime
        .execute(() => {
          invoked++;
          return never();
        }, undefined)
        .catch((e: unknown) => e);
      await clock.advanceAsync(1000);
      await first;
      const error = await second;
      expect(invoked).toBe(0);
      expect(isResilienceTimeoutError(error)).toBe(true);
      expect((error as { timeoutMs: number }).timeoutMs).toBe(100);
    });

    it('keeps expiring in-flight attempts after their strategy is removed from the registry', async () => {
      const clock = new VirtualClock(1_000_000);
      const registry = new StrategyRegistry([
        { id: 's', circuitBreaker: false, retry: false, bulkhead: false, timeout: { attemptTimeoutMs: 100 } },
      ]);
      const manager = new ResilienceScalingManager({ registry, clock, random: () => 0.5 });
      const call = track(manager.executeWithResilience('s', never));
      await flushMicrotasks();
      registry.remove('s'); // "calls already running finish under it"
      await clock.advanceAsync(1000);
      expect(call.done).toBe(true);
      expect(isResilienceTimeoutError(call.error)).toBe(true);
      manager.dispose();
    });

    it("expires every due attempt on time when an expiring attempt's abort listener starts new calls (hedging)", async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        retry: false,
        bulkhead: false,
        timeout: { attemptTimeoutMs: 100 },
      });
      const hedges: Promise<unknown>[] = [];
      const originals = Array.from({ length: 16 }, (_, i) =>
        track(
          runtime.execute(({ signal }) => {
            if (i === 0) {
              signal.addEventListener('abort', () => {
                // Re-enters the strategy from inside the deadline queue's timer callback.
                hedges.push(runtime.execute(never, undefined).catch(() => undefined));
                hedges.push(runtime.execute(never, undefined).catch(() => undefined));
              });
            }
            return never();
          }, undefined),
        ),
      );
      await clock.advanceAsync(100);
      expect(originals.filter((c) => c.done && isResilienceTimeoutError(c.error))).toHaveLength(16);
      await clock.advanceAsync(1000);
      await Promise.all(hedges);
    });

    it('counts one timeout for one timed-out attempt even when the next retry delay would pass the overall deadline', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        bulkhead: false,
        timeout: { attemptTimeoutMs: 100, overallTimeoutMs: 150 },
        retry: { maxRetries: 3, backoff: 'fixed', baseDelayMs: 100 },
      });
      const call = runtime.execute(never, undefined).catch((e: unknown) => e);
      await clock.advanceAsync(100);
      expect(isResilienceTimeoutError(await call)).toBe(true);
      expect(runtime.metrics.attempts).toBe(1);
      expect(runtime.metrics.timeouts).toBe(1);
    });
  });

  describe('DeadlineQueue re-entrancy', () => {
    class Entry implements DeadlineEntry {
      settled = false;
      expiredAt: number | undefined = undefined;
      onExpire: (() => void) | undefined = undefined;
      constructor(
        readonly deadline: number,
        private readonly clock: VirtualClock,
      ) {}
      expire(): void {
        this.expiredAt = this.clock.now();
        this.settled = true;
        this.onExpire?.();
      }
    }

    it('does not crash its timer (nor skip due entries) when an expiring entry adds an out-of-order deadline', () => {
      const clock = new VirtualClock(0);
      const queue = new DeadlineQueue(clock);
      const a = new Entry(10, clock);
      const b = new Entry(10, clock);
      const c = new Entry(50, clock);
      const d = new Entry(20, clock);
      a.onExpire = () => queue.add(d); // 20 < 50: inserted in place, the ring buffer is rebuilt
      [a, b, c].forEach((e) => queue.add(e));
      expect(() => clock.advance(100)).not.toThrow();
      expect([a, b, d, c].map((e) => e.expiredAt)).toEqual([10, 10, 20, 50]);
    });
  });

  describe('bad caller input', () => {
    it('does not leak the bulkhead slot when options.signal is not an AbortSignal, and names the field', async () => {
      const { runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        retry: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
      });
      const error = await runtime.execute(() => 'x', { signal: {} as AbortSignal }).catch((e: unknown) => e);
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
      await expect(runtime.execute(() => 'y', undefined)).resolves.toBe('y');
      expect(isInvalidConfigurationError(error)).toBe(true);
    });

    it('returns a rejected promise instead of throwing synchronously when options is null', async () => {
      const clock = new VirtualClock(0);
      const manager = new ResilienceScalingManager({ registry: new StrategyRegistry([{ id: 's' }]), clock });
      let result: Promise<unknown> | undefined;
      expect(() => {
        result = manager.executeWithResilience('s', () => 1, null as never);
      }).not.toThrow();
      await result?.catch(() => undefined);
      manager.dispose();
    });

    it('rejects an invalid partition key with InvalidConfigurationError instead of serving the fallback and reporting shedding', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        retry: false,
        fallback: { value: 'cached' },
        bulkhead: { kind: 'partitioned', maxConcurrency: 2, maxQueueSize: 10 },
      });
      await expect(runtime.execute(() => 'x', { partitionKey: '' })).rejects.toSatisfy(isInvalidConfigurationError);
      expect(runtime.metrics.rejectedBulkhead).toBe(0);
      expect(backpressureOf(runtime, clock.now())).toBe('normal');
    });

    it('does not count an invalid priority as a caller abort', async () => {
      const { runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        retry: false,
        bulkhead: { kind: 'priority', maxConcurrency: 1, maxQueueSize: 10 },
      });
      const gate = deferred();
      const hold = runtime.execute(() => gate.promise, undefined);
      await expect(runtime.execute(() => 'x', { priority: Number.NaN })).rejects.toSatisfy(isInvalidConfigurationError);
      expect(runtime.metrics.aborted).toBe(0);
      gate.resolve(undefined);
      await hold;
    });
  });

  describe('bulkhead variants and reconfiguration', () => {
    it('reports backpressure and utilization per partition, not summed over partitions', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        retry: false,
        bulkhead: { kind: 'partitioned', maxConcurrency: 4, maxQueueSize: 10 },
      });
      const gate = deferred();
      const calls = ['a', 'b', 'c', 'd'].map((key) => runtime.execute(() => gate.promise, { partitionKey: key }));
      await flushMicrotasks();
      // Each partition runs 1 of 4: nothing is loaded.
      expect(backpressureOf(runtime, clock.now())).toBe('normal');
      expect(strategyMetricsOf(runtime, clock.now()).utilization).toBe(0.25);
      gate.resolve(undefined);
      await Promise.all(calls);
    });

    it('applies a changed maxPartitions of a partitioned bulkhead', async () => {
      const def: StrategyDefinition = {
        id: 's',
        circuitBreaker: false,
        retry: false,
        bulkhead: { kind: 'partitioned', maxConcurrency: 1, maxQueueSize: 0, maxPartitions: 1 },
      };
      const { runtime, reapply } = makeRuntime(def);
      const gate = deferred();
      const hold = runtime.execute(() => gate.promise, { partitionKey: 'a' });
      reapply({ ...def, bulkhead: { kind: 'partitioned', maxConcurrency: 1, maxQueueSize: 0, maxPartitions: 2 } });
      await expect(runtime.execute(() => 'b', { partitionKey: 'b' })).resolves.toBe('b');
      gate.resolve(undefined);
      await hold;
    });

    it('changing the bulkhead kind neither exceeds the limit nor rejects the queued calls', async () => {
      const def: StrategyDefinition = {
        id: 's',
        circuitBreaker: false,
        retry: false,
        bulkhead: { maxConcurrency: 2, maxQueueSize: 10 },
      };
      const { runtime, reapply } = makeRuntime(def);
      const gate = deferred();
      let running = 0;
      let peak = 0;
      const op = async (): Promise<string> => {
        running++;
        peak = Math.max(peak, running);
        await gate.promise;
        running--;
        return 'ok';
      };
      const before = [op, op, op].map((o) => runtime.execute(o, undefined).catch((e: unknown) => e));
      await flushMicrotasks();
      expect(running).toBe(2);
      reapply({ ...def, bulkhead: { kind: 'priority', maxConcurrency: 2, maxQueueSize: 10 } });
      const after = [op, op].map((o) => runtime.execute(o, undefined).catch((e: unknown) => e));
      await flushMicrotasks();
      expect(peak).toBeLessThanOrEqual(2);
      gate.resolve(undefined);
      const results = await Promise.all([...before, ...after]);
      expect(results.filter(isBulkheadRejectedError)).toHaveLength(0);
    });
  });

  describe('metrics and retry accounting', () => {
    it('treats an ignored error on a retry like on the first attempt: an answer, not a failure, no fallback', async () => {
      const { runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        bulkhead: false,
        ignoredErrors: ['NotFound'],
        fallback: { value: 'cached' },
        retry: { maxRetries: 1, backoff: 'immediate' },
      });
      const notFound = Object.assign(new Error('no such row'), { name: 'NotFound' });
      const result = runtime.execute(
        ({ attempt }) => Promise.reject(attempt === 1 ? new Error('503') : notFound),
        undefined,
      );
      await expect(result).rejects.toBe(notFound);
      expect(runtime.metrics.failures).toBe(0);
      expect(runtime.metrics.fallbacks).toBe(0);
    });

    it('does not let calls rejected by an open circuit feed the retry budget', async () => {
      const { runtime } = makeRuntime({
        id: 's',
        bulkhead: false,
        circuitBreaker: { failureThreshold: 1000 },
        retry: { maxRetries: 1, backoff: 'immediate', budgetRatio: 0.1, budgetMinRetriesPerSecond: 0 },
      });
      const breaker = runtime.breaker!;
      breaker.trip('test');
      for (let i = 0; i < 100; i++)
        await expect(runtime.execute(() => 1, undefined)).rejects.toSatisfy(isCircuitOpenError);
      breaker.reset('test');
      for (let i = 0; i < 10; i++)
        await runtime.execute(() => Promise.reject(new Error('down')), undefined).catch(() => undefined);
      // 10 first attempts reached the downstream: a 0.1 budget allows 1 retry, not 10.
      expect(runtime.metrics.retries).toBeLessThanOrEqual(1);
    });
  });

  describe('leases, listeners, operation shapes, metrics', () => {
    it('a timeout and a success in the same tick: the timeout wins, the lease is released exactly once', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        retry: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        timeout: { attemptTimeoutMs: 100 },
      });
      const call = runtime
        .execute(() => new Promise<string>((resolve) => clock.setTimeout(() => resolve('late'), 100)), undefined)
        .catch((e: unknown) => e);
      await flushMicrotasks();
      clock.advance(100); // both timers due at the same instant, no microtask in between
      expect(isResilienceTimeoutError(await call)).toBe(true);
      await flushMicrotasks();
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
      await expect(runtime.execute(() => 'x', undefined)).resolves.toBe('x');
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
    });

    it('handles sync-throwing, sync-returning and non-native thenable operations, releasing every slot and permit', async () => {
      const { runtime } = makeRuntime({
        id: 's',
        retry: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        circuitBreaker: { failureThreshold: 100 },
        timeout: { attemptTimeoutMs: 1000 },
      });
      const controller = new AbortController();
      const options = { signal: controller.signal };
      await expect(
        runtime.execute(() => {
          throw new Error('sync');
        }, options),
      ).rejects.toThrow('sync');
      await expect(runtime.execute(() => 42, options)).resolves.toBe(42);
      const thenable = { then: (ok: (v: string) => void) => ok('thenable') };
      await expect(runtime.execute(() => thenable as unknown as Promise<string>, options)).resolves.toBe('thenable');
      const twice = {
        then: (ok: (v: string) => void, fail: (e: unknown) => void) => {
          fail(new Error('first wins'));
          ok('ignored');
        },
      };
      await expect(runtime.execute(() => twice as unknown as Promise<string>, options)).rejects.toThrow('first wins');
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
      expect(runtime.inFlight).toBe(0);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(runtime.breaker!.getStatistics()).toMatchObject({ successfulCalls: 2, failedCalls: 2 });
      expect(runtime.metrics).toMatchObject({ calls: 4, successes: 2, failures: 2 });
    });

    it('a caller abort during the bulkhead wait settles at once with the reason, removes every listener and is not a failure', async () => {
      const { runtime } = makeRuntime({
        id: 's',
        retry: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 5 },
        circuitBreaker: { failureThreshold: 1 },
      });
      const gate = deferred();
      const hold = runtime.execute(() => gate.promise, undefined);
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      const queued = track(runtime.execute(() => 'never', { signal: controller.signal }));
      await flushMicrotasks();
      controller.abort(reason);
      await flushMicrotasks();
      expect(queued.error).toBe(reason);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(runtime.bulkheadStatistics()).toMatchObject({ queued: 0, running: 1 });
      expect(runtime.metrics).toMatchObject({ aborted: 1, failures: 0, calls: 0 });
      expect(runtime.breaker!.state).toBe('closed');
      gate.resolve(undefined);
      await hold;
    });

    it('a caller abort during the retry backoff clears the sleep timer and settles with the reason', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        bulkhead: false,
        retry: { maxRetries: 3, backoff: 'fixed', baseDelayMs: 1000 },
      });
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      let calls = 0;
      const call = track(
        runtime.execute(
          () => {
            calls++;
            return Promise.reject(new Error('503'));
          },
          { signal: controller.signal },
        ),
      );
      await flushMicrotasks();
      expect(clock.pendingTimers).toBe(1); // the backoff
      controller.abort(reason);
      await flushMicrotasks();
      expect(call.error).toBe(reason);
      expect(clock.pendingTimers).toBe(0);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(calls).toBe(1);
    });

    it('keeps calls = successes + failures + rejections, and rejected calls out of the latency histogram', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        retry: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        circuitBreaker: { failureThreshold: 3 },
      });
      const gate = deferred();
      const hold = runtime.execute(() => gate.promise, undefined);
      await expect(runtime.execute(() => 1, undefined)).rejects.toSatisfy(isBulkheadRejectedError);
      gate.resolve(undefined);
      await hold;
      for (let i = 0; i < 3; i++)
        await runtime.execute(() => Promise.reject(new Error('x')), undefined).catch(() => undefined);
      for (let i = 0; i < 5; i++)
        await expect(runtime.execute(() => 1, undefined)).rejects.toSatisfy(isCircuitOpenError);
      const m = runtime.metrics;
      expect(m).toMatchObject({ calls: 10, successes: 1, failures: 3, rejectedBulkhead: 1, rejectedCircuitOpen: 5 });
      expect(m.calls).toBe(
        m.successes + m.failures + m.rejectedBulkhead + m.rejectedCircuitOpen + m.rejectedRateLimited,
      );
      expect(m.latency.summary(clock.now()).count).toBe(4);
    });
  });

  describe('DeadlineQueue model', () => {
    class ModelEntry implements DeadlineEntry {
      settled = false;
      expiredAt: number | undefined = undefined;
      expiredTwiceOrAfterSettle = false;
      constructor(
        readonly deadline: number,
        private readonly clock: VirtualClock,
      ) {}
      expire(): void {
        if (this.settled) this.expiredTwiceOrAfterSettle = true;
        this.expiredAt = this.clock.now();
        this.settled = true;
      }
    }
    type Cmd = { kind: 'add'; delay: number } | { kind: 'settle'; pick: number } | { kind: 'advance'; ms: number };
    const cmd: fc.Arbitrary<Cmd> = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), delay: fc.integer({ min: 0, max: 200 }) }),
      fc.record({ kind: fc.constant('settle' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60 }) }),
    );

    it('expires exactly the unsettled entries, each once, exactly at its deadline, under out-of-order adds, settles and compaction', () => {
      fc.assert(
        fc.property(fc.array(cmd, { maxLength: 400 }), (cmds) => {
          const clock = new VirtualClock(0);
          const queue = new DeadlineQueue(clock);
          const entries: ModelEntry[] = [];
          for (const c of cmds) {
            if (c.kind === 'add') {
              const e = new ModelEntry(clock.now() + c.delay, clock);
              entries.push(e);
              queue.add(e);
            } else if (c.kind === 'settle') {
              const open = entries.filter((e) => !e.settled);
              if (open.length === 0) continue;
              open[c.pick % open.length]!.settled = true;
              queue.onSettled();
            } else {
              clock.advance(c.ms);
              for (const e of entries) if (!e.settled) expect(e.deadline).toBeGreaterThan(clock.now());
            }
          }
          clock.advance(1_000_000);
          for (const e of entries) {
            expect(e.expiredTwiceOrAfterSettle).toBe(false);
            if (e.expiredAt !== undefined) expect(e.expiredAt).toBe(e.deadline);
            expect(e.settled).toBe(true);
          }
          expect(queue.size).toBe(0);
          expect(clock.pendingTimers).toBe(0);
        }),
        { numRuns: 300 },
      );
    });
  });
});
