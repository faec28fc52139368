/**
 * Property-based tests of the operation's signal when the caller aborts during the operation's
 * synchronous part (issue #10): `ctx.signal` is aborted with the caller's reason — at once, or at
 * the latest when the call settles — whether the signal was read before or after the abort and
 * whatever the operation returns (a plain value included), and the call rejects with the
 * caller's reason, uncounted.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { OperationContext } from '@datawarehouse/sdk';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { pipelineHarness, trackCall } from '../testing/pipelineHarness.js';

const SEED = 20_251_040;
const NUM_RUNS = 300;

/** What the operation returns or throws right after its caller aborted. */
type AfterAbort =
  | 'plainValue'
  | 'resolvedPromise'
  | 'resolvesLater'
  | 'pendingForever'
  | 'honoursSignal'
  | 'rejectedPromise'
  | 'throws';
const AFTER_ABORT: readonly AfterAbort[] = [
  'plainValue',
  'resolvedPromise',
  'resolvesLater',
  'pendingForever',
  'honoursSignal',
  'rejectedPromise',
  'throws',
];
type ReasonKind = 'error' | 'domException' | 'default' | 'string';

interface Plan {
  readonly bulkhead: boolean;
  readonly breaker: boolean;
  readonly maxRetries: number;
  readonly attemptTimeoutMs: number;
  readonly overallTimeoutMs: number;
  /** The attempt during which the caller aborts (earlier ones fail); at most maxRetries + 1. */
  readonly abortOnAttempt: number;
  readonly earlierFailuresSync: boolean;
  readonly readSignal: 'before' | 'after' | 'both';
  readonly afterAbort: AfterAbort;
  readonly reason: ReasonKind;
}

const planArb: fc.Arbitrary<Plan> = fc
  .record({
    bulkhead: fc.boolean(),
    breaker: fc.boolean(),
    maxRetries: fc.integer({ min: 0, max: 2 }),
    attemptTimeoutMs: fc.constantFrom(Infinity, 1_000),
    overallTimeoutMs: fc.constantFrom(Infinity, 5_000),
    abortOnAttempt: fc.integer({ min: 1, max: 3 }),
    earlierFailuresSync: fc.boolean(),
    readSignal: fc.constantFrom('before' as const, 'after' as const, 'both' as const),
    afterAbort: fc.constantFrom(...AFTER_ABORT),
    reason: fc.constantFrom('error' as const, 'domException' as const, 'default' as const, 'string' as const),
  })
  .map((p) => ({ ...p, abortOnAttempt: Math.min(p.abortOnAttempt, p.maxRetries + 1) }));

function strategy(plan: Plan): StrategyDefinition {
  return {
    id: 's',
    adaptive: false,
    bulkhead: plan.bulkhead ? { maxConcurrency: 1, maxQueueSize: 0 } : false,
    circuitBreaker: plan.breaker ? { failureThreshold: 5 } : false,
    retry: { maxRetries: plan.maxRetries, backoff: 'immediate' },
    timeout: { attemptTimeoutMs: plan.attemptTimeoutMs, overallTimeoutMs: plan.overallTimeoutMs },
  };
}

function abort(controller: AbortController, kind: ReasonKind): void {
  switch (kind) {
    case 'error':
      return controller.abort(new Error('caller gave up'));
    case 'domException':
      return controller.abort(new DOMException('caller gave up', 'AbortError'));
    case 'default':
      return controller.abort();
    case 'string':
      return controller.abort('caller gave up');
  }
}

/** Runs one call whose operation aborts its own caller on attempt `plan.abortOnAttempt`. */
async function runPlan(plan: Plan) {
  const h = pipelineHarness([strategy(plan)]);
  const controller = new AbortController();
  let invocations = 0;
  let opSignal: AbortSignal | undefined;
  let running = 0;
  let signalChanged = false;
  const operation = (ctx: OperationContext): Promise<string> | string => {
    invocations++;
    if (ctx.attempt < plan.abortOnAttempt) {
      const error = new Error(`attempt ${ctx.attempt} failed`);
      if (plan.earlierFailuresSync) throw error;
      return Promise.reject(error);
    }
    if (plan.readSignal !== 'after') opSignal = ctx.signal;
    abort(controller, plan.reason);
    if (plan.readSignal !== 'before') {
      const read = ctx.signal;
      // Recorded, not asserted here: a throw inside the operation would only become its error.
      if (opSignal !== undefined && read !== opSignal) signalChanged = true;
      opSignal = read;
    }
    const signal = opSignal!;
    switch (plan.afterAbort) {
      case 'plainValue':
        return 'value';
      case 'resolvedPromise':
        return Promise.resolve('value');
      case 'resolvesLater':
        running++;
        return new Promise((resolve) =>
          h.clock.setTimeout(() => {
            running--;
            resolve('value');
          }, 10),
        );
      case 'pendingForever':
        running++;
        return new Promise(() => undefined);
      case 'honoursSignal':
        return new Promise((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      case 'rejectedPromise':
        return Promise.reject(new Error('failed after the abort'));
      case 'throws':
        throw new Error('failed after the abort');
    }
  };

  const promise = h.manager.executeWithResilience('s', operation, { signal: controller.signal });
  let atSettle: { aborted: boolean; reason: unknown } | undefined;
  const observe = (): void => {
    atSettle = { aborted: opSignal!.aborted, reason: opSignal!.reason };
  };
  promise.then(observe, observe);
  const call = trackCall(promise);
  await h.clock.advanceAsync(0);
  const settledAtOnce = call.settlements === 1;
  await h.clock.advanceAsync(20);
  return { h, controller, call, invocations, atSettle, settledAtOnce, signalChanged, stillRunning: running };
}

describe('ResilienceScalingManager pipeline (properties)', () => {
  describe("caller abort during the operation's synchronous part", () => {
    it("aborts ctx.signal with the caller's reason by the time the call settles, and rejects with that reason without counting a failure", async () => {
      await fc.assert(
        fc.asyncProperty(planArb, async (plan) => {
          const r = await runPlan(plan);
          const reason: unknown = r.controller.signal.reason;
          expect(r.settledAtOnce).toBe(true);
          expect(r.signalChanged).toBe(false);
          expect(r.call).toMatchObject({ settlements: 1, status: 'rejected' });
          expect(r.call.error).toBe(reason);
          expect(r.atSettle).toEqual({ aborted: true, reason });
          expect(r.atSettle!.reason).toBe(reason);
          // No attempt after the abort; the earlier attempts' failures are the only ones counted.
          expect(r.invocations).toBe(plan.abortOnAttempt);
          const report = r.h.report('s');
          expect({ aborted: report.aborted, calls: report.calls, attempts: report.attempts }).toEqual({
            aborted: 1,
            calls: 0,
            attempts: plan.abortOnAttempt,
          });
          if (plan.breaker) {
            const breaker = r.h.breaker('s');
            expect({ failedCalls: breaker.getStatistics().failedCalls, outstanding: breaker.outstanding }).toEqual({
              failedCalls: plan.abortOnAttempt - 1,
              outstanding: 0,
            });
          }
          // Only an operation still running keeps its slot, and it shows as abandoned.
          expect(report.abandonedRunning).toBe(r.stillRunning);
          if (plan.bulkhead) expect(report.running).toBe(r.stillRunning);
        }),
        { seed: SEED, numRuns: NUM_RUNS },
      );
    });

    it.each(AFTER_ABORT)(
      'aborts a signal read before the caller aborted, when the operation then ends with %s',
      async (afterAbort) => {
        const r = await runPlan({
          bulkhead: true,
          breaker: true,
          maxRetries: 0,
          attemptTimeoutMs: Infinity,
          overallTimeoutMs: Infinity,
          abortOnAttempt: 1,
          earlierFailuresSync: false,
          readSignal: 'before',
          afterAbort,
          reason: 'error',
        });
        expect(r.call).toMatchObject({ status: 'rejected', error: r.controller.signal.reason });
        expect(r.atSettle).toEqual({ aborted: true, reason: r.controller.signal.reason });
        expect(r.h.breaker('s').getStatistics().failedCalls).toBe(0);
      },
    );
  });
});
