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
