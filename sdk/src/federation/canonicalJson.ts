import { InvalidConfigurationError } from '../errors/errors.js';

/** Deepest nesting {@link canonicalJson} accepts (a guard against stack exhaustion). @since 6.0.0 */
export const MAX_CANONICAL_DEPTH = 64;

/**
 * Serializes a JSON value deterministically: object keys sorted (UTF-16 code unit order),
 * no whitespace, properties whose value is `undefined` omitted (as `JSON.stringify` does), so
 * a value and its `JSON.parse(JSON.stringify(value))` round trip serialize identically. Used
 * as the input of message signatures, where both ends must produce the same bytes.
 *
 * Accepts `null`, booleans, finite numbers, strings, arrays and plain objects only.
 * @throws {@link InvalidConfigurationError} naming the path (e.g. `payload.entries[2].at`) of
 * a value JSON cannot round-trip (non-finite number, `undefined` in an array, function,
 * symbol, bigint, non-plain object) or of nesting deeper than {@link MAX_CANONICAL_DEPTH}.
 * @since 6.0.0
 */
export function canonicalJson(value: unknown, field = 'value'): string {
  const parts: string[] = [];
  write(value, field, 0, parts);
  return parts.join('');
}

function write(value: unknown, path: string, depth: number, out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidConfigurationError(path, value, 'a finite number');
      out.push(JSON.stringify(value));
      return;
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new InvalidConfigurationError(path, describe(value), 'a JSON value');
  }
  if (depth >= MAX_CANONICAL_DEPTH) {
    throw new InvalidConfigurationError(path, '(nested value)', `nesting of at most ${MAX_CANONICAL_DEPTH} levels`);
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      const item: unknown = value[i];
      if (item === undefined)
        throw new InvalidConfigurationError(`${path}[${i}]`, item, 'a JSON value (not undefined)');
      write(item, `${path}[${i}]`, depth + 1, out);
    }
    out.push(']');
    return;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new InvalidConfigurationError(path, describe(value), 'a plain object');
  }
  const obj = value as Record<string, unknown>;
  // Sorting happens only when a message is signed or verified, never on a call path.
  const keys = Object.keys(obj).sort();
  out.push('{');
  let first = true;
  for (const key of keys) {
    const item = obj[key];
    if (item === undefined) continue;
    if (!first) out.push(',');
    first = false;
    out.push(JSON.stringify(key), ':');
    write(item, `${path}.${key}`, depth + 1, out);
  }
  out.push('}');
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null)
    return `an instance of ${value.constructor?.name ?? 'an unknown class'}`;
  return `a ${typeof value}`;
}
