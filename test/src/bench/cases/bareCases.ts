import type { BenchCase } from '../harness.js';
import { DOWNSTREAM_ERROR, expectAttemptsPerCall, fail, makeFailsFirstAttempt, succeed } from './operations.js';

/** Plain `await` of the operation: the baseline every ratio is computed against. */
export const bareSuccess: BenchCase = {
  id: 'bare',
  path: 'success',
  label: 'bare `await op()`',
  stages: 'none (baseline)',
  expect: 'resolve',
  baseline: true,
  setup: () => ({ call: succeed }),
};

/**
 * The floor of any pipeline that times every call exactly and observes its outcome: the
 * operation's own await, two clock reads, and one reaction that records the latency (into a
 * fixed ring, O(1), no allocation). Every case is also reported as a ratio to it.
 */
export const floorSuccess: BenchCase = {
  id: 'floor',
  path: 'success',
  label: 'floor: bare `await op()` + two `performance.now()` + recording the latency',
  stages: 'none; exact timing only (the least an exactly timed pipeline can cost)',
  expect: 'resolve',
  floor: true,
  setup: () => {
    const latencies = new Float64Array(1024);
    let n = 0;
    const call = async (): Promise<number> => {
      const start = performance.now();
      const value = await succeed();
      latencies[n++ & 1023] = performance.now() - start;
      return value;
    };
    return { call };
  },
};

/** Plain `await` of an operation that rejects: what a rejection costs with no library at all. */
export const bareReject: BenchCase = {
  id: 'bare-reject',
  path: 'circuit-open',
  label: 'bare `await op()` that rejects (reference)',
  stages: 'none (a rejected await + catch)',
  expect: 'reject',
  setup: () => ({ call: fail }),
};

/** A hand-written one-retry loop: the least a retry can cost. */
export const bareRetry: BenchCase = {
  id: 'bare-retry',
  path: 'retry',
  label: 'hand-written try/catch retry (reference)',
  stages: 'retry only, no delay',
  expect: 'resolve',
  setup: () => {
    const { op, attempts } = makeFailsFirstAttempt(1);
    const call = async (): Promise<number> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await op({ attempt });
        } catch (error) {
          if (attempt > 3 || error !== DOWNSTREAM_ERROR) throw error;
        }
      }
    };
    return {
      call,
      verify: () => expectAttemptsPerCall('bare-retry', call, attempts, 2),
    };
  },
};
