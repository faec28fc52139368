import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { DataWarehouseError, hasErrorCode } from './DataWarehouseError.js';

/**
 * Thrown instead of calling the operation while a circuit is open, isolated, or half-open
 * with all probe slots taken. Never counted as a downstream failure.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class CircuitOpenError extends DataWarehouseError {
  readonly code = 'ERR_CIRCUIT_OPEN' as const;
  constructor(
    /** Name of the circuit (usually the strategy id). */
    readonly circuitName: string,
    /** The state that rejected the call: `open`, `half-open` or `isolated`. */
    readonly state: string,
    /** Milliseconds until a probe may be admitted; `Infinity` while isolated. */
    readonly retryAfterMs: number,
  ) {
    // No message argument: the text is built on first read (see the getter). An open circuit
    // may reject millions of calls a second; most are never printed.
    super();
  }

  /** `Circuit '<name>' is <state>; retry after <ms> ms` (built when read). */
  override get message(): string {
    return `Circuit '${this.circuitName}' is ${this.state}; retry after ${Math.ceil(this.retryAfterMs)} ms`;
  }
}
Object.defineProperty(CircuitOpenError.prototype, 'name', {
  value: 'CircuitOpenError',
  configurable: true,
  writable: true,
});
/** Guard for {@link CircuitOpenError}; works across duplicate SDK copies. */
export function isCircuitOpenError(e: unknown): e is CircuitOpenError {
  return hasErrorCode(e, 'ERR_CIRCUIT_OPEN');
}

/** Why a bulkhead refused a call. @since 6.0.0 */
export type BulkheadRejectionReason = 'queue-full' | 'queue-timeout' | 'shrunk' | 'disposed';

/**
 * Thrown when a bulkhead cannot admit a call: all slots busy and the queue full (or of size
 * 0), the queue wait timed out, or the queue was cut by a reconfiguration. Never counted as a
 * downstream failure.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class BulkheadRejectedError extends DataWarehouseError {
  readonly code = 'ERR_BULKHEAD_REJECTED' as const;
  constructor(
    readonly bulkheadName: string,
    readonly reason: BulkheadRejectionReason,
    readonly maxConcurrency: number,
    readonly maxQueueSize: number,
    readonly queued: number,
  ) {
    // The text is built on first read, as for CircuitOpenError: rejections come in floods.
    super();
  }

  /** `Bulkhead '<name>' rejected the call (<reason>): maxConcurrency <n>, queue <q>/<max>` (built when read). */
  override get message(): string {
    return (
      `Bulkhead '${this.bulkheadName}' rejected the call (${this.reason}): ` +
      `maxConcurrency ${this.maxConcurrency}, queue ${this.queued}/${this.maxQueueSize}`
    );
  }
}
Object.defineProperty(BulkheadRejectedError.prototype, 'name', {
  value: 'BulkheadRejectedError',
  configurable: true,
  writable: true,
});
/** Guard for {@link BulkheadRejectedError}. */
export function isBulkheadRejectedError(e: unknown): e is BulkheadRejectedError {
  return hasErrorCode(e, 'ERR_BULKHEAD_REJECTED');
}

/**
 * Thrown when an attempt (scope `attempt`) or the whole call including retries (scope
 * `overall`) ran past its timeout. The attempt's `AbortSignal` is aborted with this error.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class ResilienceTimeoutError extends DataWarehouseError {
  readonly code = 'ERR_RESILIENCE_TIMEOUT' as const;
  constructor(
    readonly timeoutMs: number,
    readonly scope: 'attempt' | 'overall',
    readonly strategyId?: string,
  ) {
    super(
      `${scope === 'attempt' ? 'Attempt' : 'Operation'} timed out after ${timeoutMs} ms` +
        (strategyId === undefined ? '' : ` (strategy '${strategyId}')`),
    );
    this.name = 'ResilienceTimeoutError';
  }
}
/** Guard for {@link ResilienceTimeoutError}. */
export function isResilienceTimeoutError(e: unknown): e is ResilienceTimeoutError {
  return hasErrorCode(e, 'ERR_RESILIENCE_TIMEOUT');
}

/**
 * A configuration value (options object, limits, config file, admin API body, message field)
 * is invalid. Names the field path and the offending value; nothing is silently clamped.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class InvalidConfigurationError extends DataWarehouseError {
  readonly code = 'ERR_INVALID_CONFIGURATION' as const;
  constructor(
    /** Dotted path of the field, e.g. `circuitBreaker.failureThreshold`. */
    readonly field: string,
    /** The value that was given. */
    readonly value: unknown,
    /** What was expected, e.g. `an integer >= 1`. */
    readonly expected: string,
    /** Where the value came from (a file path, `admin API`, ...), if known. */
    readonly source?: string,
  ) {
    super(
      `Invalid configuration${source === undefined ? '' : ` in ${source}`}: ` +
        `'${field}' must be ${expected}, got ${describeValue(value)}`,
    );
    this.name = 'InvalidConfigurationError';
  }
}
/** Guard for {@link InvalidConfigurationError}. */
export function isInvalidConfigurationError(e: unknown): e is InvalidConfigurationError {
  return hasErrorCode(e, 'ERR_INVALID_CONFIGURATION');
}

/**
 * A plugin's service was called before `initializeAsync` completed (or after `stopAsync`).
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class PluginNotInitializedError extends DataWarehouseError {
  readonly code = 'ERR_PLUGIN_NOT_INITIALIZED' as const;
  constructor(
    readonly pluginId: string,
    readonly operation: string,
  ) {
    super(`Plugin '${pluginId}' is not initialized: cannot call ${operation} before initializeAsync()`);
    this.name = 'PluginNotInitializedError';
  }
}
/** Guard for {@link PluginNotInitializedError}. */
export function isPluginNotInitializedError(e: unknown): e is PluginNotInitializedError {
  return hasErrorCode(e, 'ERR_PLUGIN_NOT_INITIALIZED');
}

/** No strategy is registered under the id given to `executeWithResilience`. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class UnknownStrategyError extends DataWarehouseError {
  readonly code = 'ERR_UNKNOWN_STRATEGY' as const;
  constructor(
    readonly strategyId: string,
    readonly known: readonly string[],
  ) {
    super(
      `Unknown resilience strategy '${strategyId}'` +
        (known.length ? ` (known: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''})` : ''),
    );
    this.name = 'UnknownStrategyError';
  }
}
/** Guard for {@link UnknownStrategyError}. */
export function isUnknownStrategyError(e: unknown): e is UnknownStrategyError {
  return hasErrorCode(e, 'ERR_UNKNOWN_STRATEGY');
}

/** A rate limiter refused the call; `retryAfterMs` says when a permit is expected. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class RateLimitedError extends DataWarehouseError {
  readonly code = 'ERR_RATE_LIMITED' as const;
  constructor(
    readonly limiterName: string,
    readonly retryAfterMs: number,
  ) {
    super(`Rate limit of '${limiterName}' exceeded; retry after ${retryAfterMs} ms`);
    this.name = 'RateLimitedError';
  }
}
/** Guard for {@link RateLimitedError}. */
export function isRateLimitedError(e: unknown): e is RateLimitedError {
  return hasErrorCode(e, 'ERR_RATE_LIMITED');
}

/** A bounded registry (strategies, subsystems, ...) is full. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class CapacityExceededError extends DataWarehouseError {
  readonly code = 'ERR_CAPACITY_EXCEEDED' as const;
  constructor(
    readonly what: string,
    readonly limit: number,
  ) {
    super(`Cannot add another ${what}: the limit of ${limit} is reached`);
    this.name = 'CapacityExceededError';
  }
}
/** Guard for {@link CapacityExceededError}. */
export function isCapacityExceededError(e: unknown): e is CapacityExceededError {
  return hasErrorCode(e, 'ERR_CAPACITY_EXCEEDED');
}

/** True for the `AbortError` a caller's signal produces (DOMException or any error named so). */
export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? value.slice(0, 80) + '…' : value);
  try {
    const s = JSON.stringify(value);
    return s === undefined ? typeof value : s.length > 80 ? s.slice(0, 80) + '…' : s;
  } catch {
    return typeof value;
  }
}
