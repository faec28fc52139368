import { InvalidConfigurationError } from '@datawarehouse/sdk';
import {
  fieldPath,
  rejectUnknownKeys,
  validateBoolean,
  validateEnum,
  validateInteger,
  validateNumber,
  validateObject,
} from '@datawarehouse/sdk/internals';
import type { BackoffKind, RetryPolicyOptions } from '@datawarehouse/sdk';
import { retryAfterHintOf } from './RetryAfter.js';

/** Every {@link BackoffKind}, in documentation order. @since 6.0.0 */
export const BACKOFF_KINDS: readonly BackoffKind[] = Object.freeze([
  'immediate',
  'fixed',
  'linear',
  'exponential',
  'exponential-jitter',
  'decorrelated-jitter',
]);

/** Most retries a policy may ask for; more is a retry storm, not a policy. @since 6.0.0 */
export const MAX_RETRIES = 100;

/**
 * Longest delay accepted (2^31 - 1 ms, ~24.8 days): Node's timers overflow past it and would
 * fire after 1 ms instead.
 * @since 6.0.0
 */
export const MAX_RETRY_DELAY_MS = 2_147_483_647;

/** Largest `budgetRatio` (retries per first attempt). @since 6.0.0 */
export const MAX_BUDGET_RATIO = 10;

/**
 * Defaults of a retry policy: 3 retries (4 tries), full-jitter exponential backoff from 100 ms
 * doubling up to 30 s, no retry budget (10 retries/s floor when one is set).
 * @since 6.0.0
 */
export const DEFAULT_RETRY_OPTIONS: Readonly<RetryPolicyOptions> = Object.freeze({
  maxRetries: 3,
  backoff: 'exponential-jitter',
  baseDelayMs: 100,
  maxDelayMs: 30_000,
  factor: 2,
  budgetRatio: undefined,
  budgetMinRetriesPerSecond: 10,
  honorRetryAfter: false,
});

const KNOWN_KEYS: readonly (keyof RetryPolicyOptions)[] = Object.freeze([
  'maxRetries',
  'backoff',
  'baseDelayMs',
  'maxDelayMs',
  'factor',
  'budgetRatio',
  'budgetMinRetriesPerSecond',
  'honorRetryAfter',
]);

/**
 * The delay in ms before retry number `retry` (1 = first retry), capped at `maxDelayMs`,
 * never negative or NaN:
 * - `immediate`: 0; `fixed`: `baseDelayMs`; `linear`: `baseDelayMs * retry`;
 * - `exponential`: `baseDelayMs * factor^(retry - 1)`;
 * - `exponential-jitter` ("full jitter"): uniform in `[0, min(maxDelayMs, exponential)]`;
 * - `decorrelated-jitter` (AWS): `min(maxDelayMs, uniform in [baseDelayMs, 3 * previous])`,
 *   where a `previousDelayMs` below `baseDelayMs` (e.g. 0 before the first retry) counts as
 *   `baseDelayMs`.
 *
 * With `honorRetryAfter`, a delay hint the previous attempt's `error` carries (its `retryAfterMs`,
 * a finite number >= 0) raises the delay to at least the hint, still capped at `maxDelayMs`; an
 * absent or invalid hint changes nothing.
 *
 * `random` should return a number in [0, 1) (`Math.random`, or a seeded source in tests);
 * anything outside is clamped to [0, 1] and NaN counts as 0. O(1), no allocation.
 * @throws {@link InvalidConfigurationError} (field `retry`) when `retry` is not an integer >= 1.
 * @example
 * ```ts
 * computeRetryDelay(DEFAULT_RETRY_OPTIONS, 2, 0, Math.random); // uniform in [0, 200]
 * ```
 * @since 6.0.0
 */
export function computeRetryDelay(
  options: Readonly<RetryPolicyOptions>,
  retry: number,
  previousDelayMs: number,
  random: () => number,
  error?: unknown,
): number {
  if (!(retry >= 1) || !Number.isInteger(retry)) {
    throw new InvalidConfigurationError('retry', retry, 'an integer >= 1 (1 = first retry)');
  }
  const backoff = backoffDelay(options, retry, previousDelayMs, random);
  if (options.honorRetryAfter !== true) return backoff;
  const hint = retryAfterHintOf(error);
  if (hint === undefined || hint <= backoff) return backoff;
  return hint < options.maxDelayMs ? hint : options.maxDelayMs;
}

function backoffDelay(
  options: Readonly<RetryPolicyOptions>,
  retry: number,
  previousDelayMs: number,
  random: () => number,
): number {
  const base = options.baseDelayMs;
  const max = options.maxDelayMs;
  let delay: number;
  switch (options.backoff) {
    case 'immediate':
      return 0;
    case 'fixed':
      delay = base;
      break;
    case 'linear':
      delay = base * retry;
      break;
    case 'exponential':
      delay = base * options.factor ** (retry - 1);
      break;
    case 'exponential-jitter': {
      const ceiling = base * options.factor ** (retry - 1);
      delay = unit(random) * (ceiling < max ? ceiling : max);
      break;
    }
    case 'decorrelated-jitter': {
      const prev = previousDelayMs > base ? previousDelayMs : base;
      delay = base + unit(random) * (prev * 3 - base);
      break;
    }
    default:
      delay = base;
  }
  // `!(delay > 0)` also catches NaN (0 * Infinity when base is 0 and the power overflowed).
  if (!(delay > 0)) return 0;
  return delay < max ? delay : max;
}

function unit(random: () => number): number {
  const r = random();
  return r > 0 ? (r < 1 ? r : 1) : 0;
}

/**
 * Validates a partial of {@link RetryPolicyOptions} and lays it over `base` (default
 * {@link DEFAULT_RETRY_OPTIONS}). `undefined` means "no overrides". `budgetRatio` may be given
 * as `undefined` or `null` (JSON) to switch the budget off; any other key that is present must
 * hold a valid value.
 *
 * @param input - the partial options, usually straight from configuration.
 * @param field - dotted path used in error messages, e.g. `strategies.db.retry`.
 * @param base - the resolved options the partial applies to.
 * @returns a new frozen, fully resolved options object.
 * @throws {@link InvalidConfigurationError} naming the field (e.g. `retry.maxDelayMs`) for an
 *   unknown key, a non-object input, `maxRetries` not an integer in [0, 100], `backoff` not a
 *   {@link BackoffKind}, `baseDelayMs` / `maxDelayMs` not in [0, 2^31 - 1], `maxDelayMs` below
 *   `baseDelayMs`, `factor` not a finite number >= 1, `budgetRatio` not in [0, 10], or
 *   `budgetMinRetriesPerSecond` not a finite number >= 0, or `honorRetryAfter` not a boolean.
 * @example
 * ```ts
 * resolveRetryOptions({ backoff: 'fixed', baseDelayMs: 200 }); // 3 retries, 200 ms apart
 * ```
 * @since 6.0.0
 */
export function resolveRetryOptions(
  input: unknown,
  field = 'retry',
  base: Readonly<RetryPolicyOptions> = DEFAULT_RETRY_OPTIONS,
): Readonly<RetryPolicyOptions> {
  if (input === undefined) return Object.freeze(pick(base));
  const obj = validateObject(field, input);
  rejectUnknownKeys(field, obj, KNOWN_KEYS);
  const at = (key: string) => fieldPath(field, key);
  const has = (key: keyof RetryPolicyOptions) => Object.hasOwn(obj, key);

  const maxRetries = has('maxRetries')
    ? validateInteger(at('maxRetries'), obj.maxRetries, 0, MAX_RETRIES)
    : base.maxRetries;
  const backoff = has('backoff') ? validateEnum(at('backoff'), obj.backoff, BACKOFF_KINDS) : base.backoff;
  const baseDelayMs = has('baseDelayMs')
    ? validateNumber(at('baseDelayMs'), obj.baseDelayMs, 0, MAX_RETRY_DELAY_MS)
    : base.baseDelayMs;
  const maxDelayMs = has('maxDelayMs')
    ? validateNumber(at('maxDelayMs'), obj.maxDelayMs, 0, MAX_RETRY_DELAY_MS)
    : base.maxDelayMs;
  if (maxDelayMs < baseDelayMs) {
    throw new InvalidConfigurationError(at('maxDelayMs'), maxDelayMs, `a delay in ms >= baseDelayMs (${baseDelayMs})`);
  }
  const factor = has('factor') ? validateNumber(at('factor'), obj.factor, 1) : base.factor;
  let budgetRatio = base.budgetRatio;
  if (has('budgetRatio')) {
    budgetRatio =
      obj.budgetRatio === undefined || obj.budgetRatio === null
        ? undefined
        : validateNumber(at('budgetRatio'), obj.budgetRatio, 0, MAX_BUDGET_RATIO);
  }
  const budgetMinRetriesPerSecond = has('budgetMinRetriesPerSecond')
    ? validateNumber(at('budgetMinRetriesPerSecond'), obj.budgetMinRetriesPerSecond, 0)
    : base.budgetMinRetriesPerSecond;
  const honorRetryAfter = has('honorRetryAfter')
    ? validateBoolean(at('honorRetryAfter'), obj.honorRetryAfter)
    : base.honorRetryAfter === true;
  return Object.freeze({
    maxRetries,
    backoff,
    baseDelayMs,
    maxDelayMs,
    factor,
    budgetRatio,
    budgetMinRetriesPerSecond,
    honorRetryAfter,
  });
}

// Copies only the known fields, so a base carrying extra properties does not leak them.
function pick(o: Readonly<RetryPolicyOptions>): RetryPolicyOptions {
  return {
    maxRetries: o.maxRetries,
    backoff: o.backoff,
    baseDelayMs: o.baseDelayMs,
    maxDelayMs: o.maxDelayMs,
    factor: o.factor,
    budgetRatio: o.budgetRatio,
    budgetMinRetriesPerSecond: o.budgetMinRetriesPerSecond,
    honorRetryAfter: o.honorRetryAfter === true,
  };
}
