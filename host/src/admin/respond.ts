import type { ServerResponse } from 'node:http';
import { isInvalidConfigurationError, isUnknownStrategyError } from '@datawarehouse/sdk';
import type { Logger } from '@datawarehouse/sdk';
import { isSubsystemNotFoundError } from '../registry/errors.js';
import { HttpError } from './HttpError.js';
import { encodeInfinity } from '../registry/limitsJson.js';

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

/** Longest rendering of a bad value an error answer echoes, characters. */
const MAX_ECHO_CHARS = 120;
/** Deepest a bad value an error answer echoes as JSON may nest. */
const MAX_ECHO_DEPTH = 4;

/**
 * Writes a JSON answer; `Infinity` is written as the string `"Infinity"` (JSON has no
 * spelling for it), which the limits routes read back as `Infinity`.
 */
export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body, encodeInfinity);
  res.writeHead(status, { ...JSON_HEADERS, ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Answers an error: 4xx for the client's mistakes (`HttpError`, 400 naming the field for
 * invalid input, 404 for an unknown subsystem or strategy, a plugin route's error carrying a
 * 4xx `status` and a string `code`), 500 otherwise — or the error's own 5xx `status` — with its
 * message only logged. Every error answer carries `Connection: close`: the request's body may be unread
 * (an early 401, 404, 405 or 415) and must not be read to keep the connection, so Node closes
 * the socket once the answer is written.
 */
export function sendError(res: ServerResponse, e: unknown, logger: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const close = { connection: 'close' };
  if (e instanceof HttpError) {
    return send(res, e.status, { error: { code: e.code, message: e.message } }, { ...e.headers, ...close });
  }
  if (isInvalidConfigurationError(e)) {
    return send(
      res,
      400,
      {
        error: { code: e.code, field: e.field, value: echoValue(e.value), expected: e.expected, message: e.message },
      },
      close,
    );
  }
  if (isSubsystemNotFoundError(e) || isUnknownStrategyError(e)) {
    return send(res, 404, { error: { code: e.code, message: e.message } }, close);
  }
  const code = (e as { code?: unknown } | null)?.code;
  const status = (e as { status?: unknown } | null)?.status;
  if (
    typeof status === 'number' &&
    Number.isInteger(status) &&
    status >= 400 &&
    status < 500 &&
    typeof code === 'string'
  ) {
    // A plugin route's own client error: its code and message are meant for the client.
    return send(res, status, { error: { code, message: String((e as Error).message).slice(0, 500) } }, close);
  }
  logger.error('admin request failed', { error: e });
  // The message may carry internals (paths, hosts, stack-like text): it goes to the log only.
  send(
    res,
    typeof status === 'number' && Number.isInteger(status) && status >= 500 && status <= 599 ? status : 500,
    { error: { code: typeof code === 'string' ? code : 'ERR_INTERNAL', message: 'Internal error' } },
    close,
  );
}

/**
 * What an error answer shows of a bad value: numbers, booleans and `null` as they are, a
 * small shallow object or array as it is, anything longer or deeper as a JSON excerpt of at
 * most 120 characters ending in `…` (never the whole of a value sent to exhaust the server).
 */
export function echoValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'string') return value.length > MAX_ECHO_CHARS ? `${value.slice(0, MAX_ECHO_CHARS)}…` : value;
  const out: string[] = [];
  const complete = excerpt(value, 0, out, { left: MAX_ECHO_CHARS });
  return complete ? value : `${out.join('').slice(0, MAX_ECHO_CHARS)}…`;
}

/** Appends JSON for `value` to `out` until `budget` runs out; false when it had to stop. */
function excerpt(value: unknown, depth: number, out: string[], budget: { left: number }): boolean {
  const put = (s: string): boolean => {
    out.push(s);
    budget.left -= s.length;
    return budget.left >= 0;
  };
  if (typeof value !== 'object' || value === null) {
    const text =
      typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null
        ? JSON.stringify(value, encodeInfinity)
        : `"<${typeof value}>"`;
    return put(text);
  }
  if (depth >= MAX_ECHO_DEPTH) return put('…') && false;
  const array = Array.isArray(value);
  if (!put(array ? '[' : '{')) return false;
  let first = true;
  for (const [key, child] of Object.entries(value)) {
    if (!first && !put(',')) return false;
    first = false;
    if (!array && !put(`${JSON.stringify(key)}:`)) return false;
    if (!excerpt(child, depth + 1, out, budget)) return false;
  }
  return put(array ? ']' : '}');
}
