import { InvalidConfigurationError } from '@datawarehouse/sdk';
import { INFINITY_JSON } from '../registry/limitsJson.js';
import { rejectReservedKey } from '../registry/rejectReservedKey.js';

/** Deepest nesting {@link cloneJsonValue} copies; no option or limit needs more than a few levels. */
export const MAX_JSON_DEPTH = 64;

/** Options of {@link cloneJsonValue}. @since 6.0.0 */
export interface CloneJsonOptions {
  /**
   * Limits: keep `Infinity` and read the string `"Infinity"` as `Infinity` (how limits spell
   * it in JSON; see `INFINITY_JSON`). Default `false`: both are copied as JSON would carry them.
   */
  readonly infinity?: boolean;
}

/**
 * Deep-copies a JSON-compatible value (what a configuration file can hold), naming the first
 * value JSON cannot carry — a function, symbol, bigint, non-finite number, class instance or
 * cycle — or nesting deeper than {@link MAX_JSON_DEPTH}, instead of failing later with an
 * anonymous `DataCloneError`, a stack overflow or a silent loss. `undefined` members are kept
 * (an absent option). Copies are plain objects and arrays.
 *
 * @param field - path of `value`, e.g. `plugins[0].options`.
 * @throws {@link InvalidConfigurationError} naming the field, e.g. `plugins[0].options.retryIf`.
 */
export function cloneJsonValue(field: string, value: unknown, options: CloneJsonOptions = {}): unknown {
  return clone(field, value, new Set(), options.infinity === true);
}

function clone(field: string, value: unknown, path: Set<object>, infinity: boolean): unknown {
  switch (typeof value) {
    case 'string':
      return infinity && value === INFINITY_JSON ? Infinity : value;
    case 'boolean':
    case 'undefined':
      return value;
    case 'number':
      if (infinity && value === Infinity) return value;
      if (!Number.isFinite(value))
        throw new InvalidConfigurationError(field, value, 'a finite number (JSON cannot carry it)');
      return value;
    case 'object':
      break;
    default:
      throw new InvalidConfigurationError(
        field,
        typeof value === 'function' ? '<function>' : String(value),
        'a JSON value (string, number, boolean, null, array or plain object)',
      );
  }
  if (value === null) return null;
  if (path.has(value)) throw new InvalidConfigurationError(field, '<cycle>', 'a JSON value without cycles');
  if (path.size >= MAX_JSON_DEPTH)
    throw new InvalidConfigurationError(
      field,
      '<nested too deeply>',
      `a JSON value nested at most ${MAX_JSON_DEPTH} levels deep`,
    );
  path.add(value);
  try {
    if (Array.isArray(value)) return value.map((item: unknown, i) => clone(`${field}[${i}]`, item, path, infinity));
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new InvalidConfigurationError(
        field,
        Object.prototype.toString.call(value),
        'a plain object (JSON cannot carry class instances)',
      );
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      rejectReservedKey(field, key);
      out[key] = clone(`${field}.${key}`, (value as Record<string, unknown>)[key], path, infinity);
    }
    return out;
  } finally {
    path.delete(value);
  }
}
