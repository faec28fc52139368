import {
  BulkheadRejectedError,
  CircuitOpenError,
  InvalidConfigurationError,
  RateLimitedError,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isInvalidConfigurationError,
  isRateLimitedError,
} from '@datawarehouse/sdk';
import { deferred } from '@datawarehouse/sdk/testing';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import type { PipelineHarness } from './pipelineHarness.js';

/** The codes of the rejections a pipeline raises itself. */
export const REJECTION_CODES = [
  'ERR_CIRCUIT_OPEN',
  'ERR_BULKHEAD_REJECTED',
  'ERR_RATE_LIMITED',
  'ERR_INVALID_CONFIGURATION',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];
/** How a downstream dresses its error: a plain object, an `Error` with a `code`, or the SDK's own class. */
export type ForgedShape = 'object' | 'error' | 'class';

/** An error a downstream made itself that carries a rejection's `code` — not a rejection. */
export function forgedRejection(code: RejectionCode, shape: ForgedShape): unknown {
  if (shape === 'object') return { code, message: `downstream says ${code}` };
  if (shape === 'error') return Object.assign(new Error(`downstream says ${code}`), { code });
  switch (code) {
    case 'ERR_CIRCUIT_OPEN':
      return new CircuitOpenError('downstream', 'open', 1_000);
    case 'ERR_BULKHEAD_REJECTED':
      return new BulkheadRejectedError('downstream', 'queue-full', 1, 0, 0);
    case 'ERR_RATE_LIMITED':
      return new RateLimitedError('downstream', 1_000);
    case 'ERR_INVALID_CONFIGURATION':
      return new InvalidConfigurationError('downstream.field', 1, 'a valid value');
  }
}

/** Which stage of a nested pipeline rejects: an open circuit, a full bulkhead, a rate limit, a bad argument. */
export type NestedVia = 'circuitOpen' | 'bulkheadFull' | 'rateLimited' | 'invalidOptions';
export const NESTED_VIAS: readonly NestedVia[] = ['circuitOpen', 'bulkheadFull', 'rateLimited', 'invalidOptions'];

/** The guard a nested rejection of each kind satisfies. */
export const IS_NESTED_REJECTION: Readonly<Record<NestedVia, (e: unknown) => boolean>> = {
  circuitOpen: isCircuitOpenError,
  bulkheadFull: isBulkheadRejectedError,
  rateLimited: isRateLimitedError,
  invalidOptions: isInvalidConfigurationError,
};

/** Strategies an operation can call into; {@link armRejectingStrategies} makes each reject every call. */
export const REJECTING_STRATEGIES: readonly StrategyDefinition[] = [
  { id: 'inner-open', adaptive: false, bulkhead: false, retry: false },
  {
    id: 'inner-full',
    adaptive: false,
    circuitBreaker: false,
    retry: false,
    bulkhead: { maxConcurrency: 1, maxQueueSize: 0 },
  },
  {
    id: 'inner-limited',
    adaptive: false,
    circuitBreaker: false,
    bulkhead: false,
    retry: false,
    rateLimit: { kind: 'sliding-window', limit: 1, windowMs: 3_600_000 },
  },
  { id: 'inner-plain', adaptive: false, circuitBreaker: false, bulkhead: false, retry: false },
];

/** Genuine rejections from nested pipelines, on demand. */
export interface RejectingStrategies {
  /** Calls into a nested pipeline that rejects `via` that stage (its operation never runs). */
  nested(via: NestedVia): Promise<string>;
  /** Times a nested pipeline ran its operation after all (must stay 0). */
  readonly innerInvocations: () => number;
  /** Frees the call holding `inner-full`'s only slot. */
  release(): Promise<void>;
}

/**
 * Arms {@link REJECTING_STRATEGIES} (registered in `h`): `inner-open` is isolated, `inner-full`
 * has its only slot taken and no queue, `inner-limited` has used its one call per hour, and
 * `inner-plain` is called with an invalid `partitionKey`. The clock must not move an hour.
 */
export async function armRejectingStrategies(h: PipelineHarness): Promise<RejectingStrategies> {
  let innerInvocations = 0;
  h.breaker('inner-open').isolate('test: held open');
  const gate = deferred<string>();
  const holder = h.manager.executeWithResilience('inner-full', () => gate.promise);
  await h.manager.executeWithResilience('inner-limited', () => 'takes the only permit of the window');
  const unreachable = (): string => {
    innerInvocations++;
    return 'inner operation ran';
  };
  return {
    nested(via) {
      switch (via) {
        case 'circuitOpen':
          return h.manager.executeWithResilience('inner-open', unreachable);
        case 'bulkheadFull':
          return h.manager.executeWithResilience('inner-full', unreachable);
        case 'rateLimited':
          return h.manager.executeWithResilience('inner-limited', unreachable);
        case 'invalidOptions':
          return h.manager.executeWithResilience('inner-plain', unreachable, { partitionKey: '' });
      }
    },
    innerInvocations: () => innerInvocations,
    async release() {
      gate.resolve('done');
      await holder;
    },
  };
}
