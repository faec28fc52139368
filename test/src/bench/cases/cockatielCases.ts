import './listenerLimit.js';
import {
  CircuitState,
  ConsecutiveBreaker,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleAll,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import type { CircuitBreakerPolicy, IDefaultPolicyContext, IPolicy } from 'cockatiel';
import type { BenchCase, CaseInstance } from '../harness.js';
import { expectAttemptsPerCall, fail, makeFailsFirstAttempt, succeed } from './operations.js';

/** Options matching ours: 5 consecutive failures open the circuit for 60 s. */
function makeBreaker(): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, { halfOpenAfter: 60_000, breaker: new ConsecutiveBreaker(5) });
}

/**
 * The full cockatiel pipeline in our order: bulkhead (100 + queue 1000) → breaker → retry
 * (3 retries) → timeout per attempt (1 s, aggressive: rejects at the deadline like ours).
 * cockatiel's retry waits `setTimeout(0)` (≥ 1 ms) even with no backoff delay.
 */
function makePipeline(withTimeout: boolean): { policy: IPolicy; breaker: CircuitBreakerPolicy } {
  const breaker = makeBreaker();
  const stages = [bulkhead(100, 1_000), breaker, retry(handleAll, { maxAttempts: 3 })] as const;
  const policy = withTimeout ? wrap(...stages, timeout(1_000, TimeoutStrategy.Aggressive)) : wrap(...stages);
  return { policy, breaker };
}

/** Opens a cockatiel breaker the way traffic would: 5 consecutive failures. */
async function openBreaker(breaker: CircuitBreakerPolicy): Promise<void> {
  for (let i = 0; i < 5; i++) await breaker.execute(fail).catch(() => undefined);
  if (breaker.state !== CircuitState.Open) throw new Error('cockatiel breaker did not open');
}

function openInstance(policy: IPolicy, breaker: CircuitBreakerPolicy): CaseInstance {
  return {
    call: () => policy.execute(succeed),
    verify: () => {
      if (breaker.state !== CircuitState.Open) throw new Error('cockatiel breaker is not open');
    },
  };
}

const FULL_STAGES = 'bulkhead (100, queue 1000), breaker, retry ×3, timeout 1 s (AbortController per call); no metrics';
const NO_TIMEOUT_STAGES = 'bulkhead (100, queue 1000), breaker, retry ×3; **no timeout**, no metrics';

/** cockatiel breaker alone. */
export const cockatielBreaker: BenchCase = {
  id: 'cockatiel-breaker',
  path: 'success',
  label: 'cockatiel breaker only',
  stages: 'breaker only',
  expect: 'resolve',
  setup: () => {
    const breaker = makeBreaker();
    return { call: () => breaker.execute(succeed) };
  },
};

/** cockatiel wrap(bulkhead, breaker, retry) — no timeout. */
export const cockatielWrapNoTimeout: BenchCase = {
  id: 'cockatiel-wrap3',
  path: 'success',
  label: 'cockatiel wrap(bulkhead, breaker, retry)',
  stages: NO_TIMEOUT_STAGES,
  expect: 'resolve',
  setup: () => {
    const { policy } = makePipeline(false);
    return { call: () => policy.execute(succeed) };
  },
};

/** cockatiel wrap(bulkhead, breaker, retry, timeout). */
export const cockatielWrap: BenchCase = {
  id: 'cockatiel-wrap4',
  path: 'success',
  label: 'cockatiel wrap(bulkhead, breaker, retry, timeout)',
  stages: FULL_STAGES,
  expect: 'resolve',
  setup: () => {
    const { policy } = makePipeline(true);
    return { call: () => policy.execute(succeed) };
  },
};

/** cockatiel breaker alone, open. */
export const cockatielBreakerOpen: BenchCase = {
  id: 'cockatiel-breaker-open',
  path: 'circuit-open',
  label: 'cockatiel breaker only, open',
  stages: 'breaker only',
  expect: 'reject',
  setup: async () => {
    const breaker = makeBreaker();
    await openBreaker(breaker);
    return openInstance(breaker, breaker);
  },
};

/** cockatiel full wrap, breaker open. */
export const cockatielWrapOpen: BenchCase = {
  id: 'cockatiel-wrap4-open',
  path: 'circuit-open',
  label: 'cockatiel wrap(bulkhead, breaker, retry, timeout), breaker open',
  stages: FULL_STAGES,
  expect: 'reject',
  setup: async () => {
    const { policy, breaker } = makePipeline(true);
    await openBreaker(breaker);
    return openInstance(policy, breaker);
  },
};

/** cockatiel full wrap, each call failing once then succeeding on the retry. */
export const cockatielWrapRetry: BenchCase = {
  id: 'cockatiel-wrap4-retry',
  path: 'retry',
  label: 'cockatiel wrap(bulkhead, breaker, retry, timeout), 1 retry per call',
  stages: `${FULL_STAGES}; its retry sleeps setTimeout(0) ≥ 1 ms`,
  expect: 'resolve',
  setup: () => {
    const { policy } = makePipeline(true);
    const { op, attempts } = makeFailsFirstAttempt(0);
    // wrap() merges every policy's context, so the retry's `attempt` reaches the operation;
    // the erased `IPolicy` type no longer says so.
    const call = (): Promise<number> =>
      policy.execute(op as unknown as (ctx: IDefaultPolicyContext) => Promise<number>);
    return { call, verify: () => expectAttemptsPerCall('cockatiel-wrap4-retry', call, attempts, 2) };
  },
};
