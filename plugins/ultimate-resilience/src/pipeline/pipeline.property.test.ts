/**
 * Property-based tests of the pipeline's guarantees (issue #10), in virtual time:
 * (a) the bulkhead bounds the operations running in the downstream — retries, attempts abandoned
 *     by a timeout or a caller's abort while their operation runs on, everything;
 * (b) every call settles exactly once and gives back all it took: slots, queue places, breaker
 *     permits (so half-open probe slots never leak), timers and abort listeners.
 * Failure counting is in `pipeline.failureCounting.property.test.ts`, the operation's signal on
 * a caller's abort in `pipeline.callerAbort.property.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getEventListeners } from 'node:events';
import {
  DownstreamGauge,
  callPlansArb,
  scheduleCalls,
  strategyDefinition,
  strategyPlanArb,
} from '../testing/downstreamModel.js';
import type { CallPlan, ScenarioCall, StrategyPlan } from '../testing/downstreamModel.js';
import { pipelineHarness, trackCall } from '../testing/pipelineHarness.js';
import type { PipelineHarness } from '../testing/pipelineHarness.js';

const SEED = 20_251_010;
const NUM_RUNS = 300;
/** Every call has started, every caller that aborts has, every overall timeout has passed. */
const HORIZON_MS = 1_500;
/** Longer than any operation that settles (600 ms) and any deadline or backoff. */
const LATE_MS = 2_000;

/** Calls still pending or settled more than once. */
function unsettled(calls: readonly ScenarioCall[]): ScenarioCall[] {
  return calls.filter((c) => c.record === undefined || c.record.settlements !== 1);
}

/** Attempts must be numbered 1, 2, ... with at most `maxRetries` retries, and none after the call settled. */
function expectAttemptsInOrder(calls: readonly ScenarioCall[], plan: StrategyPlan): void {
  for (const c of calls) {
    expect(c.attempts).toEqual(Array.from({ length: c.attempts.length }, (_, i) => i + 1));
    expect(c.attempts.length).toBeLessThanOrEqual(plan.maxRetries + 1);
    expect(c.invokedAfterSettle).toBe(0);
  }
}

/** Slots taken, waiters, and the gauge of abandoned operations still running. */
function slotsAndAbandoned(h: PipelineHarness): { running: number; queued: number; abandonedRunning: number } {
  const { running, queued, abandonedRunning } = h.report('s');
  return { running, queued, abandonedRunning };
}

describe('ResilienceScalingManager pipeline (properties)', () => {
  describe('bulkhead bound', () => {
    it('runs at most maxConcurrency operations in the downstream at once, counting retries, abandoned attempts and caller aborts', async () => {
      await fc.assert(
        fc.asyncProperty(strategyPlanArb, callPlansArb(true), async (plan, drawn) => {
          // A call without a signal must end by itself: only an overall timeout guarantees that
          // when operations may never settle. Every other call is aborted at the horizon.
          const plans: CallPlan[] =
            plan.overallTimeoutMs === undefined ? drawn.map((c) => ({ ...c, signal: true })) : drawn;
          const h = pipelineHarness([strategyDefinition('s', plan)]);
          const gauge = new DownstreamGauge();
          const calls = scheduleCalls(h, 's', plans, gauge);

          await h.clock.advanceAsync(HORIZON_MS);
          expect(gauge.peak).toBeLessThanOrEqual(plan.maxConcurrency);

          for (const c of calls) c.controller?.abort(new Error('test over'));
          await h.clock.advanceAsync(0);
          expect(unsettled(calls)).toHaveLength(0);
          // Once every call has settled, every operation still running was abandoned, and the
          // only slots still taken are theirs: exactly one each.
          expect(slotsAndAbandoned(h)).toEqual({ running: gauge.inside, queued: 0, abandonedRunning: gauge.inside });

          await h.clock.advanceAsync(LATE_MS);
          expect(gauge.peak).toBeLessThanOrEqual(plan.maxConcurrency);
          expect(gauge.inside).toBe(gauge.neverSettling);
          expect(slotsAndAbandoned(h)).toEqual({
            running: gauge.neverSettling,
            queued: 0,
            abandonedRunning: gauge.neverSettling,
          });
          expectAttemptsInOrder(calls, plan);
        }),
        { seed: SEED, numRuns: NUM_RUNS },
      );
    });

    it('makes a retry after an abandoned attempt wait for a slot of its own: 2 slots, 3 retries, 2 calls whose operations ignore their signal run 2 operations, not 8', async () => {
      const h = pipelineHarness([
        {
          id: 's',
          adaptive: false,
          circuitBreaker: false,
          bulkhead: { maxConcurrency: 2, maxQueueSize: 5 },
          retry: { maxRetries: 3, backoff: 'fixed', baseDelayMs: 5 },
          timeout: { attemptTimeoutMs: 10 },
        },
      ]);
      const gauge = new DownstreamGauge();
      const calls = [0, 1].map(() =>
        trackCall(
          h.manager.executeWithResilience('s', ({ signal }) => {
            void signal;
            const settled = gauge.enter();
            return new Promise<string>((resolve) =>
              h.clock.setTimeout(() => {
                settled();
                resolve('late');
              }, 1_000),
            );
          }),
        ),
      );
      await h.clock.advanceAsync(500);
      expect(gauge.peak).toBe(2);
      expect(gauge.inside).toBe(2);
      expect(slotsAndAbandoned(h)).toMatchObject({ running: 2, abandonedRunning: 2 });
      await h.clock.advanceAsync(10_000);
      expect(gauge.peak).toBe(2);
      expect(calls.map((c) => c.settlements)).toEqual([1, 1]);
      expect(slotsAndAbandoned(h)).toEqual({ running: 0, queued: 0, abandonedRunning: 0 });
    });
  });

  describe('settlement and release', () => {
    it('settles every call exactly once and gives back every slot, queue place, permit, timer and listener once all operations have settled', async () => {
      await fc.assert(
        fc.asyncProperty(strategyPlanArb, callPlansArb(false), async (plan, plans) => {
          const h = pipelineHarness([strategyDefinition('s', plan)]);
          const gauge = new DownstreamGauge();
          const calls = scheduleCalls(h, 's', plans, gauge);

          await h.clock.advanceAsync(HORIZON_MS);
          // Queued calls wait for operations that all settle: bounded, but may take a while.
          for (let i = 0; i < 100 && (unsettled(calls).length > 0 || gauge.inside > 0); i++)
            await h.clock.advanceAsync(1_000);
          await h.clock.advanceAsync(LATE_MS);

          expect(unsettled(calls)).toHaveLength(0);
          expect(gauge.inside).toBe(0);
          expectAttemptsInOrder(calls, plan);

          const report = h.report('s');
          expect({ inFlight: report.inFlight, running: report.running, queued: report.queued }).toEqual({
            inFlight: 0,
            running: 0,
            queued: 0,
          });
          expect(report.attempts).toBe(gauge.invoked);
          // Each call is accounted once: an outcome (calls) or a caller's abort.
          const resolved = calls.filter((c) => c.record!.status === 'resolved').length;
          const aborted = calls.filter(
            (c) =>
              c.record!.status === 'rejected' &&
              c.controller?.signal.aborted === true &&
              c.record!.error === c.controller.signal.reason,
          ).length;
          expect(report.calls + report.aborted).toBe(plans.length);
          expect(report.successes).toBe(resolved);
          expect(report.aborted).toBe(aborted);
          const r = report.rejected;
          expect(
            report.successes + report.failures + report.passedThrough + r.circuitOpen + r.bulkhead + r.rateLimited,
          ).toBe(report.calls);

          for (const c of calls) {
            if (c.controller !== undefined) expect(getEventListeners(c.controller.signal, 'abort')).toHaveLength(0);
          }
          expect(h.clock.pendingTimers).toBe(0);

          if (plan.breaker !== undefined) {
            const breaker = h.breaker('s');
            expect({ outstanding: breaker.outstanding, violations: breaker.protocolViolations }).toEqual({
              outstanding: 0,
              violations: 0,
            });
            expect(breaker.getStatistics().halfOpenInFlight).toBe(0);
            // No probe slot leaked: after a break the circuit admits a probe and closes again.
            await h.clock.advanceAsync(plan.breaker.breakDurationMs);
            const probe = trackCall(h.manager.executeWithResilience('s', () => 'probe'));
            await h.clock.advanceAsync(0);
            expect(probe).toMatchObject({ status: 'resolved', value: 'probe' });
            expect(breaker.state).toBe('closed');
          }
        }),
        { seed: SEED + 1, numRuns: NUM_RUNS },
      );
    });
  });
});
