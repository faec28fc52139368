/**
 * Review of the #16 call-path rewrite (20a6045: callback-driven attempts instead of an async
 * retry loop with a race promise), the staged successes (34d636b) and the per-call hooks
 * (3b9359b). Each test states what the pipeline must do (docs/guarantees.md, the TSDoc of
 * `ResilienceHooks`). Nine of them reproduced bugs the review found; each failed before its fix
 * (two by a change of the documented contract instead: hooks run while the call holds its slot,
 * and `onFailure` carries the error the call ends with). Everything runs in virtual time.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCALING_LIMITS,
  flushMicrotasks,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isResilienceTimeoutError,
  silentLogger,
} from '@datawarehouse/sdk';
import type { ResilienceHooks, StrategyLimits } from '@datawarehouse/sdk';
import { deferred } from '@datawarehouse/sdk/testing';
import { computeEffectiveOptions } from '../strategies/effectiveOptions.js';
import { resolveStrategyDefinition } from '../strategies/StrategyDefinition.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { makeRuntime, never, track } from '../testing/runtimeFixture.js';
import { CallEvents } from './CallEvents.js';

/** A runtime as the manager builds it, with its own per-call events (hooks), in virtual time. */
function setup(def: StrategyDefinition, override?: StrategyLimits) {
  const events = new CallEvents(silentLogger);
  const { clock, runtime } = makeRuntime(def, override, events);
  return { clock, runtime, events };
}

/** A native promise whose own `then` is replaced (what `instanceof Promise` still accepts). */
function withThen<T>(
  promise: Promise<T>,
  then: (onOk: (v: T) => void, onErr: (e: unknown) => void) => void,
): Promise<T> {
  return Object.assign(promise, { then }) as Promise<T>;
}

describe('call-path rewrite review', () => {
  describe('operations returning hostile thenables', () => {
    it('never throws synchronously when the returned promise has a then() override that throws: its real state decides (as with await); slot and inFlight come back', async () => {
      const { runtime } = setup({
        id: 's',
        retry: false,
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
      });
      const bad = new Error('then() exploded');
      const hostile = withThen(Promise.resolve('v'), () => {
        throw bad;
      });
      let call: Promise<string> | undefined;
      // 20a6045: Attempt.watch calls operation.then(...) outside any try: the throw leaves
      // runAttempt, start and execute (a84f472 rejected the attempt's race promise instead).
      expect(() => (call = runtime.execute(() => hostile, undefined))).not.toThrow();
      await expect(call).resolves.toBe('v');
      expect(runtime.inFlight).toBe(0);
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
    });

    it('never throws synchronously when reading the returned value’s then throws (a throwing getter); the slot comes back', async () => {
      const { runtime } = setup({
        id: 's',
        retry: false,
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
      });
      const bad = new Error('then getter exploded');
      const hostile = {
        get then(): never {
          throw bad;
        },
      };
      let call: Promise<unknown> | undefined;
      // isThenable(returned) reads `.then` in runAttempt, outside the try around the operation.
      expect(() => (call = runtime.execute(() => hostile, undefined))).not.toThrow();
      await expect(call).rejects.toBe(bad);
      expect(runtime.inFlight).toBe(0);
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
    });

    it('a returned promise whose own then() reports twice (failure, then success) is judged once, by its real state', async () => {
      const { clock, runtime } = setup({
        id: 's',
        bulkhead: false,
        circuitBreaker: { failureThreshold: 1000 },
        // With a deadline a84f472 raced the operation through a promise of its own (first report
        // wins: this test passes there); without one it awaited the native promise, ignoring the
        // own then(). 20a6045 hands both reports to the pipeline.
        timeout: { attemptTimeoutMs: 1000 },
        retry: { maxRetries: 1, backoff: 'fixed', baseDelayMs: 0 },
      });
      const second = deferred<string>();
      let calls = 0;
      const call = track(
        runtime.execute<string>(({ attempt }) => {
          calls++;
          if (attempt === 1) {
            // Reports a failure, then (against the Promise contract) a success.
            return withThen(Promise.resolve('stray'), (onOk, onErr) => {
              onErr(new Error('first outcome'));
              onOk('stray');
            });
          }
          return second.promise;
        }, undefined),
      );
      await flushMicrotasks();
      // The override is never called: the native then() reads the promise's own state, 'stray'.
      expect(calls).toBe(1);
      expect(call.value).toBe('stray');
      clock.advance(10);
      second.resolve('unused');
      await flushMicrotasks();
      expect(runtime.metrics.successes).toBe(1);
      expect(runtime.metrics.failures).toBe(0);
      expect(runtime.inFlight).toBe(0);
    });
  });

  describe('user code that throws or misbehaves (checked: correct)', () => {
    it('a non-native thenable whose then() throws, or calls back twice, is judged once and never throws synchronously', async () => {
      const { runtime } = setup({
        id: 's',
        retry: false,
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
      });
      const bad = new Error('then() exploded');
      await expect(
        runtime.execute(
          () =>
            ({
              then: () => {
                throw bad;
              },
            }) as unknown as Promise<string>,
          undefined,
        ),
      ).rejects.toBe(bad);
      const twice = {
        then: (ok: (v: string) => void, fail: (e: unknown) => void) => {
          ok('first');
          fail(new Error('second'));
          ok('third');
        },
      } as unknown as Promise<string>;
      await expect(runtime.execute(() => twice, undefined)).resolves.toBe('first');
      expect(runtime.metrics.successes).toBe(1);
      expect(runtime.metrics.failures).toBe(1);
      expect(runtime.inFlight).toBe(0);
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
    });

    it('a fallbackFn that throws, or returns a rejected promise, rejects the call (no unhandled rejection) and gives the slot back', async () => {
      let mode: 'throw' | 'reject' = 'throw';
      const fromFallback = new Error('fallback broke');
      const { runtime } = setup({
        id: 's',
        retry: false,
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        fallbackFn: () => {
          if (mode === 'throw') throw fromFallback;
          return Promise.reject(fromFallback);
        },
      });
      await expect(runtime.execute(() => Promise.reject(new Error('down')), undefined)).rejects.toBe(fromFallback);
      mode = 'reject';
      await expect(runtime.execute(() => Promise.reject(new Error('down')), undefined)).rejects.toBe(fromFallback);
      await expect(
        runtime.execute(() => {
          throw new Error('sync down');
        }, undefined),
      ).rejects.toBe(fromFallback);
      expect(runtime.metrics.fallbacks).toBe(3);
      expect(runtime.inFlight).toBe(0);
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
    });
  });

  describe('breaker permits and synchronous caller aborts', () => {
    it('gives back the half-open probe when a stateChanged listener (onCircuitTransition hook) aborts the caller during admission', async () => {
      const { clock, runtime, events } = setup({
        id: 's',
        retry: false,
        bulkhead: false,
        circuitBreaker: { failureThreshold: 1, breakDurationMs: 1000, halfOpenMaxAttempts: 1 },
      });
      const breaker = runtime.breaker!;
      // What the manager does: the breaker's transitions go to the hooks.
      breaker.events.on('stateChanged', (change) => events.circuitTransition('s', change));
      const controller = new AbortController();
      const hooks: ResilienceHooks = {
        onCircuitTransition: (e) => {
          if (e.to === 'half-open') controller.abort(new Error('shutting down'));
        },
      };
      events.add(hooks);
      breaker.trip('test');
      clock.advance(1000);
      // execute(): tryAcquirePermission moves open -> half-open, the hook aborts the caller,
      // runAttempt sees the abort first and ends the call without releasing `firstPermit`.
      await expect(runtime.execute(() => 'ok', { signal: controller.signal })).rejects.toThrow('shutting down');
      expect(breaker.getStatistics().halfOpenInFlight).toBe(0);
      // With the probe leaked, every later call is refused as long as the process lives.
      clock.advance(60_000);
      await expect(runtime.execute(() => 'ok', undefined)).resolves.toBe('ok');
    });

    it('releases the permit of a retry when a stateChanged listener aborts the caller during acquirePermission (checked: correct)', async () => {
      const { clock, runtime, events } = setup({
        id: 's',
        bulkhead: false,
        retry: { maxRetries: 1, backoff: 'fixed', baseDelayMs: 2000 },
        circuitBreaker: { failureThreshold: 1, minimumThroughput: 1, breakDurationMs: 1000, halfOpenMaxAttempts: 1 },
      });
      const breaker = runtime.breaker!;
      breaker.events.on('stateChanged', (change) => events.circuitTransition('s', change));
      const controller = new AbortController();
      events.add({
        onCircuitTransition: (e) => {
          if (e.to === 'half-open') controller.abort(new Error('shutting down'));
        },
      });
      const call = track(runtime.execute(() => Promise.reject(new Error('down')), { signal: controller.signal }));
      await flushMicrotasks();
      expect(breaker.state).toBe('open');
      await clock.advanceAsync(2000);
      expect(call.error).toEqual(new Error('shutting down'));
      expect(breaker.getStatistics().halfOpenInFlight).toBe(0);
    });
  });

  describe('abandoned operations (checked: correct)', () => {
    it('an operation that settles between its timeout and the microtask that judges it keeps no slot and is not counted as abandoned', async () => {
      const { clock, runtime } = setup({
        id: 's',
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        timeout: { attemptTimeoutMs: 100 },
        retry: { maxRetries: 1, backoff: 'fixed', baseDelayMs: 10 },
      });
      let calls = 0;
      let abortSeen = 0;
      const call = track(
        runtime.execute<string>((ctx) => {
          calls++;
          if (ctx.attempt === 1) {
            // Rejects as soon as its signal aborts: its reaction runs before attemptFailed.
            return new Promise<string>((_, reject) =>
              ctx.signal.addEventListener('abort', () => {
                abortSeen++;
                reject(ctx.signal.reason);
              }),
            );
          }
          return Promise.resolve('second');
        }, undefined),
      );
      await flushMicrotasks();
      clock.advance(100);
      await flushMicrotasks();
      expect(abortSeen).toBe(1);
      expect(runtime.metrics.abandonedRunning).toBe(0);
      expect(runtime.metrics.timeouts).toBe(1);
      await clock.advanceAsync(10);
      expect(call.value).toBe('second');
      expect(calls).toBe(2);
      expect(runtime.metrics.retrySlotRefused).toBe(0);
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
      expect(runtime.inFlight).toBe(0);
    });

    it('an abandoned operation that settles during the backoff hands its slot back to the retry; the slot is released once', async () => {
      const { clock, runtime } = setup({
        id: 's',
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        timeout: { attemptTimeoutMs: 100 },
        retry: { maxRetries: 1, backoff: 'fixed', baseDelayMs: 50 },
      });
      const late = deferred<string>();
      const call = track(
        runtime.execute<string>(({ attempt }) => (attempt === 1 ? late.promise : Promise.resolve('second')), undefined),
      );
      await flushMicrotasks();
      clock.advance(100);
      await flushMicrotasks();
      expect(runtime.metrics.abandonedRunning).toBe(1);
      // Another call cannot get the slot held by the abandoned operation.
      await expect(runtime.execute(() => 'x', undefined)).rejects.toSatisfy(isBulkheadRejectedError);
      late.resolve('late');
      await flushMicrotasks();
      expect(runtime.metrics.abandonedRunning).toBe(0);
      expect(runtime.bulkheadStatistics()!.running).toBe(1); // taken back by the call for its retry
      await clock.advanceAsync(50);
      expect(call.value).toBe('second');
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
      expect(runtime.inFlight).toBe(0);
    });

    it('a timeout and a caller abort in the same tick end the call once, with the abort, and count the timeout', async () => {
      const { clock, runtime } = setup({
        id: 's',
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        timeout: { attemptTimeoutMs: 100 },
        retry: { maxRetries: 3, backoff: 'fixed', baseDelayMs: 10 },
      });
      const controller = new AbortController();
      const reason = new Error('gave up');
      const call = track(runtime.execute(never, { signal: controller.signal }));
      await flushMicrotasks();
      clock.advance(100);
      controller.abort(reason);
      await flushMicrotasks();
      expect(call.error).toBe(reason);
      expect(runtime.metrics.aborted).toBe(1);
      expect(runtime.metrics.timeouts).toBe(1);
      expect(runtime.metrics.abandonedRunning).toBe(1);
      expect(runtime.inFlight).toBe(0);
    });
  });

  describe('bulkhead swap on drain (checked: correct)', () => {
    it('a kind change waits for the abandoned operation still holding a slot, then swaps once it settles', async () => {
      const def: StrategyDefinition = {
        id: 's',
        circuitBreaker: false,
        retry: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        timeout: { attemptTimeoutMs: 100 },
      };
      const { clock, runtime } = setup(def);
      const late = deferred<string>();
      const call = track(runtime.execute(() => late.promise, undefined));
      await flushMicrotasks();
      const next = resolveStrategyDefinition({
        ...def,
        bulkhead: { kind: 'priority', maxConcurrency: 1, maxQueueSize: 0 },
      });
      runtime.apply(next, computeEffectiveOptions(next, DEFAULT_SCALING_LIMITS, undefined));
      expect(runtime.bulkhead!.kind).toBe('semaphore');
      await clock.advanceAsync(100);
      expect(isResilienceTimeoutError(call.error)).toBe(true);
      expect(runtime.inFlight).toBe(0);
      // The timed-out operation still runs and holds the old bulkhead's slot: no swap yet.
      expect(runtime.bulkhead!.kind).toBe('semaphore');
      expect(runtime.bulkheadStatistics()!.running).toBe(1);
      late.resolve('late');
      await flushMicrotasks();
      expect(runtime.bulkhead!.kind).toBe('priority');
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
      await expect(runtime.execute(() => 'ok', undefined)).resolves.toBe('ok');
    });
  });

  describe('hooks', () => {
    it('order on timeout then retry then failure, with fallback last; payloads per the TSDoc (checked: correct)', async () => {
      const { clock, runtime, events } = setup({
        id: 's',
        circuitBreaker: false,
        bulkhead: false,
        timeout: { attemptTimeoutMs: 100 },
        retry: { maxRetries: 1, backoff: 'fixed', baseDelayMs: 10 },
        fallback: { value: 'fb' },
      });
      const log: string[] = [];
      events.add({
        onTimeout: (e) => log.push(`timeout ${e.attempt} ${e.timeoutMs} ${e.scope}`),
        onRetry: (e) => log.push(`retry ${e.attempt} ${e.delayMs} ${isResilienceTimeoutError(e.error)}`),
        onFailure: (e) => log.push(`failure ${e.attempts} ${e.elapsedMs}`),
        onFallback: () => log.push('fallback'),
        onSuccess: () => log.push('success'),
      });
      const call = track(runtime.execute(never, undefined));
      await clock.advanceAsync(100);
      await clock.advanceAsync(10);
      await clock.advanceAsync(100);
      expect(call.value).toBe('fb');
      expect(log).toEqual([
        'timeout 1 100 attempt',
        'retry 2 10 true',
        'timeout 2 100 attempt',
        'failure 2 210',
        'fallback',
      ]);
    });

    it('a hook that calls the same strategy again (bulkhead of 1, no queue) competes with the call for its slot, as the TSDoc says', async () => {
      const { runtime, events } = setup({
        id: 's',
        retry: false,
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
      });
      const nested: Promise<string>[] = [];
      events.add({
        onSuccess: () => {
          if (nested.length === 0) nested.push(runtime.execute(() => Promise.resolve('nested'), undefined));
        },
      });
      await expect(runtime.execute(() => Promise.resolve('outer'), undefined)).resolves.toBe('outer');
      // ResilienceHooks: hooks run while the call still holds its bulkhead slot, so the
      // nested call is refused by the bulkhead; the outer call's outcome is unchanged.
      await expect(nested[0]).rejects.toSatisfy(isBulkheadRejectedError);
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
    });

    it('onFailure carries the error the call ends with (TSDoc): the breaker’s refusal of the retry, caused by the last attempt’s error', async () => {
      const { clock, runtime, events } = setup({
        id: 's',
        bulkhead: false,
        retry: { maxRetries: 2, backoff: 'fixed', baseDelayMs: 10 },
        circuitBreaker: { failureThreshold: 1, minimumThroughput: 1, breakDurationMs: 60_000 },
      });
      const failures: unknown[] = [];
      events.add({ onFailure: (e) => failures.push(e.error) });
      const down = new Error('downstream 503');
      const call = track(runtime.execute(() => Promise.reject(down), undefined));
      await clock.advanceAsync(10);
      expect(runtime.breaker!.state).toBe('open');
      expect(call.error).toSatisfy(isCircuitOpenError); // what the caller gets (cause: `down`)
      expect(failures).toHaveLength(1);
      // ResilienceHooks.ts: CallFailedEvent.error is the error the call ends with.
      expect(failures[0]).toBe(call.error);
      expect((failures[0] as { cause?: unknown }).cause).toBe(down);
    });

    it('a hook that throws a value String() cannot convert is still ignored: the success stays a success', async () => {
      const { runtime, events } = setup({
        id: 's',
        retry: false,
        bulkhead: false,
        circuitBreaker: { failureThreshold: 1000 },
      });
      events.add({
        onSuccess: () => {
          // CallEvents.run logs String(error) inside its catch: that throw escapes the hook guard.
          throw Object.create(null) as object;
        },
      });
      await expect(runtime.execute(() => Promise.resolve('ok'), undefined)).resolves.toBe('ok');
      expect(runtime.metrics.failures).toBe(0);
      expect(events.hookErrors).toBe(1);
    });

    it('a hook that aborts the caller on retry ends the call with the abort, no terminal event (checked: correct)', async () => {
      const { clock, runtime, events } = setup({
        id: 's',
        circuitBreaker: false,
        bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
        retry: { maxRetries: 3, backoff: 'fixed', baseDelayMs: 0 },
      });
      const controller = new AbortController();
      const log: string[] = [];
      events.add({
        onRetry: () => {
          log.push('retry');
          controller.abort(new Error('stop'));
        },
        onFailure: () => log.push('failure'),
      });
      let calls = 0;
      const call = track(
        runtime.execute(
          () => {
            calls++;
            return Promise.reject(new Error('down'));
          },
          { signal: controller.signal },
        ),
      );
      await clock.advanceAsync(10);
      expect(call.error).toEqual(new Error('stop'));
      expect(calls).toBe(1);
      expect(log).toEqual(['retry']);
      expect(runtime.metrics.aborted).toBe(1);
      expect(runtime.bulkheadStatistics()!.running).toBe(0);
    });
  });

  describe('span events (5f01acb)', () => {
    /** Tracing on, with a span that records its events. */
    function traced(def: StrategyDefinition) {
      const env = setup(def);
      const spanEvents: string[] = [];
      env.events.trace({ activeSpan: () => ({ addEvent: (name: string) => spanEvents.push(name) }) });
      return { ...env, spanEvents };
    }
    /** A rejection value that String() cannot convert (null prototype: no toString). */
    const bareError = (): unknown => Object.assign(Object.create(null) as object, { code: 'E_DOWN' });

    it('an error value String() cannot convert does not change the outcome with tracing on: the fallback answers', async () => {
      const { runtime, spanEvents } = traced({
        id: 's',
        retry: false,
        circuitBreaker: false,
        bulkhead: false,
        fallback: { value: 'fb' },
      });
      // CallEvents.failure/retry/fallback build errorAttributes(error) outside spanEvent's try:
      // String(error) throws a TypeError that replaces the call's outcome (no fallback).
      await expect(runtime.execute(() => Promise.reject(bareError()), undefined)).resolves.toBe('fb');
      expect(spanEvents).toContain('resilience.failure');
    });

    it('an error value String() cannot convert does not stop the retry with tracing on', async () => {
      const { clock, runtime } = traced({
        id: 's',
        circuitBreaker: false,
        bulkhead: false,
        retry: { maxRetries: 1, backoff: 'fixed', baseDelayMs: 10 },
      });
      const call = track(
        runtime.execute(
          ({ attempt }) => (attempt === 1 ? Promise.reject(bareError()) : Promise.resolve('second')),
          undefined,
        ),
      );
      await clock.advanceAsync(10);
      expect(call.value).toBe('second');
    });

    it('a span whose addEvent throws never changes the outcome (checked: correct)', async () => {
      const { runtime, events } = setup({ id: 's', retry: false, circuitBreaker: false, bulkhead: false });
      events.trace({
        activeSpan: () => ({
          addEvent: () => {
            throw new Error('exporter broke');
          },
        }),
      });
      await expect(runtime.execute(() => Promise.resolve('ok'), undefined)).resolves.toBe('ok');
      expect(events.hookErrors).toBe(1);
    });
  });

  describe('staged successes (checked: correct)', () => {
    it('reads of the window and the latency see staged successes, in order with failures and rejections', async () => {
      const { clock, runtime } = setup({
        id: 's',
        retry: false,
        bulkhead: false,
        circuitBreaker: { failureThreshold: 1000 },
      });
      for (let i = 0; i < 5; i++) {
        const gate = deferred<string>();
        const call = runtime.execute(() => gate.promise, undefined);
        clock.advance(7);
        gate.resolve('ok');
        await call;
      }
      const now = clock.now();
      expect(runtime.metrics.rates(now)).toMatchObject({ calls: 5, errorRate: 0 });
      expect(runtime.metrics.latency.summary(now).count).toBe(5);
      await runtime.execute(() => Promise.reject(new Error('down')), undefined).catch(() => undefined);
      expect(runtime.metrics.rates(clock.now())).toMatchObject({ calls: 6, errorRate: 1 / 6 });
      // Successes older than the window leave it with their own times, not the flush's.
      await runtime.execute(() => 'ok', undefined);
      clock.advance(61_000);
      expect(runtime.metrics.rates(clock.now()).calls).toBe(0);
      expect(runtime.metrics.successes).toBe(6);
      // A synchronous breaker refusal is counted at once.
      runtime.breaker!.trip('test');
      await expect(runtime.execute(() => 'ok', undefined)).rejects.toSatisfy(isCircuitOpenError);
      expect(runtime.metrics.rates(clock.now()).rejections).toBe(1);
    });
  });
});
