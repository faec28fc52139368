import { ResilienceTimeoutError } from '@datawarehouse/sdk';
import type { BulkheadLease, Clock, ExecuteOptions, IBulkheadIsolation } from '@datawarehouse/sdk';
import type { PartitionedBulkhead } from '../bulkhead/PartitionedBulkhead.js';
import type { StrategyMetrics } from '../metrics/StrategyMetrics.js';
import type { CallState } from './CallState.js';
import type { PriorityBulkheadIsolation } from '../bulkhead/PriorityBulkheadIsolation.js';

/** A strategy's bulkhead, by kind: the call path admits differently on each. @internal */
export type Bulkhead =
  | { readonly kind: 'semaphore'; readonly impl: IBulkheadIsolation }
  | { readonly kind: 'priority'; readonly impl: PriorityBulkheadIsolation }
  | { readonly kind: 'partitioned'; readonly impl: PartitionedBulkhead };

/** The partition of a call: `partitionKey`, else `context.partitionKey`, else `'default'`. */
function partitionKey(options: ExecuteOptions | undefined): string {
  if (options?.partitionKey !== undefined) return options.partitionKey;
  const fromContext = options?.context?.partitionKey;
  return typeof fromContext === 'string' ? fromContext : 'default';
}

/**
 * A free slot now, or `undefined`; never queues.
 * @throws {@link CapacityExceededError} from a partitioned bulkhead whose every partition is
 *   busy when the key is new; {@link InvalidConfigurationError} for a bad partition key.
 * @internal
 */
export function tryAcquireSlot(bulkhead: Bulkhead, options: ExecuteOptions | undefined): BulkheadLease | undefined {
  if (bulkhead.kind === 'partitioned') return bulkhead.impl.tryAcquire(partitionKey(options));
  return bulkhead.impl.tryAcquire();
}

/** A slot now or after waiting in the bulkhead's queue (priority and partition from `options`). @internal */
export function acquireSlot(
  bulkhead: Bulkhead,
  options: ExecuteOptions | undefined,
  signal: AbortSignal | undefined,
): Promise<BulkheadLease> {
  switch (bulkhead.kind) {
    case 'partitioned':
      return bulkhead.impl.acquire(partitionKey(options), signal);
    case 'priority':
      return bulkhead.impl.acquire(signal, options?.priority ?? 0);
    default:
      return bulkhead.impl.acquire(signal);
  }
}

/**
 * Waits in the bulkhead's queue for a slot, bounded by the caller's signal and by the overall
 * deadline (time queued counts against the overall timeout). Rejects with the bulkhead's
 * rejection, the caller's abort reason, or an overall {@link ResilienceTimeoutError}. The
 * deadline's controller and timer exist only when there is an overall timeout.
 * @internal
 */
export async function waitForSlot(
  clock: Clock,
  strategyId: string,
  bulkhead: Bulkhead,
  options: ExecuteOptions | undefined,
  overallDeadline: number,
  overallTimeoutMs: number,
): Promise<BulkheadLease> {
  const signal = options === undefined ? undefined : options.signal;
  if (overallTimeoutMs === Infinity) return acquireSlot(bulkhead, options, signal);
  const controller = new AbortController();
  const timer = clock.setTimeout(
    () => controller.abort(new ResilienceTimeoutError(overallTimeoutMs, 'overall', strategyId)),
    overallDeadline - clock.now(),
  );
  const onAbort = (): void => controller.abort(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await acquireSlot(bulkhead, options, controller.signal);
  } finally {
    clock.clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Gets a slot for a retry whose predecessor's abandoned operation still holds the call's one
 * (see {@link CallState}): at once if one is free, else by queueing like a new call. When none
 * can be had (queue full, queue or overall timeout) the retry is not made and the call fails
 * with its last downstream error (counted as `retrySlotRefused`); a caller's abort ends it with
 * the abort reason. Resolves to whether it had to wait; `bulkhead` undefined (switched off
 * meanwhile, the old one retired once idle) means nothing to take.
 * @internal
 */
export async function retakeSlot(
  clock: Clock,
  strategyId: string,
  bulkhead: Bulkhead | undefined,
  metrics: StrategyMetrics,
  call: CallState,
  options: ExecuteOptions | undefined,
  overallDeadline: number,
  overallTimeoutMs: number,
): Promise<boolean> {
  if (bulkhead === undefined) return false;
  const signal = call.signal;
  let lease: BulkheadLease | undefined;
  try {
    lease = tryAcquireSlot(bulkhead, options);
    if (lease !== undefined) {
      call.lease = lease;
      return false;
    }
    call.waitingForSlot = true;
    lease = await waitForSlot(clock, strategyId, bulkhead, options, overallDeadline, overallTimeoutMs);
  } catch (error) {
    if (signal !== undefined && signal.aborted && error === signal.reason) throw error;
    metrics.retrySlotRefused++;
    throw call.lastError;
  } finally {
    call.waitingForSlot = false;
  }
  if (signal !== undefined && signal.aborted) {
    lease.release();
    throw signal.reason;
  }
  if (clock.now() >= overallDeadline) {
    lease.release();
    metrics.retrySlotRefused++;
    throw call.lastError;
  }
  call.lease = lease;
  return true;
}
