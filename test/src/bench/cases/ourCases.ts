import { systemClock } from '@datawarehouse/sdk';
import { ResilienceScalingManager, StrategyRegistry } from '@datawarehouse/plugin-ultimate-resilience';
import type { StrategyDefinition } from '@datawarehouse/plugin-ultimate-resilience';
import type { BenchCase, CaseInstance } from '../harness.js';
import { expectAttemptsPerCall, makeFailsFirstAttempt, succeed } from './operations.js';

/**
 * Our full pipeline, configured like the other libraries: bulkhead 100 + queue 1000,
 * 5 consecutive failures open the circuit for 60 s, 3 immediate retries, 1 s per attempt.
 * Metrics (counters, windows, latency histogram) are always on.
 */
export const FULL_STRATEGY: StrategyDefinition = Object.freeze<StrategyDefinition>({
  id: 'bench-full',
  bulkhead: { maxConcurrency: 100, maxQueueSize: 1_000 },
  circuitBreaker: { mode: 'consecutive', failureThreshold: 5, breakDurationMs: 60_000 },
  retry: { maxRetries: 3, backoff: 'immediate' },
  timeout: { attemptTimeoutMs: 1_000 },
});

/** The full pipeline without its timeout: the difference is what the timeout stage costs. */
const NO_TIMEOUT_STRATEGY: StrategyDefinition = Object.freeze({
  ...FULL_STRATEGY,
  id: 'bench-no-timeout',
  timeout: {},
});

/** The breaker alone (plus metrics, which cannot be switched off), like cockatiel's breaker-only case. */
const BREAKER_ONLY_STRATEGY: StrategyDefinition = Object.freeze({
  id: 'bench-breaker-only',
  bulkhead: false,
  circuitBreaker: FULL_STRATEGY.circuitBreaker,
  retry: false,
});

/** A manager holding one strategy, on the real clock, as users construct it. */
export function makeManager(definition: StrategyDefinition): ResilienceScalingManager {
  return new ResilienceScalingManager({ registry: new StrategyRegistry([definition]), clock: systemClock });
}

function instance(definition: StrategyDefinition): CaseInstance & { manager: ResilienceScalingManager } {
  const manager = makeManager(definition);
  const id = definition.id;
  return { manager, call: () => manager.executeWithResilience(id, succeed), teardown: () => manager.dispose() };
}

const FULL_STAGES = 'bulkhead (100, queue 1000), breaker, retry ×3, timeout 1 s, metrics';

/** `executeWithResilience` with every stage on. */
export const oursFull: BenchCase = {
  id: 'ours-full',
  path: 'success',
  label: '**ours** `executeWithResilience` (full pipeline)',
  stages: FULL_STAGES,
  expect: 'resolve',
  setup: () => instance(FULL_STRATEGY),
};

/**
 * The full pipeline with one per-call hook registered (`onSuccess`, counting): what a listener
 * costs. Without one, `ours-full` pays only the checks that find nobody listening.
 */
export const oursFullHooked: BenchCase = {
  id: 'ours-full-hooked',
  path: 'success',
  label: 'ours, full pipeline with one `onSuccess` hook (diagnostic)',
  stages: `${FULL_STAGES}; one hook`,
  expect: 'resolve',
  setup: () => {
    const base = instance(FULL_STRATEGY);
    let successes = 0;
    base.manager.addHooks({ onSuccess: () => void successes++ });
    return {
      ...base,
      verify: async () => {
        const before = successes;
        await base.call();
        if (successes !== before + 1) throw new Error('ours-full-hooked: the hook did not run once per call');
      },
    };
  },
};

/** Diagnostic: the full pipeline minus the timeout stage. */
export const oursNoTimeout: BenchCase = {
  id: 'ours-no-timeout',
  path: 'success',
  label: 'ours, full pipeline without timeout (diagnostic)',
  stages: 'bulkhead (100, queue 1000), breaker, retry ×3, metrics; no timeout',
  expect: 'resolve',
  setup: () => instance(NO_TIMEOUT_STRATEGY),
};

/** Like-for-like with cockatiel's breaker-only case. */
export const oursBreakerOnly: BenchCase = {
  id: 'ours-breaker-only',
  path: 'success',
  label: 'ours, breaker only',
  stages: 'breaker, metrics',
  expect: 'resolve',
  setup: () => instance(BREAKER_ONLY_STRATEGY),
};

/** The full pipeline with a bulkhead of 10: with 100 concurrent calls, 90 wait in its queue. */
const QUEUED_STRATEGY: StrategyDefinition = Object.freeze<StrategyDefinition>({
  ...FULL_STRATEGY,
  id: 'bench-queued',
  bulkhead: { maxConcurrency: 10, maxQueueSize: 1_000 },
});

/** The queued path: a call that waits for a bulkhead slot (concurrent mode; sequential calls never queue). */
export const oursQueued: BenchCase = {
  id: 'ours-queued',
  path: 'success',
  label: 'ours, full pipeline with a bulkhead of 10 (90 of 100 concurrent calls queue)',
  stages: 'bulkhead (10, queue 1000), breaker, retry ×3, timeout 1 s, metrics',
  expect: 'resolve',
  setup: () => instance(QUEUED_STRATEGY),
};

/** Full pipeline with the circuit open (tripped for 60 s): the fast-fail rejection. */
export const oursOpen: BenchCase = {
  id: 'ours-open',
  path: 'circuit-open',
  label: '**ours** full pipeline, breaker open',
  stages: FULL_STAGES,
  expect: 'reject',
  setup: () => {
    const base = instance(FULL_STRATEGY);
    const breaker = base.manager.getCircuitBreaker(FULL_STRATEGY.id);
    if (breaker === undefined) throw new Error('ours-open: the strategy has no breaker');
    breaker.trip('benchmark');
    return {
      ...base,
      verify: () => {
        if (breaker.state !== 'open') throw new Error(`ours-open: breaker is ${breaker.state}, not open`);
      },
    };
  },
};

/**
 * The full pipeline for the retry path. Our breaker judges every attempt (cockatiel's, outside
 * its retry, sees one outcome per call), so 100 concurrent first attempts failing together
 * would open it at 5; the threshold is raised above the batch so the path stays the retry path.
 */
const RETRY_STRATEGY: StrategyDefinition = Object.freeze<StrategyDefinition>({
  ...FULL_STRATEGY,
  id: 'bench-retry',
  circuitBreaker: { mode: 'consecutive', failureThreshold: 1_000, breakDurationMs: 60_000 },
});

/** Full pipeline, each call failing once and succeeding on its first (immediate) retry. */
export const oursRetry: BenchCase = {
  id: 'ours-retry',
  path: 'retry',
  label: '**ours** full pipeline, 1 retry per call',
  stages: `${FULL_STAGES}; immediate retry (no delay); breaker threshold 1000 (it counts attempts)`,
  expect: 'resolve',
  setup: () => {
    const manager = makeManager(RETRY_STRATEGY);
    const { op, attempts } = makeFailsFirstAttempt(1);
    const call = (): Promise<number> => manager.executeWithResilience(RETRY_STRATEGY.id, op);
    return {
      call,
      verify: () => expectAttemptsPerCall('ours-retry', call, attempts, 2),
      teardown: () => manager.dispose(),
    };
  },
};
