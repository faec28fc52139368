import { InvalidConfigurationError } from '@datawarehouse/sdk';
import {
  fieldPath,
  rejectUnknownKeys,
  validateEnum,
  validateInteger,
  validateNumber,
  validateObject,
} from '@datawarehouse/sdk/internals';

/** Rate-limiting algorithms. @since 6.0.0 */
export type RateLimitKind = 'token-bucket' | 'sliding-window';

/**
 * Token bucket: bursts of up to `capacity` calls, `refillPerSecond` calls per second sustained.
 * @since 6.0.0
 */
export interface TokenBucketOptions {
  readonly kind: 'token-bucket';
  /** Most tokens held (the burst), finite >= 1. */
  readonly capacity: number;
  /** Tokens added per second, in (0, 1e9]. */
  readonly refillPerSecond: number;
}

/**
 * Sliding window: at most `limit` calls in any window of `windowMs`, counted in `segments`
 * segments per window.
 * @since 6.0.0
 */
export interface SlidingWindowOptions {
  readonly kind: 'sliding-window';
  /** Calls admitted per window, integer >= 1. */
  readonly limit: number;
  /** Length of the window, ms > 0. */
  readonly windowMs: number;
  /** Segments per window (resolution), integer 1..1000. Default 10. */
  readonly segments: number;
}

/**
 * Rate-limit options as written in configuration (`segments` optional).
 * @since 6.0.0
 */
export type RateLimitOptions =
  TokenBucketOptions | (Omit<SlidingWindowOptions, 'segments'> & { readonly segments?: number });

/** Rate-limit options after {@link resolveRateLimitOptions}: every field present. @since 6.0.0 */
export type ResolvedRateLimitOptions = TokenBucketOptions | SlidingWindowOptions;

/** Default `segments` of a sliding window. @since 6.0.0 */
export const DEFAULT_SLIDING_WINDOW_SEGMENTS = 10;

/** Largest `refillPerSecond` accepted. @since 6.0.0 */
export const MAX_REFILL_PER_SECOND = 1e9;

/** Largest `segments` of a sliding window. @since 6.0.0 */
export const MAX_SLIDING_WINDOW_SEGMENTS = 1000;

const KINDS: readonly RateLimitKind[] = Object.freeze(['token-bucket', 'sliding-window']);
const TOKEN_BUCKET_KEYS: readonly string[] = Object.freeze(['kind', 'capacity', 'refillPerSecond']);
const SLIDING_WINDOW_KEYS: readonly string[] = Object.freeze(['kind', 'limit', 'windowMs', 'segments']);

/**
 * Validates rate-limit options (the discriminated union {@link RateLimitOptions}) into a frozen
 * {@link ResolvedRateLimitOptions}. Without `base`, `kind` and every field but `segments` are
 * required. With `base` (a reconfiguration), `kind` may be left out and the fields given are
 * laid over it; a `kind` different from `base.kind` starts from scratch (all fields required).
 *
 * @param input - the options, usually straight from configuration.
 * @param field - dotted path used in error messages, e.g. `strategies.api.rateLimit`.
 * @param base - the resolved options a partial applies to, if any.
 * @throws {@link InvalidConfigurationError} naming the field (e.g. `rateLimit.capacity`) for a
 *   non-object input, a missing or unknown `kind`, a key unknown to that kind, a missing field,
 *   `capacity` not a finite number >= 1, `refillPerSecond` not in (0, 1e9], `limit` not an
 *   integer >= 1, `windowMs` not a finite number > 0, or `segments` not an integer in [1, 1000].
 * @example
 * ```ts
 * resolveRateLimitOptions({ kind: 'sliding-window', limit: 100, windowMs: 1000 }); // segments 10
 * ```
 * @since 6.0.0
 */
export function resolveRateLimitOptions(
  input: unknown,
  field = 'rateLimit',
  base?: Readonly<ResolvedRateLimitOptions>,
): Readonly<ResolvedRateLimitOptions> {
  const obj = validateObject(field, input);
  const at = (key: string) => fieldPath(field, key);
  if (!Object.hasOwn(obj, 'kind') && base === undefined) {
    throw new InvalidConfigurationError(at('kind'), undefined, `one of ${KINDS.map((k) => `'${k}'`).join(', ')}`);
  }
  const kind = Object.hasOwn(obj, 'kind') ? validateEnum(at('kind'), obj.kind, KINDS) : base!.kind;
  const has = (key: string) => Object.hasOwn(obj, key);

  if (kind === 'token-bucket') {
    rejectUnknownKeys(field, obj, TOKEN_BUCKET_KEYS);
    const from = base?.kind === 'token-bucket' ? base : undefined;
    const capacity =
      has('capacity') || from === undefined ? validateNumber(at('capacity'), obj.capacity, 1) : from.capacity;
    const refillPerSecond =
      has('refillPerSecond') || from === undefined
        ? validateNumber(at('refillPerSecond'), obj.refillPerSecond, 0, MAX_REFILL_PER_SECOND, true)
        : from.refillPerSecond;
    return Object.freeze({ kind, capacity, refillPerSecond });
  }

  rejectUnknownKeys(field, obj, SLIDING_WINDOW_KEYS);
  const from = base?.kind === 'sliding-window' ? base : undefined;
  const limit = has('limit') || from === undefined ? validateInteger(at('limit'), obj.limit, 1) : from.limit;
  const windowMs =
    has('windowMs') || from === undefined
      ? validateNumber(at('windowMs'), obj.windowMs, 0, Number.MAX_SAFE_INTEGER, true)
      : from.windowMs;
  const segments = has('segments')
    ? validateInteger(at('segments'), obj.segments, 1, MAX_SLIDING_WINDOW_SEGMENTS)
    : (from?.segments ?? DEFAULT_SLIDING_WINDOW_SEGMENTS);
  return Object.freeze({ kind, limit, windowMs, segments });
}
