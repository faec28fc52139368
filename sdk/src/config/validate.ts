import { InvalidConfigurationError } from '../errors/errors.js';

/**
 * Small validators used at every configuration boundary. Each either returns the value
 * (typed) or throws {@link InvalidConfigurationError} naming `field` and the bad value.
 * Nothing is clamped or defaulted silently.
 * @since 6.0.0
 */

/** An integer within `[min, max]`. */
export function validateInteger(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidConfigurationError(field, value, rangeText('an integer', min, max));
  }
  return value;
}

/** A finite number within `[min, max]` (or `(min, max]` with `exclusiveMin`). */
export function validateNumber(
  field: string,
  value: unknown,
  min: number,
  max = Number.MAX_VALUE,
  exclusiveMin = false,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (exclusiveMin ? value <= min : value < min) ||
    value > max
  ) {
    throw new InvalidConfigurationError(field, value, rangeText('a finite number', min, max, exclusiveMin));
  }
  return value;
}

/** A duration in milliseconds: a finite number >= `min`, or `Infinity` when `allowInfinity`. */
export function validateDuration(field: string, value: unknown, min = 0, allowInfinity = false): number {
  if (allowInfinity && value === Infinity) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidConfigurationError(
      field,
      value,
      `a duration in ms >= ${min}${allowInfinity ? ' (or Infinity)' : ''}`,
    );
  }
  return value;
}

/** A boolean. */
export function validateBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidConfigurationError(field, value, 'a boolean');
  return value;
}

/** A non-empty string of at most `maxLength` characters, optionally matching `pattern`. */
export function validateString(field: string, value: unknown, maxLength = 256, pattern?: RegExp): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > maxLength ||
    (pattern && !pattern.test(value))
  ) {
    throw new InvalidConfigurationError(
      field,
      value,
      `a non-empty string of at most ${maxLength} characters${pattern ? ` matching ${pattern}` : ''}`,
    );
  }
  return value;
}

/** One of the given string literals. */
export function validateEnum<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidConfigurationError(field, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return value as T;
}

/** A plain object (not null, not an array). */
export function validateObject(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidConfigurationError(field, value, 'an object');
  }
  return value as Record<string, unknown>;
}

/**
 * Rejects keys of `obj` that are not in `known` (a typo such as `maxConcurency` must not be
 * silently ignored).
 */
export function rejectUnknownKeys(field: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      throw new InvalidConfigurationError(
        field ? `${field}.${key}` : key,
        obj[key],
        `a known option (one of ${known.join(', ')})`,
      );
    }
  }
}

/** Joins a parent path and a key into a dotted field path. */
export function fieldPath(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

function rangeText(kind: string, min: number, max: number, exclusiveMin = false): string {
  const lo = `${exclusiveMin ? '>' : '>='} ${min}`;
  return max >= Number.MAX_SAFE_INTEGER ? `${kind} ${lo}` : `${kind} ${lo} and <= ${max}`;
}
