import { describe, expect, it } from 'vitest';
import type { CircuitBreakerOptions, CircuitStateChange } from './ICircuitBreaker.js';
import {
  DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  InMemoryCircuitBreaker,
  resolveCircuitBreakerOptions,
} from './InMemoryCircuitBreaker.js';
import { VirtualClock } from '../time/VirtualClock.js';
import { getSdkCompatibility } from '../compat/SdkCompatibility.js';
import { CircuitOpenError, isCircuitOpenError, isInvalidConfigurationError } from '../errors/errors.js';
import { errorOf } from '../testing/index.js';

function setup(options: Partial<CircuitBreakerOptions> = {}) {
  const clock = new VirtualClock(1000);
  const breaker = new InMemoryCircuitBreaker('db', options, clock);
  const changes: CircuitStateChange[] = [];
  breaker.events.on('stateChanged', (c) => changes.push(c));
  return { clock, breaker, changes };
}

function fail(b: InMemoryCircuitBreaker, n = 1, durationMs = 1): void {
  for (let i = 0; i < n; i++) b.recordFailure(b.acquirePermission(), durationMs);
}

function succeed(b: InMemoryCircuitBreaker, n = 1, durationMs = 1): void {
  for (let i = 0; i < n; i++) b.recordSuccess(b.acquirePermission(), durationMs);
}

function transitions(changes: CircuitStateChange[]): string[] {
  return changes.map((c) => `${c.previousState}->${c.newState}:${c.reason}`);
}

describe('InMemoryCircuitBreaker', () => {
  it('is decorated for SDK 6.0.0 and starts closed with the default options', () => {
    const { breaker } = setup();
    expect(getSdkCompatibility(InMemoryCircuitBreaker)?.sdkVersion).toBe('6.0.0');
    expect(breaker.state).toBe('closed');
    expect(breaker.options).toEqual(DEFAULT_CIRCUIT_BREAKER_OPTIONS);
    expect(Object.isFrozen(breaker.options)).toBe(true);
    expect(typeof breaker.acquirePermission()).toBe('number');
    expect(breaker.retryAfterMs()).toBe(0);
  });

  it('rejects bad constructor input naming the field', () => {
    const clock = new VirtualClock();
    const e1 = errorOf(() => new InMemoryCircuitBreaker('db', { failureThreshold: -1 }, clock));
    expect(isInvalidConfigurationError(e1) && e1.field).toBe('circuitBreaker.failureThreshold');
    const e2 = errorOf(() => new InMemoryCircuitBreaker('', {}, clock));
    expect(isInvalidConfigurationError(e2) && e2.field).toBe('name');
    const e3 = errorOf(() => new InMemoryCircuitBreaker('db', {}, {} as never));
    expect(isInvalidConfigurationError(e3) && e3.field).toBe('clock');
  });

  it('re-exports the option resolver', () => {
    expect(resolveCircuitBreakerOptions({ failureThreshold: 2 }).failureThreshold).toBe(2);
  });

  describe('consecutive mode', () => {
    it('opens after failureThreshold failures in a row, announcing reason and break', () => {
      const { breaker, changes, clock } = setup({ failureThreshold: 3, breakDurationMs: 500 });
      fail(breaker, 2);
      expect(breaker.state).toBe('closed');
      fail(breaker, 1);
      expect(breaker.state).toBe('open');
      expect(changes).toEqual([
        {
          name: 'db',
          previousState: 'closed',
          newState: 'open',
          reason: 'failure-threshold',
          timestamp: clock.now(),
          breakDurationMs: 500,
          origin: 'local',
        },
      ]);
    });

    it('resets the streak on a success', () => {
      const { breaker } = setup({ failureThreshold: 3 });
      fail(breaker, 2);
      succeed(breaker);
      fail(breaker, 2);
      expect(breaker.state).toBe('closed');
      expect(breaker.getStatistics().windowFailures).toBe(2);
    });

    it('expires the streak when its newest failure leaves the sampling window', () => {
      const { breaker, clock } = setup({ failureThreshold: 3, samplingWindowMs: 10_000 });
      fail(breaker, 2);
      clock.advance(9_999);
      expect(breaker.getStatistics().windowFailures).toBe(2);
      clock.advance(1);
      expect(breaker.getStatistics().windowFailures).toBe(0);
      fail(breaker, 2);
      expect(breaker.state).toBe('closed');
      fail(breaker, 1);
      expect(breaker.state).toBe('open');
    });
  });

  describe('count mode', () => {
    it('opens when failures in the window reach the threshold, successes notwithstanding', () => {
      const { breaker, changes } = setup({ mode: 'count', failureThreshold: 3 });
      fail(breaker);
      succeed(breaker, 5);
      fail(breaker);
      succeed(breaker);
      expect(breaker.state).toBe('closed');
      fail(breaker);
      expect(breaker.state).toBe('open');
      expect(changes[0]?.reason).toBe('failure-threshold');
    });

    it('never counts failures older than the window, also after a long idle', () => {
      const { breaker, clock } = setup({
        mode: 'count',
        failureThreshold: 3,
        samplingWindowMs: 1000,
        windowBuckets: 10,
      });
      fail(breaker, 2);
      clock.advance(86_400_000); // a day of silence
      expect(breaker.getStatistics().windowFailures).toBe(0);
      fail(breaker, 2);
      expect(breaker.state).toBe('closed');
      clock.advance(500);
      fail(breaker, 1);
      expect(breaker.state).toBe('open');
    });

    it('lets failures expire bucket by bucket', () => {
      const { breaker, clock } = setup({
        mode: 'count',
        failureThreshold: 3,
        samplingWindowMs: 1000,
        windowBuckets: 4,
      });
      fail(breaker, 2); // t = 1000, bucket [1000, 1250)
      clock.advance(1000); // that bucket is out of the window
      fail(breaker, 2);
      expect(breaker.state).toBe('closed');
      expect(breaker.getStatistics().windowFailures).toBe(2);
    });
  });

  describe('rate mode', () => {
    const rate = { mode: 'rate', failureRateThreshold: 0.5, minimumThroughput: 10 } as const;

    it('does not trip before minimumThroughput calls were seen in the window', () => {
      const { breaker } = setup(rate);
      fail(breaker, 9);
      expect(breaker.state).toBe('closed');
      fail(breaker, 1);
      expect(breaker.state).toBe('open');
    });

    it('trips when the failure rate reaches the threshold, even on a success that completes the minimum', () => {
      const { breaker, changes } = setup(rate);
      fail(breaker, 5);
      succeed(breaker, 4);
      expect(breaker.state).toBe('closed');
      succeed(breaker, 1); // 5 / 10 = 0.5
      expect(breaker.state).toBe('open');
      expect(changes[0]?.reason).toBe('failure-rate');
    });

    it('stays closed below the threshold', () => {
      const { breaker } = setup({ ...rate, failureRateThreshold: 0.1 });
      succeed(breaker, 28);
      fail(breaker, 2); // 2 / 30 < 0.1
      expect(breaker.state).toBe('closed');
      fail(breaker, 1); // 3 / 31 < 0.1
      expect(breaker.state).toBe('closed');
      succeed(breaker, 1);
      fail(breaker, 1); // 4 / 33 >= 0.1
      expect(breaker.state).toBe('open');
    });

    it('forgets calls that left the window', () => {
      const { breaker, clock } = setup({ ...rate, samplingWindowMs: 1000 });
      fail(breaker, 9);
      clock.advance(1000);
      fail(breaker, 1);
      expect(breaker.state).toBe('closed');
      expect(breaker.getStatistics().windowCalls).toBe(1);
    });
  });

  describe('slow calls', () => {
    it('trips on the slow-call rate in any mode', () => {
      const { breaker, changes } = setup({
        mode: 'consecutive',
        slowCallDurationMs: 100,
        slowCallRateThreshold: 0.5,
        minimumThroughput: 4,
      });
      succeed(breaker, 2, 10);
      succeed(breaker, 1, 100);
      expect(breaker.state).toBe('closed');
      succeed(breaker, 1, 250); // 2 slow of 4
      expect(breaker.state).toBe('open');
      expect(changes[0]?.reason).toBe('slow-call-rate');
      expect(breaker.getStatistics().slowCalls).toBe(2);
    });

    it('is off by default', () => {
      const { breaker } = setup({ minimumThroughput: 1 });
      succeed(breaker, 20, 1e9);
      expect(breaker.state).toBe('closed');
      expect(breaker.getStatistics().slowCalls).toBe(0);
    });

    it('counts slow calls in the window with failures as calls', () => {
      const { breaker } = setup({ mode: 'count', failureThreshold: 100, slowCallDurationMs: 50, minimumThroughput: 4 });
      succeed(breaker, 2, 60);
      fail(breaker, 2, 60); // failures are never "slow"
      expect(breaker.state).toBe('closed');
    });
  });

  describe('open state', () => {
    it('rejects with a stackless CircuitOpenError carrying state and retry-after, and counts it', () => {
      const { breaker, clock } = setup({ failureThreshold: 1, breakDurationMs: 1000 });
      fail(breaker);
      clock.advance(300);
      const e = errorOf(() => breaker.acquirePermission());
      expect(e).toBeInstanceOf(CircuitOpenError);
      expect(isCircuitOpenError(e) && [e.state, e.retryAfterMs, e.circuitName]).toEqual(['open', 700, 'db']);
      expect((e as Error).stack ?? '').not.toMatch(/\n\s+at /);
      expect(breaker.getStatistics()).toMatchObject({ rejectedCalls: 1, totalCalls: 2, failedCalls: 1 });
    });

    it('moves to half-open lazily once the break elapsed, without any timer', () => {
      const { breaker, clock, changes } = setup({ failureThreshold: 1, breakDurationMs: 1000 });
      fail(breaker);
      expect(clock.pendingTimers).toBe(0);
      clock.advance(999);
      expect(breaker.state).toBe('open');
      expect(breaker.retryAfterMs()).toBe(1);
      expect(() => breaker.acquirePermission()).toThrow(CircuitOpenError);
      clock.advance(1);
      expect(changes).toHaveLength(1); // nothing happens until someone looks
      expect(breaker.retryAfterMs()).toBe(0);
      expect(breaker.state).toBe('half-open');
      expect(changes[1]).toMatchObject({
        previousState: 'open',
        newState: 'half-open',
        reason: 'break-elapsed',
        timestamp: 2000,
      });
      expect(clock.pendingTimers).toBe(0);
    });

    it.each(['refresh', 'acquirePermission', 'retryAfterMs', 'getStatistics', 'snapshot'] as const)(
      'reading %s after the break performs the transition',
      (member) => {
        const { breaker, clock, changes } = setup({ failureThreshold: 1, breakDurationMs: 10 });
        fail(breaker);
        clock.advance(10);
        const read = breaker[member];
        if (typeof read === 'function') (read as () => unknown).call(breaker);
        expect(changes.at(-1)?.newState).toBe('half-open');
      },
    );
  });

  describe('half-open', () => {
    function halfOpen(options: Partial<CircuitBreakerOptions> = {}) {
      const s = setup({ failureThreshold: 1, breakDurationMs: 1000, ...options });
      fail(s.breaker);
      s.clock.advance(1000);
      return s;
    }

    it('admits at most halfOpenMaxAttempts concurrent probes and rejects the rest', () => {
      const { breaker } = halfOpen({ halfOpenMaxAttempts: 2 });
      breaker.acquirePermission();
      breaker.acquirePermission();
      const e = errorOf(() => breaker.acquirePermission());
      expect(isCircuitOpenError(e) && e.state).toBe('half-open');
      expect(breaker.getStatistics().halfOpenInFlight).toBe(2);
    });

    it('re-opens for a full break when a probe fails', () => {
      const { breaker, clock, changes } = halfOpen({ halfOpenMaxAttempts: 2 });
      const p1 = breaker.acquirePermission();
      breaker.acquirePermission();
      clock.advance(50);
      breaker.recordFailure(p1, 50);
      expect(breaker.state).toBe('open');
      expect(changes.at(-1)).toMatchObject({ newState: 'open', reason: 'probe-failed', breakDurationMs: 1000 });
      expect(breaker.retryAfterMs()).toBe(1000);
      expect(breaker.getStatistics().halfOpenInFlight).toBe(0);
    });

    it('closes after a successful probe and starts with an empty window', () => {
      const { breaker, changes } = halfOpen({ mode: 'count', failureThreshold: 1 });
      breaker.recordSuccess(breaker.acquirePermission(), 5);
      expect(breaker.state).toBe('closed');
      expect(changes.at(-1)).toMatchObject({
        previousState: 'half-open',
        newState: 'closed',
        reason: 'probe-succeeded',
      });
      expect(breaker.getStatistics().windowFailures).toBe(0);
    });

    it('recovers gradually: probes are admitted halfOpenMaxAttempts at a time until enough succeeded', () => {
      const { breaker } = halfOpen({ halfOpenMaxAttempts: 1, halfOpenSuccessThreshold: 3 });
      for (let i = 0; i < 2; i++) {
        const p = breaker.acquirePermission();
        expect(() => breaker.acquirePermission()).toThrow(CircuitOpenError);
        breaker.recordSuccess(p, 1);
        expect(breaker.state).toBe('half-open');
      }
      breaker.recordSuccess(breaker.acquirePermission(), 1);
      expect(breaker.state).toBe('closed');
    });

    it('counts successful probes per half-open period', () => {
      const { breaker, clock } = halfOpen({ halfOpenMaxAttempts: 2, halfOpenSuccessThreshold: 2 });
      const p1 = breaker.acquirePermission();
      const p2 = breaker.acquirePermission();
      breaker.recordSuccess(p1, 1);
      breaker.recordFailure(p2, 1); // re-opens: the earlier success no longer counts
      clock.advance(1000);
      breaker.recordSuccess(breaker.acquirePermission(), 1);
      expect(breaker.state).toBe('half-open');
      breaker.recordSuccess(breaker.acquirePermission(), 1);
      expect(breaker.state).toBe('closed');
    });

    it('re-opens on a slow probe when slow-call detection is on', () => {
      const { breaker, changes } = halfOpen({ slowCallDurationMs: 100 });
      breaker.recordSuccess(breaker.acquirePermission(), 150);
      expect(breaker.state).toBe('open');
      expect(changes.at(-1)?.reason).toBe('probe-slow');
    });

    it('frees a probe slot on releasePermission without an outcome', () => {
      const { breaker } = halfOpen();
      const p = breaker.acquirePermission();
      breaker.releasePermission(p);
      expect(breaker.state).toBe('half-open');
      expect(breaker.getStatistics()).toMatchObject({ halfOpenInFlight: 0, successfulCalls: 0, failedCalls: 1 });
      expect(() => breaker.acquirePermission()).not.toThrow();
    });

    it('does not free two slots when one probe permit is recorded twice', () => {
      const { breaker } = halfOpen({ halfOpenMaxAttempts: 2, halfOpenSuccessThreshold: 5 });
      const p1 = breaker.acquirePermission();
      breaker.acquirePermission();
      breaker.recordSuccess(p1, 1);
      breaker.recordSuccess(p1, 1); // ignored entirely
      breaker.releasePermission(p1); // ignored too
      expect(breaker.getStatistics()).toMatchObject({ halfOpenInFlight: 1, successfulCalls: 1 });
      breaker.acquirePermission();
      expect(() => breaker.acquirePermission()).toThrow(CircuitOpenError);
    });
  });

  describe('stale permits', () => {
    it('counts a call admitted while closed that fails after the circuit opened, without re-tripping', () => {
      const { breaker, clock, changes } = setup({ failureThreshold: 2, breakDurationMs: 1000 });
      const late = breaker.acquirePermission();
      fail(breaker, 2);
      clock.advance(400);
      breaker.recordFailure(late, 400);
      expect(breaker.state).toBe('open');
      expect(breaker.retryAfterMs()).toBe(600); // the break was not restarted
      expect(breaker.getStatistics()).toMatchObject({ failedCalls: 3, openedCount: 1 });
      expect(changes).toHaveLength(1);
    });

    it('does not let a stale success close a half-open circuit nor free a probe slot', () => {
      const { breaker, clock } = setup({ failureThreshold: 1, breakDurationMs: 1000 });
      const late = breaker.acquirePermission();
      fail(breaker);
      clock.advance(1000);
      breaker.acquirePermission(); // the probe
      breaker.recordSuccess(late, 1000);
      expect(breaker.state).toBe('half-open');
      expect(breaker.getStatistics()).toMatchObject({ halfOpenInFlight: 1, successfulCalls: 1 });
      expect(() => breaker.acquirePermission()).toThrow(CircuitOpenError);
    });

    it('ignores a probe of an earlier half-open period for transitions', () => {
      const { breaker, clock } = setup({ failureThreshold: 1, breakDurationMs: 1000, halfOpenMaxAttempts: 2 });
      fail(breaker);
      clock.advance(1000);
      const oldProbe = breaker.acquirePermission();
      breaker.recordFailure(breaker.acquirePermission(), 1); // re-opens
      clock.advance(1000);
      const probe = breaker.acquirePermission(); // new half-open period
      breaker.recordFailure(oldProbe, 2000);
      expect(breaker.state).toBe('half-open');
      expect(breaker.getStatistics().halfOpenInFlight).toBe(1);
      breaker.recordSuccess(probe, 1);
      expect(breaker.state).toBe('closed');
    });

    it('treats calls admitted before reset() as stale', () => {
      const { breaker } = setup({ mode: 'count', failureThreshold: 1 });
      const before = breaker.acquirePermission();
      breaker.reset();
      breaker.recordFailure(before, 1);
      expect(breaker.state).toBe('closed');
      expect(breaker.getStatistics()).toMatchObject({ failedCalls: 1, windowFailures: 0 });
    });

    it('rejects a permit that was never issued and a bad duration, recording nothing', () => {
      const { breaker } = setup();
      const p = breaker.acquirePermission();
      for (const bad of [p + 1, 0, -3, 1.5, Number.NaN]) {
        const e = errorOf(() => breaker.recordFailure(bad, 1));
        expect(isInvalidConfigurationError(e) && e.field).toBe('permit');
      }
      const e = errorOf(() => breaker.recordSuccess(p, -1));
      expect(isInvalidConfigurationError(e) && e.field).toBe('durationMs');
      expect(errorOf(() => breaker.releasePermission(99))).toSatisfy(isInvalidConfigurationError);
      expect(breaker.getStatistics()).toMatchObject({ successfulCalls: 0, failedCalls: 0 });
    });
  });

  describe('execute', () => {
    it('records a success and returns the value', async () => {
      const { breaker, clock } = setup({ slowCallDurationMs: 10, minimumThroughput: 100 });
      const value = await breaker.execute(async () => {
        clock.advance(20);
        return 42;
      });
      expect(value).toBe(42);
      expect(breaker.getStatistics()).toMatchObject({ successfulCalls: 1, slowCalls: 1, windowCalls: 1 });
    });

    it('records a failure and rethrows it', async () => {
      const { breaker } = setup({ failureThreshold: 1 });
      const boom = new Error('boom');
      await expect(
        breaker.execute(() => {
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(breaker.state).toBe('open');
    });

    it('does not count a caller abort as a failure', async () => {
      const { breaker } = setup({ failureThreshold: 1 });
      const abort = new DOMException('aborted', 'AbortError');
      await expect(breaker.execute(() => Promise.reject(abort))).rejects.toBe(abort);
      expect(breaker.state).toBe('closed');
      expect(breaker.getStatistics()).toMatchObject({ failedCalls: 0, totalCalls: 1 });
    });

    it('releases a probe slot on an abort in half-open', async () => {
      const { breaker, clock } = setup({ failureThreshold: 1, breakDurationMs: 10 });
      fail(breaker);
      clock.advance(10);
      const abort = Object.assign(new Error('stop'), { name: 'AbortError' });
      await expect(breaker.execute(() => Promise.reject(abort))).rejects.toBe(abort);
      expect(breaker.state).toBe('half-open');
      expect(breaker.getStatistics().halfOpenInFlight).toBe(0);
    });

    it('uses a custom isFailure, and counts an error whose predicate throws', async () => {
      const { breaker } = setup({ failureThreshold: 1 });
      await expect(
        breaker.execute(
          () => Promise.reject(new Error('404')),
          () => false,
        ),
      ).rejects.toThrow('404');
      expect(breaker.state).toBe('closed');
      await expect(
        breaker.execute(
          () => Promise.reject(new Error('x')),
          () => {
            throw new Error('predicate bug');
          },
        ),
      ).rejects.toThrow('x');
      expect(breaker.state).toBe('open');
    });

    it('rejects without calling the operation when open', async () => {
      const { breaker } = setup();
      breaker.trip();
      let called = false;
      await expect(
        breaker.execute(() => {
          called = true;
        }),
      ).rejects.toSatisfy(isCircuitOpenError);
      expect(called).toBe(false);
    });

    it('rejects a non-function operation without taking a permit', async () => {
      const { breaker } = setup();
      await expect(breaker.execute(42 as never)).rejects.toSatisfy(isInvalidConfigurationError);
      expect(breaker.getStatistics().totalCalls).toBe(0);
    });
  });

  describe('manual control', () => {
    it('trip() opens for breakDurationMs and restarts a running break without a second event', () => {
      const { breaker, clock, changes } = setup({ breakDurationMs: 1000 });
      breaker.trip();
      expect(changes[0]).toMatchObject({ newState: 'open', reason: 'manual-trip', breakDurationMs: 1000 });
      clock.advance(600);
      breaker.trip('again');
      expect(breaker.retryAfterMs()).toBe(1000);
      expect(changes).toHaveLength(1);
      expect(breaker.getStatistics().openedCount).toBe(1);
    });

    it('tripFor() opens for the given duration, replacing a running break', () => {
      const { breaker, clock, changes } = setup({ breakDurationMs: 1000 });
      breaker.tripFor(250, 'remote-open');
      expect(changes[0]).toMatchObject({ newState: 'open', reason: 'remote-open', breakDurationMs: 250 });
      expect(breaker.retryAfterMs()).toBe(250);
      breaker.tripFor(5000);
      expect(breaker.retryAfterMs()).toBe(5000);
      clock.advance(5000);
      breaker.refresh();
      expect(breaker.state).toBe('half-open');
      const e = errorOf(() => breaker.tripFor(Number.NaN));
      expect(isInvalidConfigurationError(e) && e.field).toBe('durationMs');
      expect(errorOf(() => breaker.tripFor(-1))).toSatisfy(isInvalidConfigurationError);
    });

    it('isolate() holds the circuit open until reset(), ignoring time and trips', () => {
      const { breaker, clock, changes } = setup({ breakDurationMs: 10 });
      breaker.isolate('maintenance');
      clock.advance(1e9);
      expect(breaker.state).toBe('isolated');
      expect(breaker.retryAfterMs()).toBe(Infinity);
      const e = errorOf(() => breaker.acquirePermission());
      expect(isCircuitOpenError(e) && [e.state, e.retryAfterMs]).toEqual(['isolated', Infinity]);
      breaker.trip();
      breaker.tripFor(1);
      expect(breaker.state).toBe('isolated');
      breaker.reset();
      expect(breaker.state).toBe('closed');
      expect(transitions(changes)).toEqual(['closed->isolated:maintenance', 'isolated->closed:manual-reset']);
    });

    it('reset() closes and clears the window counts', () => {
      const { breaker, changes } = setup({ mode: 'count', failureThreshold: 3 });
      fail(breaker, 2);
      breaker.reset('ops');
      expect(changes).toHaveLength(0); // was already closed
      expect(breaker.getStatistics()).toMatchObject({ windowFailures: 0, windowCalls: 0, failedCalls: 2 });
      fail(breaker, 2);
      expect(breaker.state).toBe('closed');
      breaker.trip();
      breaker.reset('ops');
      expect(changes.at(-1)).toMatchObject({ previousState: 'open', newState: 'closed', reason: 'ops' });
    });

    it('rejects a reason that is not a string', () => {
      const { breaker } = setup();
      const e = errorOf(() => breaker.trip(42 as never));
      expect(isInvalidConfigurationError(e) && e.field).toBe('reason');
      expect(breaker.state).toBe('closed');
    });
  });

  describe('reconfigure', () => {
    it('applies in place: keeps an open circuit open and the window counts', () => {
      const { breaker, changes } = setup({ mode: 'count', failureThreshold: 2, breakDurationMs: 1000 });
      fail(breaker, 2);
      breaker.reconfigure({ failureThreshold: 50, mode: 'rate' });
      expect(breaker.state).toBe('open');
      expect(breaker.options).toMatchObject({ failureThreshold: 50, mode: 'rate', breakDurationMs: 1000 });
      expect(Object.isFrozen(breaker.options)).toBe(true);
      expect(breaker.getStatistics().windowFailures).toBe(2);
      expect(changes).toHaveLength(1);
    });

    it('re-anchors an open break to its start plus the new breakDurationMs', () => {
      const { breaker, clock } = setup({ breakDurationMs: 1000 });
      breaker.trip();
      clock.advance(400);
      breaker.reconfigure({ breakDurationMs: 3000 });
      expect(breaker.retryAfterMs()).toBe(2600);
      breaker.reconfigure({ breakDurationMs: 100 }); // already past: due now, half-open on the next refresh
      breaker.refresh();
      expect(breaker.state).toBe('half-open');
    });

    it('leaves an already elapsed break elapsed when breakDurationMs grows', () => {
      const { breaker, clock } = setup({ breakDurationMs: 1000 });
      breaker.trip();
      clock.advance(1500); // due, but nobody looked yet
      breaker.reconfigure({ breakDurationMs: 10_000 });
      breaker.refresh();
      expect(breaker.state).toBe('half-open');
    });

    it('keeps the end of a tripFor break', () => {
      const { breaker } = setup({ breakDurationMs: 1000 });
      breaker.tripFor(700);
      breaker.reconfigure({ breakDurationMs: 5000 });
      expect(breaker.retryAfterMs()).toBe(700);
    });

    it('keeps counts when the window geometry changes', () => {
      const { breaker, clock } = setup({
        mode: 'count',
        failureThreshold: 3,
        samplingWindowMs: 1000,
        windowBuckets: 10,
      });
      fail(breaker, 2);
      breaker.reconfigure({ samplingWindowMs: 10_000, windowBuckets: 5 });
      clock.advance(1500);
      expect(breaker.getStatistics().windowFailures).toBe(2);
      fail(breaker, 1);
      expect(breaker.state).toBe('open');
    });

    it('keeps probes in flight when halfOpenMaxAttempts shrinks', () => {
      const { breaker, clock } = setup({
        failureThreshold: 1,
        breakDurationMs: 10,
        halfOpenMaxAttempts: 3,
        halfOpenSuccessThreshold: 5,
      });
      fail(breaker);
      clock.advance(10);
      const probes = [breaker.acquirePermission(), breaker.acquirePermission(), breaker.acquirePermission()];
      breaker.reconfigure({ halfOpenMaxAttempts: 1 });
      expect(breaker.getStatistics().halfOpenInFlight).toBe(3);
      breaker.recordSuccess(probes[0]!, 1);
      breaker.recordSuccess(probes[1]!, 1);
      expect(() => breaker.acquirePermission()).toThrow(CircuitOpenError);
      breaker.recordSuccess(probes[2]!, 1);
      breaker.acquirePermission();
      expect(breaker.getStatistics().halfOpenInFlight).toBe(1);
    });

    it('applies new thresholds from the next outcome, without tripping by itself', () => {
      const { breaker } = setup({ mode: 'count', failureThreshold: 10 });
      fail(breaker, 4);
      breaker.reconfigure({ failureThreshold: 3 });
      expect(breaker.state).toBe('closed');
      fail(breaker, 1);
      expect(breaker.state).toBe('open');
    });

    it('rejects invalid options naming the field and changes nothing', () => {
      const { breaker } = setup({ failureThreshold: 4 });
      const e = errorOf(() => breaker.reconfigure({ failureThreshold: 2, windowBuckets: 0 }));
      expect(isInvalidConfigurationError(e) && e.field).toBe('circuitBreaker.windowBuckets');
      expect(breaker.options.failureThreshold).toBe(4);
      const e2 = errorOf(() => breaker.reconfigure({ bogus: 1 } as never));
      expect(isInvalidConfigurationError(e2) && e2.field).toBe('circuitBreaker.bogus');
    });
  });

  describe('statistics', () => {
    it('reports totals, window counts, times and the state', () => {
      const { breaker, clock } = setup({ mode: 'count', failureThreshold: 3 });
      succeed(breaker, 2);
      clock.advance(100);
      fail(breaker, 1);
      clock.advance(50);
      const s = breaker.getStatistics();
      expect(s).toEqual({
        state: 'closed',
        totalCalls: 3,
        successfulCalls: 2,
        failedCalls: 1,
        rejectedCalls: 0,
        slowCalls: 0,
        windowFailures: 1,
        windowCalls: 3,
        halfOpenInFlight: 0,
        lastFailureAt: 1100,
        lastSuccessAt: 1000,
        stateEnteredAt: 1000,
        timeInStateMs: 150,
        openedCount: 0,
      });
    });
  });

  describe('snapshot and restore', () => {
    it('transfers an open state as a relative remaining break between different clocks', () => {
      const a = setup({ failureThreshold: 2, breakDurationMs: 1000 });
      fail(a.breaker, 2);
      a.clock.advance(300);
      const snap = a.breaker.snapshot();
      expect(snap).toEqual({
        state: 'open',
        remainingBreakMs: 700,
        consecutiveFailures: 2,
        reason: 'failure-threshold',
      });

      const clock = new VirtualClock(5_000_000);
      const b = new InMemoryCircuitBreaker('db', {}, clock);
      const changes: CircuitStateChange[] = [];
      b.events.on('stateChanged', (c) => changes.push(c));
      b.restore(JSON.parse(JSON.stringify(snap)));
      expect(changes).toEqual([
        {
          name: 'db',
          previousState: 'closed',
          newState: 'open',
          reason: 'restored',
          timestamp: 5_000_000,
          breakDurationMs: 700,
          origin: 'operator',
        },
      ]);
      expect(b.retryAfterMs()).toBe(700);
      expect(b.snapshot().reason).toBe('failure-threshold');
      clock.advance(700);
      b.refresh();
      expect(b.state).toBe('half-open');
    });

    it('restarts the statistics and restores the streak, without an event when the state is the same', () => {
      const { breaker, clock, changes } = setup({ failureThreshold: 3, samplingWindowMs: 1000 });
      succeed(breaker, 5);
      breaker.restore({ state: 'closed', remainingBreakMs: 0, consecutiveFailures: 2, reason: 'x' });
      expect(changes).toHaveLength(0);
      expect(breaker.getStatistics()).toMatchObject({
        totalCalls: 0,
        successfulCalls: 0,
        windowFailures: 2,
        windowCalls: 0,
      });
      fail(breaker, 1);
      expect(breaker.state).toBe('open');
      breaker.restore({ state: 'closed', remainingBreakMs: 0, consecutiveFailures: 2, reason: 'x' });
      clock.advance(1000); // the restored streak expires like any other
      fail(breaker, 1);
      expect(breaker.state).toBe('closed');
    });

    it('makes permits issued before a restore stale', () => {
      const { breaker } = setup({ failureThreshold: 1, breakDurationMs: 10 });
      breaker.restore({ state: 'half-open', remainingBreakMs: 0, consecutiveFailures: 0, reason: 'r' });
      const probe = breaker.acquirePermission();
      breaker.restore({ state: 'half-open', remainingBreakMs: 0, consecutiveFailures: 0, reason: 'r' });
      breaker.recordFailure(probe, 1);
      expect(breaker.state).toBe('half-open');
      expect(breaker.getStatistics().halfOpenInFlight).toBe(0);
    });

    it('restores isolated and rejects an invalid snapshot naming the field', () => {
      const { breaker } = setup();
      breaker.restore({ state: 'isolated', remainingBreakMs: 0, consecutiveFailures: 0, reason: 'ops' });
      expect(breaker.state).toBe('isolated');
      const e = errorOf(() =>
        breaker.restore({ state: 'open', remainingBreakMs: -5, consecutiveFailures: 0, reason: '' }),
      );
      expect(isInvalidConfigurationError(e) && e.field).toBe('snapshot.remainingBreakMs');
      expect(breaker.state).toBe('isolated');
    });
  });

  describe('events', () => {
    it('emits after the new state is fully in place', () => {
      const { breaker } = setup({ failureThreshold: 1, breakDurationMs: 100 });
      const seen: unknown[] = [];
      breaker.events.on('stateChanged', (c) => {
        const s = breaker.getStatistics();
        seen.push([c.newState, breaker.state, s.state, s.openedCount, breaker.retryAfterMs()]);
      });
      fail(breaker);
      expect(seen).toEqual([['open', 'open', 'open', 1, 100]]);
    });

    it('survives a throwing listener, reporting it as listenerError', () => {
      const { breaker, changes } = setup({ failureThreshold: 1 });
      const errors: unknown[] = [];
      const bug = new Error('listener bug');
      breaker.events.on('stateChanged', () => {
        throw bug;
      });
      breaker.events.on('listenerError', (e) => errors.push(e));
      expect(() => fail(breaker)).not.toThrow();
      expect(breaker.state).toBe('open');
      expect(errors).toEqual([bug]);
      expect(changes).toHaveLength(1);
    });

    it('swallows a throwing listenerError listener', () => {
      const { breaker } = setup();
      breaker.events.on('stateChanged', () => {
        throw new Error('a');
      });
      breaker.events.on('listenerError', () => {
        throw new Error('b');
      });
      expect(() => breaker.trip()).not.toThrow();
      expect(breaker.state).toBe('open');
    });

    it('lets a listener change the state re-entrantly and stays consistent', () => {
      const { breaker, clock } = setup({ failureThreshold: 1, breakDurationMs: 10 });
      breaker.events.on('stateChanged', (c) => {
        if (c.newState === 'half-open') breaker.isolate('listener');
      });
      fail(breaker);
      clock.advance(10);
      const e = errorOf(() => breaker.acquirePermission());
      expect(isCircuitOpenError(e) && e.state).toBe('isolated');
      expect(breaker.getStatistics().halfOpenInFlight).toBe(0);
    });
  });

  describe('dispose', () => {
    it('removes listeners, emits nothing more, and keeps working', () => {
      const { breaker, changes } = setup({ failureThreshold: 1 });
      breaker.dispose();
      expect(breaker.events.listenerCount('stateChanged')).toBe(0);
      const late: unknown[] = [];
      breaker.events.on('stateChanged', (c) => late.push(c));
      fail(breaker);
      expect(breaker.state).toBe('open');
      expect(changes).toHaveLength(0);
      expect(late).toHaveLength(0);
    });
  });
});
