import { InvalidConfigurationError, resolveBulkheadOptions, resolveCircuitBreakerOptions } from '@datawarehouse/sdk';
import {
  rejectUnknownKeys,
  validateBoolean,
  validateEnum,
  validateInteger,
  validateObject,
  validateString,
} from '@datawarehouse/sdk/internals';
import type {
  BulkheadOptions,
  CircuitBreakerOptions,
  RetryPolicyOptions,
  TimeoutPolicyOptions,
} from '@datawarehouse/sdk';
import { validateAdaptationFields } from '../adaptive/AdaptationOptions.js';
import { resolveRetryOptions } from '../retry/Backoff.js';
import { resolveTimeoutOptions } from '../retry/TimeoutOptions.js';
import { resolveRateLimitOptions } from '../ratelimit/resolveRateLimitOptions.js';
import type { RateLimitOptions } from '../ratelimit/resolveRateLimitOptions.js';

/** How a strategy's bulkhead is shaped. @since 6.0.0 */
export type BulkheadKind = 'semaphore' | 'partitioned' | 'priority';

/** Bulkhead section of a strategy: the SDK options plus its kind. @since 6.0.0 */
export interface StrategyBulkheadOptions extends BulkheadOptions {
  /** `semaphore` (default), `partitioned` (one bulkhead per partition key), `priority`. */
  readonly kind: BulkheadKind;
  /** Most partitions a `partitioned` bulkhead keeps (idle ones are evicted). Default 1000. */
  readonly maxPartitions: number;
}

/** Strategy categories, for listing and documentation. @since 6.0.0 */
export type StrategyCategory =
  'composite' | 'circuit-breaker' | 'bulkhead' | 'retry' | 'timeout' | 'fallback' | 'rate-limit';

/**
 * A named resilience strategy as users write it (in code or in the host's JSON configuration).
 * A section left out gets its defaults; a section set to `false` is switched off.
 * @since 6.0.0
 */
export interface StrategyDefinition {
  /** Unique id, 1..128 characters of `[A-Za-z0-9._:-]`. */
  readonly id: string;
  readonly description?: string;
  readonly category?: StrategyCategory;
  readonly circuitBreaker?: Partial<CircuitBreakerOptions> | false;
  /** `maxConcurrency` / `maxQueueSize` left out follow `ScalingLimits.maxConcurrentOperations` / `maxQueueDepth`. */
  readonly bulkhead?: Partial<StrategyBulkheadOptions> | false;
  readonly retry?: Partial<RetryPolicyOptions> | false;
  readonly timeout?: Partial<TimeoutPolicyOptions>;
  readonly rateLimit?: RateLimitOptions | false;
  /** A value returned instead of failing (JSON), or `false`. The code-only `fallbackFn` wins. */
  readonly fallback?: { readonly value: unknown } | false;
  /** Error codes or names that are not retried (in addition to rejections and aborts). */
  readonly nonRetryableErrors?: readonly string[];
  /** Error codes or names that are neither failures nor retried (e.g. a 404 that is an answer). */
  readonly ignoredErrors?: readonly string[];
  /** Adaptation on/off and parameters for this strategy (see the adaptive module). */
  readonly adaptive?: Readonly<Record<string, unknown>> | false;
  /** Share this strategy's circuit state with other nodes over the bus. Default true. */
  readonly shareState?: boolean;
  /** Code only: decides whether an error is retried (after the built-in exclusions). */
  readonly shouldRetry?: (error: unknown, attempt: number) => boolean;
  /** Code only: decides whether an error counts as a downstream failure for the breaker. */
  readonly isFailure?: (error: unknown) => boolean;
  /** Code only: produces the result when the call fails. */
  readonly fallbackFn?: (error: unknown) => unknown;
}

/**
 * A validated, frozen strategy. `bulkhead.maxConcurrency` / `maxQueueSize` are `undefined`
 * when they follow the global limits.
 * @since 6.0.0
 */
export interface ResolvedStrategy {
  readonly id: string;
  readonly description: string;
  readonly category: StrategyCategory;
  readonly circuitBreaker: Readonly<CircuitBreakerOptions> | undefined;
  readonly bulkhead: Readonly<Partial<BulkheadOptions> & { kind: BulkheadKind; maxPartitions: number }> | undefined;
  readonly retry: Readonly<RetryPolicyOptions> | undefined;
  readonly timeout: Readonly<TimeoutPolicyOptions>;
  readonly rateLimit: Readonly<RateLimitOptions> | undefined;
  readonly fallback: { readonly value: unknown } | undefined;
  readonly nonRetryableErrors: ReadonlySet<string>;
  readonly ignoredErrors: ReadonlySet<string>;
  readonly adaptive: Readonly<Record<string, unknown>> | undefined;
  readonly shareState: boolean;
  readonly shouldRetry: ((error: unknown, attempt: number) => boolean) | undefined;
  readonly isFailure: ((error: unknown) => boolean) | undefined;
  readonly fallbackFn: ((error: unknown) => unknown) | undefined;
  /** The definition as given (for updates and listing). */
  readonly source: StrategyDefinition;
}

/** Pattern of strategy ids. @since 6.0.0 */
export const STRATEGY_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

const KNOWN_KEYS = [
  'id',
  'description',
  'category',
  'circuitBreaker',
  'bulkhead',
  'retry',
  'timeout',
  'rateLimit',
  'fallback',
  'nonRetryableErrors',
  'ignoredErrors',
  'adaptive',
  'shareState',
  'shouldRetry',
  'isFailure',
  'fallbackFn',
] as const;
const CATEGORIES: readonly StrategyCategory[] = [
  'composite',
  'circuit-breaker',
  'bulkhead',
  'retry',
  'timeout',
  'fallback',
  'rate-limit',
];
const BULKHEAD_KINDS: readonly BulkheadKind[] = ['semaphore', 'partitioned', 'priority'];

/**
 * Validates a strategy definition into a frozen {@link ResolvedStrategy}.
 * @param field path prefix used in error messages, e.g. `strategies[2]`.
 * @throws {@link InvalidConfigurationError} naming the first bad field.
 */
export function resolveStrategyDefinition(input: unknown, field = 'strategy'): ResolvedStrategy {
  const def = validateObject(field, input);
  rejectUnknownKeys(field, def, KNOWN_KEYS);
  const id = validateString(`${field}.id`, def.id, 128, STRATEGY_ID_PATTERN);
  const at = (key: string) => `${field}.${key}`;

  const description = def.description === undefined ? '' : validateString(at('description'), def.description, 1024);
  const category = def.category === undefined ? 'composite' : validateEnum(at('category'), def.category, CATEGORIES);

  const circuitBreaker =
    def.circuitBreaker === false
      ? undefined
      : resolveCircuitBreakerOptions(def.circuitBreaker ?? {}, at('circuitBreaker'));
  const bulkhead = def.bulkhead === false ? undefined : resolveBulkheadSection(def.bulkhead ?? {}, at('bulkhead'));
  const retry = def.retry === false ? undefined : resolveRetryOptions(def.retry ?? {}, at('retry'));
  const timeout = resolveTimeoutOptions(def.timeout ?? {}, at('timeout'));
  const rateLimit =
    def.rateLimit === undefined || def.rateLimit === false
      ? undefined
      : resolveRateLimitOptions(def.rateLimit, at('rateLimit'));

  let fallback: { value: unknown } | undefined;
  if (def.fallback !== undefined && def.fallback !== false) {
    const fb = validateObject(at('fallback'), def.fallback);
    rejectUnknownKeys(at('fallback'), fb, ['value']);
    if (!('value' in fb)) throw new InvalidConfigurationError(at('fallback.value'), undefined, 'a value (any JSON)');
    fallback = Object.freeze({ value: fb.value });
  }

  let adaptive: Readonly<Record<string, unknown>> | undefined;
  if (def.adaptive !== undefined && def.adaptive !== false) {
    validateAdaptationFields(def.adaptive, at('adaptive'));
    adaptive = Object.freeze({ ...(def.adaptive as Record<string, unknown>) });
  }
  const shareState = def.shareState === undefined ? true : validateBoolean(at('shareState'), def.shareState);

  return Object.freeze({
    id,
    description,
    category,
    circuitBreaker,
    bulkhead,
    retry,
    timeout,
    rateLimit,
    fallback,
    nonRetryableErrors: stringSet(at('nonRetryableErrors'), def.nonRetryableErrors),
    ignoredErrors: stringSet(at('ignoredErrors'), def.ignoredErrors),
    adaptive,
    shareState,
    shouldRetry: optionalFunction<(error: unknown, attempt: number) => boolean>(at('shouldRetry'), def.shouldRetry),
    isFailure: optionalFunction<(error: unknown) => boolean>(at('isFailure'), def.isFailure),
    fallbackFn: optionalFunction<(error: unknown) => unknown>(at('fallbackFn'), def.fallbackFn),
    source: Object.freeze({ ...def }) as unknown as StrategyDefinition,
  });
}

function resolveBulkheadSection(input: unknown, field: string): ResolvedStrategy['bulkhead'] {
  const obj = validateObject(field, input);
  rejectUnknownKeys(field, obj, ['maxConcurrency', 'maxQueueSize', 'queueTimeoutMs', 'kind', 'maxPartitions']);
  const { kind, maxPartitions, ...rest } = obj;
  // Validate the given fields with the SDK's resolver, but keep only what was given so the
  // global limits still apply to the rest.
  const full = resolveBulkheadOptions(rest, field);
  const given: Partial<BulkheadOptions> = {};
  for (const key of Object.keys(rest) as (keyof BulkheadOptions)[]) (given as Record<string, unknown>)[key] = full[key];
  return Object.freeze({
    ...given,
    kind: kind === undefined ? 'semaphore' : validateEnum(`${field}.kind`, kind, BULKHEAD_KINDS),
    maxPartitions:
      maxPartitions === undefined ? 1000 : validateInteger(`${field}.maxPartitions`, maxPartitions, 1, 1_000_000),
  });
}

function stringSet(field: string, value: unknown): ReadonlySet<string> {
  if (value === undefined) return EMPTY_SET;
  if (!Array.isArray(value) || value.length > 256) {
    throw new InvalidConfigurationError(field, value, 'an array of at most 256 error codes or names');
  }
  return new Set(value.map((v, i) => validateString(`${field}[${i}]`, v, 128)));
}
const EMPTY_SET: ReadonlySet<string> = new Set();

function optionalFunction<F>(field: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new InvalidConfigurationError(field, value, 'a function');
  return value as F;
}
