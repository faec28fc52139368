import CircuitBreaker from 'opossum';
import type { BenchCase } from '../harness.js';
import { succeed } from './operations.js';

/**
 * opossum 9 with the stages it has: its semaphore (`capacity`, no queue — the bulkhead),
 * its breaker (error percentage over a rolling window, stats on) and its per-call timeout
 * (a `setTimeout`/`clearTimeout` pair per call). It has no retry.
 */
function makeBreaker(): CircuitBreaker<[], number> {
  return new CircuitBreaker(succeed, {
    name: 'bench',
    timeout: 1_000,
    capacity: 100,
    resetTimeout: 60_000,
  });
}

const STAGES = 'semaphore (capacity 100, no queue), breaker, timeout 1 s, stats; **no retry**';

/** opossum `fire()` with timeout, success path. */
export const opossumSuccess: BenchCase = {
  id: 'opossum',
  path: 'success',
  label: 'opossum `fire()`',
  stages: STAGES,
  expect: 'resolve',
  setup: () => {
    const breaker = makeBreaker();
    return { call: () => breaker.fire(), teardown: () => breaker.shutdown() };
  },
};

/** opossum `fire()` with the breaker open: its rejection cost. */
export const opossumOpen: BenchCase = {
  id: 'opossum-open',
  path: 'circuit-open',
  label: 'opossum `fire()`, breaker open',
  stages: STAGES,
  expect: 'reject',
  setup: () => {
    const breaker = makeBreaker();
    breaker.open();
    return {
      call: () => breaker.fire(),
      verify: () => {
        if (!breaker.opened) throw new Error('opossum-open: breaker is not open');
      },
      teardown: () => breaker.shutdown(),
    };
  },
};
