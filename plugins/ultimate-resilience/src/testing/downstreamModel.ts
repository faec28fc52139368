import fc from 'fast-check';
import type { Clock, OperationContext, ResilientOperation } from '@datawarehouse/sdk';
import type { BulkheadKind, StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { trackCall } from './pipelineHarness.js';
import type { CallRecord, PipelineHarness } from './pipelineHarness.js';

/**
 * What one attempt's operation does. `resolve`/`reject` settle after `afterMs` without looking
 * at their signal; `ignoreSignal` reads `ctx.signal` but keeps running for a long time anyway;
 * `honourSignal` settles after `afterMs` or rejects with the signal's reason as soon as it
 * aborts; `never` never settles; `throwSync`/`returnSync` finish before returning.
 */
export type Behaviour =
  | { readonly kind: 'resolve' | 'reject'; readonly afterMs: number }
  | { readonly kind: 'ignoreSignal' | 'honourSignal'; readonly afterMs: number; readonly fails: boolean }
  | { readonly kind: 'never' | 'throwSync' | 'returnSync' };

/**
 * Counts operations in the downstream: invoked and not yet settled (by their own clock, i.e.
 * before the pipeline hears of it). An operation that never settles stays counted.
 */
export class DownstreamGauge {
  /** Operations running now. */
  inside = 0;
  /** Most operations ever running at once. */
  peak = 0;
  /** Operations invoked. */
  invoked = 0;
  /** Operations invoked that will never settle. */
  neverSettling = 0;

  /** An operation starts; the returned function (idempotent) says it settled. */
  enter(): () => void {
    this.invoked++;
    this.inside++;
    if (this.inside > this.peak) this.peak = this.inside;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.inside--;
    };
  }
}

/** Options of the strategy under test, drawn by {@link strategyPlanArb}. */
export interface StrategyPlan {
  readonly bulkheadKind: BulkheadKind;
  readonly maxConcurrency: number;
  readonly maxQueueSize: number;
  readonly queueTimeoutMs: number | undefined;
  readonly maxRetries: number;
  /** 0: immediate retries; else a fixed backoff of this many ms. */
  readonly retryDelayMs: number;
  readonly attemptTimeoutMs: number;
  readonly overallTimeoutMs: number | undefined;
  readonly breaker:
    | { readonly failureThreshold: number; readonly breakDurationMs: number; readonly halfOpenMaxAttempts: number }
    | undefined;
}

/** The strategy definition of `plan` (adaptation off, so limits stay what the plan says). */
export function strategyDefinition(id: string, plan: StrategyPlan): StrategyDefinition {
  return {
    id,
    adaptive: false,
    bulkhead: {
      kind: plan.bulkheadKind,
      maxConcurrency: plan.maxConcurrency,
      maxQueueSize: plan.maxQueueSize,
      ...(plan.queueTimeoutMs !== undefined && { queueTimeoutMs: plan.queueTimeoutMs }),
    },
    retry: {
      maxRetries: plan.maxRetries,
      backoff: plan.retryDelayMs === 0 ? 'immediate' : 'fixed',
      baseDelayMs: plan.retryDelayMs,
    },
    timeout: {
      attemptTimeoutMs: plan.attemptTimeoutMs,
      ...(plan.overallTimeoutMs !== undefined && { overallTimeoutMs: plan.overallTimeoutMs }),
    },
    circuitBreaker: plan.breaker ?? false,
  };
}

/**
 * A bulkhead of any kind (all calls share one partition) 1..4 wide with a queue of 0..5 (queue
 * timeout optional), 0..3 retries 0..20 ms apart, small timeouts, breaker optional.
 */
export const strategyPlanArb: fc.Arbitrary<StrategyPlan> = fc.record({
  bulkheadKind: fc.constantFrom<BulkheadKind>('semaphore', 'priority', 'partitioned'),
  maxConcurrency: fc.integer({ min: 1, max: 4 }),
  maxQueueSize: fc.integer({ min: 0, max: 5 }),
  queueTimeoutMs: fc.option(fc.integer({ min: 10, max: 300 }), { nil: undefined }),
  maxRetries: fc.integer({ min: 0, max: 3 }),
  retryDelayMs: fc.integer({ min: 0, max: 20 }),
  attemptTimeoutMs: fc.integer({ min: 5, max: 40 }),
  overallTimeoutMs: fc.option(fc.integer({ min: 60, max: 600 }), { nil: undefined }),
  breaker: fc.option(
    fc.record({
      failureThreshold: fc.integer({ min: 1, max: 4 }),
      breakDurationMs: fc.integer({ min: 20, max: 200 }),
      halfOpenMaxAttempts: fc.integer({ min: 1, max: 2 }),
    }),
    { nil: undefined },
  ),
});

/** Attempt behaviours; `never` only when `withNever`. Short ones straddle the attempt timeouts of {@link strategyPlanArb}. */
export function behaviourArb(withNever: boolean): fc.Arbitrary<Behaviour> {
  const settling: fc.WeightedArbitrary<Behaviour>[] = [
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constantFrom('resolve' as const, 'reject' as const),
        afterMs: fc.integer({ min: 0, max: 60 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('ignoreSignal' as const),
        afterMs: fc.integer({ min: 100, max: 600 }),
        fails: fc.boolean(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('honourSignal' as const),
        afterMs: fc.integer({ min: 0, max: 600 }),
        fails: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('throwSync' as const, 'returnSync' as const) }) },
  ];
  if (withNever) settling.push({ weight: 1, arbitrary: fc.record({ kind: fc.constant('never' as const) }) });
  return fc.oneof(...settling);
}

/** One planned call: when it starts, what each attempt does (the last repeats), and whether/when its caller aborts. */
export interface CallPlan {
  readonly startAt: number;
  readonly behaviours: readonly Behaviour[];
  readonly signal: boolean;
  /** Virtual ms from the start of the scenario; only with `signal`. */
  readonly abortAt: number | undefined;
}

/** 1..10 calls starting within 200 ms; a caller may abort within 400 ms of its start. */
export function callPlansArb(withNever: boolean): fc.Arbitrary<CallPlan[]> {
  const call = fc
    .record({
      startAt: fc.integer({ min: 0, max: 200 }),
      behaviours: fc.array(behaviourArb(withNever), { minLength: 1, maxLength: 4 }),
      signal: fc.boolean(),
      abortAfterMs: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
    })
    .map(({ startAt, behaviours, signal, abortAfterMs }): CallPlan => ({
      startAt,
      behaviours,
      signal,
      abortAt: signal && abortAfterMs !== undefined ? startAt + abortAfterMs : undefined,
    }));
  return fc.array(call, { minLength: 1, maxLength: 10 });
}

/** One call of a running scenario. */
export interface ScenarioCall {
  readonly plan: CallPlan;
  readonly controller: AbortController | undefined;
  /** The call's promise, observed; undefined until the call starts. */
  record: CallRecord<string> | undefined;
  /** `ctx.attempt` of each operation invocation, in order. */
  readonly attempts: number[];
  /** Operations invoked after the call had settled (a zombie retry). */
  invokedAfterSettle: number;
}

/**
 * Schedules `plans` on the harness's clock against strategy `strategyId`; every operation
 * reports to `gauge`. Nothing runs until the clock advances.
 */
export function scheduleCalls(
  h: PipelineHarness,
  strategyId: string,
  plans: readonly CallPlan[],
  gauge: DownstreamGauge,
): ScenarioCall[] {
  return plans.map((plan, i) => {
    const controller = plan.signal ? new AbortController() : undefined;
    const call: ScenarioCall = { plan, controller, record: undefined, attempts: [], invokedAfterSettle: 0 };
    const operation = modelOperation(h.clock, gauge, call, `call ${i}`);
    h.clock.setTimeout(() => {
      call.record = trackCall(
        h.manager.executeWithResilience(strategyId, operation, controller && { signal: controller.signal }),
      );
    }, plan.startAt);
    if (controller !== undefined && plan.abortAt !== undefined) {
      h.clock.setTimeout(() => controller.abort(new Error(`caller of call ${i} gave up`)), plan.abortAt);
    }
    return call;
  });
}

/** The operation of `call`: attempt n behaves as `behaviours[n - 1]` (the last one repeats). */
function modelOperation(
  clock: Clock,
  gauge: DownstreamGauge,
  call: ScenarioCall,
  label: string,
): ResilientOperation<string> {
  return (ctx: OperationContext) => {
    call.attempts.push(ctx.attempt);
    if (call.record !== undefined && call.record.settlements > 0) call.invokedAfterSettle++;
    const behaviours = call.plan.behaviours;
    const b = behaviours[Math.min(ctx.attempt, behaviours.length) - 1]!;
    const settled = gauge.enter();
    const value = `${label} attempt ${ctx.attempt}`;
    switch (b.kind) {
      case 'returnSync':
        settled();
        return value;
      case 'throwSync':
        settled();
        throw new Error(`${value} failed synchronously`);
      case 'never':
        gauge.neverSettling++;
        return new Promise<string>(() => undefined);
      case 'resolve':
      case 'reject':
        return new Promise<string>((resolve, reject) => {
          clock.setTimeout(() => {
            settled();
            if (b.kind === 'resolve') resolve(value);
            else reject(new Error(`${value} failed`));
          }, b.afterMs);
        });
      case 'ignoreSignal':
        void ctx.signal; // creates the attempt's signal, then takes no notice of it
        return new Promise<string>((resolve, reject) => {
          clock.setTimeout(() => {
            settled();
            if (b.fails) reject(new Error(`${value} failed late`));
            else resolve(value);
          }, b.afterMs);
        });
      case 'honourSignal': {
        const signal = ctx.signal;
        return new Promise<string>((resolve, reject) => {
          const onAbort = (): void => {
            clock.clearTimeout(timer);
            settled();
            reject(signal.reason);
          };
          const timer = clock.setTimeout(() => {
            signal.removeEventListener('abort', onAbort);
            settled();
            if (b.fails) reject(new Error(`${value} failed`));
            else resolve(value);
          }, b.afterMs);
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        });
      }
    }
  };
}
