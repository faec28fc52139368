import { SdkCompatibility } from '../compat/SdkCompatibility.js';

/**
 * Base of every coded error thrown by the SDK, the plugins and the host. `code` is stable
 * and is what guards and callers should test (`instanceof` breaks across duplicate package
 * copies; the code does not).
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export abstract class DataWarehouseError extends Error {
  /** Stable machine-readable code, e.g. `ERR_CIRCUIT_OPEN`. */
  abstract readonly code: string;
}

/** True when `e` is an `Error` carrying the given `code`. */
export function hasErrorCode(e: unknown, code: string): boolean {
  return e instanceof Error && (e as { code?: unknown }).code === code;
}

/**
 * Builds an `Error` without capturing a stack trace. Used for fast-fail rejections
 * (open circuit, full bulkhead) that can be thrown millions of times a second, where the
 * stack walk would cost more than the whole resilience pipeline.
 */
export function withoutStack<T>(build: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return build();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
