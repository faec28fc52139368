import fc from 'fast-check';

/**
 * fast-check arbitraries of `subsystems` sections for the kernel of `limitsHost.ts`, written
 * as JSON would carry them (`"Infinity"` for unbounded durations). `valid*` ones are always
 * accepted; `any*` ones are sometimes refused by one subsystem or another.
 */

const duration = fc.oneof(fc.integer({ min: 1, max: 60_000 }), fc.constant('Infinity'));
const opt = { requiredKeys: [] as [] };

const bulkhead = fc.record(
  {
    maxConcurrency: fc.integer({ min: 1, max: 50 }),
    maxQueueSize: fc.integer({ min: 0, max: 50 }),
    queueTimeoutMs: duration,
  },
  opt,
);
const circuitBreaker = fc.record(
  {
    failureThreshold: fc.integer({ min: 1, max: 20 }),
    breakDurationMs: fc.integer({ min: 1_000, max: 60_000 }),
  },
  opt,
);
const timeout = fc.record({ attemptTimeoutMs: duration, overallTimeoutMs: duration }, opt);
const retry = fc.record({ maxRetries: fc.integer({ min: 0, max: 5 }) }, opt);

/** Overrides of the two strategies (`api` has no retry to override). */
const strategies = fc.record(
  {
    db: fc.record({ bulkhead, circuitBreaker, retry, timeout }, opt),
    api: fc.record({ bulkhead, circuitBreaker, timeout }, opt),
  },
  opt,
);

/** A `resilience` entry the subsystem accepts. */
export const validResilience = fc.record(
  {
    maxConcurrentOperations: fc.integer({ min: 1, max: 200 }),
    maxQueueDepth: fc.integer({ min: 0, max: 200 }),
    strategies,
    adaptation: fc.record({ minCalls: fc.integer({ min: 1, max: 100 }), enabled: fc.boolean() }, opt),
  },
  opt,
);

/** A `resilience` entry, sometimes with a value the subsystem refuses. */
export const anyResilience = fc.oneof(
  { weight: 4, arbitrary: validResilience },
  { weight: 1, arbitrary: fc.constant({ strategies: { db: { bulkhead: { maxConcurrency: 0 } } } }) },
  { weight: 1, arbitrary: fc.constant({ strategies: { api: { retry: { maxRetries: 1 } } } }) },
  { weight: 1, arbitrary: fc.constant({ strategies: { ghost: { timeout: { attemptTimeoutMs: 5 } } } }) },
);

/** A `beta` entry; 999 is refused by the subsystem itself (it has no dry run). */
export const anyBeta = fc
  .record(
    { maxConcurrentOperations: fc.constantFrom(1, 5, 20, 999), maxQueueDepth: fc.integer({ min: 0, max: 9 }) },
    opt,
  )
  .filter((b) => Object.keys(b).length > 0);

/** A whole `subsystems` section. */
export const anySection = fc
  .record({ resilience: anyResilience, beta: anyBeta }, opt)
  .filter((s) => s.resilience === undefined || Object.keys(s.resilience).length > 0);
