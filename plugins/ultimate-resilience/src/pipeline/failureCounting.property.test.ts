/**
 * Property-based tests of failure counting (issue #10): a downstream error counts as a breaker
 * failure unless the pipeline itself produced it (a nested pipeline's rejection, which also
 * passes through unchanged) or the strategy's predicates say otherwise (`isFailure` returning
 * false, `ignoredErrors`). An error the downstream made itself counts, whatever `code` it
 * carries — even a `CircuitOpenError` it constructed.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CircuitOpenError } from '@datawarehouse/sdk';
import type { OperationContext } from '@datawarehouse/sdk';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { pipelineHarness, trackCall } from '../testing/pipelineHarness.js';
import {
  IS_NESTED_REJECTION,
  NESTED_VIAS,
  REJECTING_STRATEGIES,
  REJECTION_CODES,
  armRejectingStrategies,
  forgedRejection,
} from '../testing/rejections.js';
import type { ForgedShape, NestedVia, RejectionCode } from '../testing/rejections.js';

const SEED = 20_251_030;
const NUM_RUNS = 300;

/** What one attempt's operation does; `sync` errors are thrown, the others returned as a rejected promise. */
type Outcome =
  | { readonly kind: 'succeed' }
  | { readonly kind: 'plainError' | 'nonError' | 'benign'; readonly sync: boolean }
  | { readonly kind: 'ignored'; readonly by: 'code' | 'name'; readonly sync: boolean }
  | { readonly kind: 'forged'; readonly code: RejectionCode; readonly shape: ForgedShape; readonly sync: boolean }
  | { readonly kind: 'nested'; readonly via: NestedVia; readonly rethrow: boolean };

const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('succeed' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom('plainError' as const, 'nonError' as const, 'benign' as const),
      sync: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('ignored' as const),
      by: fc.constantFrom('code' as const, 'name' as const),
      sync: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('forged' as const),
      code: fc.constantFrom(...REJECTION_CODES),
      shape: fc.constantFrom('object' as const, 'error' as const, 'class' as const),
      sync: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('nested' as const),
      via: fc.constantFrom(...NESTED_VIAS),
      rethrow: fc.boolean(),
    }),
  },
);

/** Whether the outer breaker must count `outcome` as a failure. */
function counts(outcome: Outcome, withIsFailure: boolean): boolean {
  switch (outcome.kind) {
    case 'plainError':
    case 'nonError':
    case 'forged':
      return true;
    case 'benign':
      return !withIsFailure;
    default:
      return false;
  }
}

/** Whether the call ends with this attempt: a success, or an error that is an answer (never retried). */
function endsCall(outcome: Outcome): boolean {
  return outcome.kind === 'succeed' || outcome.kind === 'ignored' || outcome.kind === 'nested';
}

const isBenign = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && (e as { benign?: unknown }).benign === true;

function errorFor(outcome: Exclude<Outcome, { kind: 'succeed' | 'nested' }>): unknown {
  switch (outcome.kind) {
    case 'plainError':
      return new Error('downstream 503');
    case 'nonError':
      return 'downstream said no';
    case 'benign':
      return Object.assign(new Error('downstream busy, benign'), { benign: true });
    case 'ignored': {
      if (outcome.by === 'code') return Object.assign(new Error('not found'), { code: 'ERR_NOT_FOUND' });
      const error = new Error('not found');
      error.name = 'NotFoundError';
      return error;
    }
    case 'forged':
      return forgedRejection(outcome.code, outcome.shape);
  }
}

function outerStrategy(maxRetries: number, withIsFailure: boolean, failureThreshold = 1_000): StrategyDefinition {
  return {
    id: 'outer',
    adaptive: false,
    bulkhead: false,
    circuitBreaker: { failureThreshold, breakDurationMs: 1_000 },
    retry: { maxRetries, backoff: 'immediate' },
    ignoredErrors: ['ERR_NOT_FOUND', 'NotFoundError'],
    ...(withIsFailure && { isFailure: (e: unknown) => !isBenign(e) }),
  };
}

/** A harness with `outer` and the armed {@link REJECTING_STRATEGIES}. */
async function nestedSetup(outer: StrategyDefinition) {
  const h = pipelineHarness([outer, ...REJECTING_STRATEGIES]);
  return { h, ...(await armRejectingStrategies(h)) };
}

/** One call's operation: attempt n does `outcomes[n - 1]`; every error it produces is recorded. */
function plannedOperation(
  outcomes: readonly Outcome[],
  nested: (via: NestedVia) => Promise<string>,
  thrown: unknown[],
) {
  return (ctx: OperationContext): Promise<string> | string => {
    const outcome = outcomes[ctx.attempt - 1]!;
    if (outcome.kind === 'succeed') return `ok on attempt ${ctx.attempt}`;
    if (outcome.kind === 'nested') {
      const inner = nested(outcome.via);
      if (!outcome.rethrow) {
        inner.catch((e: unknown) => thrown.push(e));
        return inner;
      }
      return (async () => {
        try {
          return await inner;
        } catch (e) {
          thrown.push(e);
          throw e;
        }
      })();
    }
    const error = errorFor(outcome);
    thrown.push(error);
    if (outcome.sync) throw error;
    return Promise.reject(error);
  };
}

describe('ResilienceScalingManager pipeline (properties)', () => {
  describe('failure counting', () => {
    it('counts exactly the downstream errors as breaker failures — forged rejection codes included — and passes nested pipeline rejections through unchanged', async () => {
      const callArb = fc.array(outcomeArb, { minLength: 3, maxLength: 3 });
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 2 }),
          fc.boolean(),
          fc.array(callArb, { minLength: 1, maxLength: 8 }),
          async (maxRetries, withIsFailure, plannedCalls) => {
            const setup = await nestedSetup(outerStrategy(maxRetries, withIsFailure));
            const { h } = setup;
            const expected = { failures: 0, successes: 0, attempts: 0, succeededCalls: 0, passedThroughCalls: 0 };

            for (const planned of plannedCalls) {
              const outcomes = planned.slice(0, maxRetries + 1);
              const thrown: unknown[] = [];
              const invoked: Outcome[] = [];
              const operation = plannedOperation(outcomes, setup.nested, thrown);
              const call = trackCall(
                h.manager.executeWithResilience('outer', (ctx) => {
                  invoked.push(outcomes[ctx.attempt - 1]!);
                  return operation(ctx);
                }),
              );
              await h.clock.advanceAsync(0);

              // Failed attempts are retried until maxRetries; successes and answers end the call.
              const ending = outcomes.findIndex(endsCall);
              expect(invoked).toEqual(outcomes.slice(0, ending === -1 ? outcomes.length : ending + 1));
              expected.attempts += invoked.length;
              expected.failures += invoked.filter((o) => counts(o, withIsFailure)).length;
              expected.successes += invoked.filter((o) => o.kind === 'succeed').length;

              const last = invoked[invoked.length - 1]!;
              if (last.kind === 'succeed') {
                expected.succeededCalls++;
                expect(call).toMatchObject({
                  settlements: 1,
                  status: 'resolved',
                  value: `ok on attempt ${invoked.length}`,
                });
              } else {
                // The call ends with the last attempt's error itself: a nested rejection unchanged.
                expect(call.settlements).toBe(1);
                expect(call.status).toBe('rejected');
                expect(call.error).toBe(thrown[thrown.length - 1]);
                if (last.kind === 'nested') expect(IS_NESTED_REJECTION[last.via](call.error)).toBe(true);
                if (last.kind === 'ignored' || last.kind === 'nested') expected.passedThroughCalls++;
              }
            }

            const stats = h.breaker('outer').getStatistics();
            expect({
              failedCalls: stats.failedCalls,
              successfulCalls: stats.successfulCalls,
              totalCalls: stats.totalCalls,
              state: stats.state,
            }).toEqual({
              failedCalls: expected.failures,
              successfulCalls: expected.successes,
              totalCalls: expected.attempts,
              state: 'closed',
            });
            const report = h.report('outer');
            expect({
              calls: report.calls,
              successes: report.successes,
              passedThrough: report.passedThrough,
              attempts: report.attempts,
            }).toEqual({
              calls: plannedCalls.length,
              successes: expected.succeededCalls,
              passedThrough: expected.passedThroughCalls,
              attempts: expected.attempts,
            });
            expect(h.breaker('outer').outstanding).toBe(0);
            expect(setup.innerInvocations()).toBe(0);
            await setup.release();
          },
        ),
        { seed: SEED, numRuns: NUM_RUNS },
      );
    });

    it.each([
      ['a plain object', 'object'],
      ['an Error with the code', 'error'],
      ['the SDK error class constructed by the downstream', 'class'],
    ] as const satisfies readonly (readonly [string, ForgedShape])[])(
      'opens the circuit on downstream errors carrying a rejection code (%s)',
      async (_, shape) => {
        for (const code of REJECTION_CODES) {
          const h = pipelineHarness([outerStrategy(0, false, 3)]);
          for (let i = 0; i < 3; i++) {
            const call = trackCall(
              h.manager.executeWithResilience('outer', () => Promise.reject(forgedRejection(code, shape))),
            );
            await h.clock.advanceAsync(0);
            expect(call.status).toBe('rejected');
          }
          expect({
            code,
            failedCalls: h.breaker('outer').getStatistics().failedCalls,
            state: h.breaker('outer').state,
          }).toEqual({ code, failedCalls: 3, state: 'open' });
        }
      },
    );

    it('reopens a half-open circuit when its probe answers with a CircuitOpenError the downstream constructed', async () => {
      const h = pipelineHarness([outerStrategy(0, false, 1)]);
      const first = trackCall(
        h.manager.executeWithResilience('outer', () => Promise.reject(new Error('downstream 503'))),
      );
      await h.clock.advanceAsync(1_000);
      expect(first.status).toBe('rejected');
      h.breaker('outer').refresh();
      expect(h.breaker('outer').state).toBe('half-open');
      const forged = new CircuitOpenError('remote-service', 'open', 30_000);
      const probe = trackCall(h.manager.executeWithResilience('outer', () => Promise.reject(forged)));
      await h.clock.advanceAsync(0);
      expect(probe).toMatchObject({ status: 'rejected', error: forged });
      expect(h.breaker('outer').state).toBe('open');
      expect(h.breaker('outer').getStatistics()).toMatchObject({ failedCalls: 2, halfOpenInFlight: 0, openedCount: 2 });
    });

    it('never counts a nested pipeline rejection, however many pass through a breaker with failureThreshold 1', async () => {
      const setup = await nestedSetup(outerStrategy(2, false, 1));
      const { h } = setup;
      for (const via of NESTED_VIAS) {
        let inner: unknown;
        const call = trackCall(
          h.manager.executeWithResilience('outer', () =>
            setup.nested(via).catch((e: unknown) => {
              inner = e;
              throw e;
            }),
          ),
        );
        await h.clock.advanceAsync(0);
        expect(call).toMatchObject({ settlements: 1, status: 'rejected' });
        expect(call.error).toBe(inner);
        expect(IS_NESTED_REJECTION[via](call.error)).toBe(true);
      }
      expect(h.breaker('outer').getStatistics()).toMatchObject({ state: 'closed', failedCalls: 0, totalCalls: 4 });
      expect(h.report('outer')).toMatchObject({ attempts: 4, passedThrough: 4, failures: 0 });
      await setup.release();
    });
  });
});
