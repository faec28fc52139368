/**
 * The pipeline's guarantees at their edges (issue #10): slots follow the work in the downstream
 * (a retry never runs under the slot its abandoned predecessor still holds), only genuine
 * rejections pass through uncounted, and a caller's abort reaches `ctx.signal` even while the
 * operation runs synchronously. Virtual time throughout.
 */
import { describe, expect, it } from 'vitest';
import { getEventListeners } from 'node:events';
import {
  CircuitOpenError,
  InMemoryCircuitBreaker,
  flushMicrotasks,
  isCircuitOpenError,
  isPipelineRejection,
  isResilienceTimeoutError,
  VirtualClock,
} from '@datawarehouse/sdk';
import type { ICircuitBreaker } from '@datawarehouse/sdk';
import { deferred } from '@datawarehouse/sdk/testing';
import { makeRuntime, never, track } from '../testing/runtimeFixture.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';

/** Counts operations between their start and their settlement. */
function downstream() {
  const d = { running: 0, peak: 0, started: 0 };
  const enter = (): void => {
    d.started++;
    d.running++;
    if (d.running > d.peak) d.peak = d.running;
  };
  const leave = (): void => {
    d.running--;
  };
  /** An operation that ignores its signal and settles after `ms` (never when `ms` is Infinity). */
  const ignoring = (clock: VirtualClock, ms: number) => (): Promise<string> => {
    enter();
    if (ms === Infinity) return never();
    return new Promise((resolve) =>
      clock.setTimeout(() => {
        leave();
        resolve('late');
      }, ms),
    );
  };
  return { d, ignoring };
}

describe('StrategyRuntime guarantees', () => {
  describe('a retry never runs under the slot of an abandoned attempt that is still running', () => {
    it('with no queue, refuses the retries: two slots, three retries, operations that never settle -> 2 in the downstream, not 8', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 2, maxQueueSize: 0 },
        timeout: { attemptTimeoutMs: 100 },
        retry: { maxRetries: 3, backoff: 'fixed', baseDelayMs: 10 },
      });
      const { d, ignoring } = downstream();
      const calls = [
        track(runtime.execute(ignoring(clock, Infinity), undefined)),
        track(runtime.execute(ignoring(clock, Infinity), undefined)),
      ];
      await clock.advanceAsync(1_000);
      expect(d.started).toBe(2);
      expect(d.peak).toBe(2);
      for (const call of calls) {
        expect(call.rejected).toBe(true);
        expect(isResilienceTimeoutError(call.error)).toBe(true);
      }
      expect(runtime.bulkheadStatistics()).toMatchObject({ running: 2, queued: 0 });
      expect(runtime.metrics).toMatchObject({
        attempts: 2,
        retries: 0,
        retrySlotRefused: 2,
        abandonedRunning: 2,
        failures: 2,
      });
    });

    it('with a queue, the retry waits for a slot and runs when the abandoned operation settles', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 1 },
        timeout: { attemptTimeoutMs: 100 },
        retry: { maxRetries: 1, backoff: 'fixed', baseDelayMs: 10 },
      });
      const { d, ignoring } = downstream();
      const late = ignoring(clock, 500);
      const call = track(runtime.execute((ctx) => (ctx.attempt === 1 ? late() : (d.started++, 'second')), undefined));
      await clock.advanceAsync(110); // attempt 1 timed out, backoff done: the retry queues
      expect(runtime.bulkheadStatistics()).toMatchObject({ running: 1, queued: 1 });
      expect(runtime.metrics.abandonedRunning).toBe(1);
      expect(call.done).toBe(false);
      await clock.advanceAsync(390); // attempt 1's operation settles at 500: its slot goes to the retry
      expect(call.value).toBe('second');
      expect(d.peak).toBe(1);
      expect(runtime.bulkheadStatistics()).toMatchObject({ running: 0, queued: 0 });
      expect(runtime.metrics).toMatchObject({
        attempts: 2,
        retries: 1,
        retrySlotRefused: 0,
        abandonedRunning: 0,
        successes: 1,
      });
    });

    it('takes its slot back when the abandoned operation settles during the backoff (no queueing, nobody overtakes)', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        timeout: { attemptTimeoutMs: 100 },
        retry: { maxRetries: 1, backoff: 'fixed', baseDelayMs: 50 },
      });
      const { ignoring } = downstream();
      const late = ignoring(clock, 120);
      const call = track(runtime.execute((ctx) => (ctx.attempt === 1 ? late() : 'second'), undefined));
      await clock.advanceAsync(130); // timed out at 100, settled at 120, backoff until 150
      const other = track(runtime.execute(() => 'other', undefined));
      await flushMicrotasks();
      expect(other.rejected).toBe(true); // the slot is the retrying call's
      await clock.advanceAsync(20);
      expect(call.value).toBe('second');
      expect(runtime.bulkheadStatistics()).toMatchObject({ running: 0, queued: 0 });
      expect(runtime.metrics).toMatchObject({ retrySlotRefused: 0, abandonedRunning: 0 });
    });

    it('a caller abort while the retry waits for a slot leaves the queue at once; the abandoned operation keeps its slot until it settles', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 5 },
        timeout: { attemptTimeoutMs: 100 },
        retry: { maxRetries: 3, backoff: 'fixed', baseDelayMs: 10 },
      });
      const op = deferred<string>();
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      const call = track(runtime.execute(() => op.promise, { signal: controller.signal }));
      await clock.advanceAsync(110);
      expect(runtime.bulkheadStatistics()).toMatchObject({ running: 1, queued: 1 });
      controller.abort(reason);
      await flushMicrotasks();
      expect(call.error).toBe(reason);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(runtime.bulkheadStatistics()).toMatchObject({ running: 1, queued: 0 });
      op.resolve('late');
      await flushMicrotasks();
      expect(runtime.bulkheadStatistics()).toMatchObject({ running: 0, queued: 0 });
      expect(runtime.metrics).toMatchObject({ aborted: 1, abandonedRunning: 0 });
    });

    it('retires a switched-off bulkhead as soon as an abandoned operation, its last holder, settles', async () => {
      const { clock, runtime, reapply } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        retry: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        timeout: { attemptTimeoutMs: 100 },
      });
      const op = deferred<string>();
      const call = track(runtime.execute(() => op.promise, undefined));
      await clock.advanceAsync(100);
      expect(isResilienceTimeoutError(call.error)).toBe(true);
      reapply({ id: 's', circuitBreaker: false, retry: false, bulkhead: false, timeout: { attemptTimeoutMs: 100 } });
      expect(runtime.bulkheadStatistics()).toMatchObject({ running: 1 }); // still serving: its slot is held
      op.resolve('late');
      await flushMicrotasks();
      expect(runtime.bulkhead).toBeUndefined();
      expect(runtime.metrics.abandonedRunning).toBe(0);
    });

    it('fails with the last downstream error when the overall timeout passes while the retry waits for a slot', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 5 },
        timeout: { attemptTimeoutMs: 100, overallTimeoutMs: 300 },
        retry: { maxRetries: 3, backoff: 'fixed', baseDelayMs: 10 },
      });
      const call = track(runtime.execute(never, undefined));
      await clock.advanceAsync(300);
      expect(call.rejected).toBe(true);
      expect(call.error).toMatchObject({ code: 'ERR_RESILIENCE_TIMEOUT', scope: 'attempt' });
      expect(runtime.bulkheadStatistics()).toMatchObject({ running: 1, queued: 0 });
      expect(runtime.metrics).toMatchObject({ retrySlotRefused: 1, abandonedRunning: 1, failures: 1 });
    });
  });

  describe('only rejections the pipeline raised itself pass through uncounted', () => {
    const forged: ReadonlyArray<[string, () => unknown]> = [
      ['a plain object with code ERR_CIRCUIT_OPEN', () => ({ code: 'ERR_CIRCUIT_OPEN' })],
      [
        'an Error with code ERR_BULKHEAD_REJECTED',
        () => Object.assign(new Error('remote full'), { code: 'ERR_BULKHEAD_REJECTED' }),
      ],
      [
        'an Error with code ERR_RATE_LIMITED',
        () => Object.assign(new Error('remote 429'), { code: 'ERR_RATE_LIMITED' }),
      ],
      [
        'an Error with code ERR_INVALID_CONFIGURATION',
        () => Object.assign(new Error('remote 400'), { code: 'ERR_INVALID_CONFIGURATION' }),
      ],
      ['a CircuitOpenError the downstream built itself', () => new CircuitOpenError('remote', 'open', 1000)],
    ];
    for (const [what, make] of forged) {
      it(`counts ${what} as a downstream failure, opens the breaker and serves the fallback`, async () => {
        const { runtime } = makeRuntime({
          id: 's',
          retry: false,
          bulkhead: false,
          fallback: { value: 'fallback' },
          circuitBreaker: { mode: 'consecutive', failureThreshold: 3 },
        });
        for (let i = 0; i < 3; i++) {
          await expect(runtime.execute(() => Promise.reject(make()), undefined)).resolves.toBe('fallback');
        }
        expect(runtime.breaker!.state).toBe('open');
        expect(runtime.metrics).toMatchObject({ failures: 3, passed: 0, fallbacks: 3 });
      });
    }

    it("passes a nested pipeline's real rejection through untouched, without counting it or falling back", async () => {
      const clock = new VirtualClock(0);
      const registry = new StrategyRegistry([
        { id: 'inner', retry: false, circuitBreaker: { mode: 'consecutive', failureThreshold: 1 } },
        {
          id: 'outer',
          retry: false,
          fallback: { value: 'fallback' },
          circuitBreaker: { mode: 'consecutive', failureThreshold: 1 },
        },
      ]);
      const manager = new ResilienceScalingManager({ registry, clock });
      manager.getCircuitBreaker('inner')!.trip();
      const error = await manager
        .executeWithResilience('outer', () => manager.executeWithResilience('inner', () => 'x'))
        .catch((e: unknown) => e);
      expect(isCircuitOpenError(error)).toBe(true);
      expect(isPipelineRejection(error)).toBe(true);
      const outer = manager.runtimeFor('outer');
      expect(outer.breaker!.state).toBe('closed');
      expect(outer.metrics).toMatchObject({ failures: 0, passed: 1, fallbacks: 0 });
      manager.dispose();
    });

    it("passes a nested call's refused arguments (unknown strategy, operation not a function) through without counting them", async () => {
      const registry = new StrategyRegistry([
        { id: 'outer', retry: false, circuitBreaker: { mode: 'consecutive', failureThreshold: 1 } },
      ]);
      const manager = new ResilienceScalingManager({ registry, clock: new VirtualClock(0) });
      const unknown = await manager
        .executeWithResilience('outer', () => manager.executeWithResilience('nope', () => 1))
        .catch((e: unknown) => e);
      const notAFunction = await manager
        .executeWithResilience('outer', () => manager.executeWithResilience('outer', 42 as never))
        .catch((e: unknown) => e);
      expect([unknown, notAFunction].map((e) => (e as { code: string }).code)).toEqual([
        'ERR_UNKNOWN_STRATEGY',
        'ERR_INVALID_CONFIGURATION',
      ]);
      const outer = manager.runtimeFor('outer');
      expect(outer.breaker!.state).toBe('closed');
      expect(outer.metrics).toMatchObject({ failures: 0, passed: 2 });
      manager.dispose();
    });

    it('marks the refusal of a breaker that does not mark its own (a custom ICircuitBreaker), on the first attempt and on a retry', async () => {
      const clock = new VirtualClock(1_000_000);
      const registry = new StrategyRegistry([{ id: 'inner', retry: false }]);
      const manager = new ResilienceScalingManager({
        registry,
        clock,
        createCircuitBreaker: (name, o, c) => {
          const inner = new InMemoryCircuitBreaker(name, o, c);
          // Delegates, but builds its own, unmarked CircuitOpenError (the contract allows it).
          return new Proxy(inner, {
            get(target, prop, receiver) {
              if (prop === 'tryAcquirePermission') {
                return (now?: number) => {
                  const r = target.tryAcquirePermission(now);
                  return typeof r === 'number' ? r : new CircuitOpenError(name, 'open', 1000);
                };
              }
              const v: unknown = Reflect.get(target, prop, receiver);
              return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
            },
          }) as ICircuitBreaker;
        },
      });
      manager.getCircuitBreaker('inner')!.trip();
      const error = await manager.executeWithResilience('inner', () => 'x').catch((e: unknown) => e);
      expect(isCircuitOpenError(error) && isPipelineRejection(error)).toBe(true);
      manager.dispose();
    });

    it('does not mark what runtime creation throws for other reasons (a listener, a breaker factory)', async () => {
      const registry = new StrategyRegistry([{ id: 's' }]);
      const manager = new ResilienceScalingManager({ registry, clock: new VirtualClock(0) });
      const bug = new Error('listener bug');
      manager.events.on('runtimeCreated', () => {
        throw bug;
      });
      const error = await manager.executeWithResilience('s', () => 'x').catch((e: unknown) => e);
      expect(error).toBe(bug);
      expect(isPipelineRejection(bug)).toBe(false);
      manager.dispose();
    });

    it('marks its own rejections: open circuit, full bulkhead, rate limit, bad options', async () => {
      const { clock, runtime } = makeRuntime({
        id: 's',
        retry: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        rateLimit: { kind: 'token-bucket', capacity: 2, refillPerSecond: 1 },
      });
      const hold = deferred<string>();
      const first = track(runtime.execute(() => hold.promise, undefined));
      const full = await runtime.execute(() => 'x', undefined).catch((e: unknown) => e);
      const limited = await runtime.execute(() => 'x', undefined).catch((e: unknown) => e);
      const invalid = await runtime.execute(() => 'x', { priority: Number.NaN }).catch((e: unknown) => e);
      expect([full, limited, invalid].map((e) => (e as { code: string }).code)).toEqual([
        'ERR_BULKHEAD_REJECTED',
        'ERR_RATE_LIMITED',
        'ERR_INVALID_CONFIGURATION',
      ]);
      expect([full, limited, invalid].every(isPipelineRejection)).toBe(true);
      runtime.breaker!.trip();
      hold.resolve('ok');
      await flushMicrotasks();
      expect(first.value).toBe('ok');
      clock.advance(5_000); // tokens refilled: the breaker is what refuses now
      const open = await runtime.execute(() => 'x', undefined).catch((e: unknown) => e);
      expect(isCircuitOpenError(open) && isPipelineRejection(open)).toBe(true);
    });
  });

  describe("a caller abort during the operation's synchronous part", () => {
    it('aborts ctx.signal at once, and the call rejects with the reason even though the operation returned a plain value', async () => {
      const { runtime } = makeRuntime({ id: 's', retry: false, bulkhead: { maxConcurrency: 1, maxQueueSize: 0 } });
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      let seenInside: boolean | undefined;
      let signal: AbortSignal | undefined;
      const background: string[] = [];
      const error = await runtime
        .execute(
          (ctx) => {
            signal = ctx.signal;
            signal.addEventListener('abort', () => background.push('cancelled'));
            controller.abort(reason); // e.g. a shutdown triggered by something the operation called
            seenInside = ctx.signal.aborted;
            return 'plain value';
          },
          { signal: controller.signal },
        )
        .catch((e: unknown) => e);
      expect(seenInside).toBe(true);
      expect(signal!.reason).toBe(reason);
      expect(background).toEqual(['cancelled']);
      expect(error).toBe(reason);
      expect(runtime.metrics).toMatchObject({ aborted: 1, successes: 0, failures: 0 });
      expect(runtime.breaker!.getStatistics()).toMatchObject({ failedCalls: 0, successfulCalls: 0 });
      expect(runtime.bulkheadStatistics()).toMatchObject({ running: 0 });
    });

    it('aborts a signal first read after the abort, and keeps the slot while the returned promise runs on', async () => {
      const { runtime } = makeRuntime({ id: 's', retry: false, bulkhead: { maxConcurrency: 1, maxQueueSize: 0 } });
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      const op = deferred<string>();
      let seen: boolean | undefined;
      const call = track(
        runtime.execute(
          (ctx) => {
            controller.abort(reason);
            seen = ctx.signal.aborted;
            return op.promise; // ignores the signal
          },
          { signal: controller.signal },
        ),
      );
      await flushMicrotasks();
      expect(seen).toBe(true);
      expect(call.error).toBe(reason);
      expect(runtime.bulkheadStatistics()).toMatchObject({ running: 1 });
      expect(runtime.metrics.abandonedRunning).toBe(1);
      op.resolve('late');
      await flushMicrotasks();
      expect(runtime.bulkheadStatistics()).toMatchObject({ running: 0 });
      expect(runtime.metrics.abandonedRunning).toBe(0);
    });

    it('treats an error thrown after the caller aborted as the abort, not as a downstream failure', async () => {
      const { runtime } = makeRuntime({
        id: 's',
        retry: false,
        circuitBreaker: { mode: 'consecutive', failureThreshold: 1 },
      });
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      const error = await runtime
        .execute(
          () => {
            controller.abort(reason);
            throw new Error('saw the abort');
          },
          { signal: controller.signal },
        )
        .catch((e: unknown) => e);
      expect(error).toBe(reason);
      expect(runtime.breaker!.state).toBe('closed');
      expect(runtime.metrics).toMatchObject({ aborted: 1, failures: 0 });
    });
  });
});
