// Longest delay a timer takes (2^31 - 1 ms), as `MAX_RETRY_DELAY_MS` in Backoff.ts (which imports
// this module, hence not imported from there).
const MAX_RETRY_DELAY_MS = 2_147_483_647;

// HTTP `Retry-After` (RFC 9110 §10.2.3): `delay-seconds` (1*DIGIT) or an HTTP-date in one of its
// three forms (§5.6.7). Parsed strictly: `Date.parse` alone would read garbage such as "1 2" or
// "May" as a date.
const DELAY_SECONDS = /^\d+$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^[a-z]{3}, (\\d{2}) ([a-z]{3}) (\\d{4}) ${TIME} gmt$`, 'i');
/** `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete) */
const RFC850_DATE = new RegExp(`^[a-z]{6,9}, (\\d{2})-([a-z]{3})-(\\d{2}) ${TIME} gmt$`, 'i');
/** `Sun Nov  6 08:49:37 1994` (obsolete, ANSI C asctime) */
const ASCTIME_DATE = new RegExp(`^[a-z]{3} ([a-z]{3}) ([ \\d]\\d) ${TIME} (\\d{4})$`, 'i');

/**
 * Parses an HTTP `Retry-After` header value into a delay in ms, for an error's `retryAfterMs`
 * (read by the retry option `honorRetryAfter`).
 *
 * - `delay-seconds` (`"120"`): that many seconds;
 * - an HTTP-date (`"Sun, 06 Nov 1994 08:49:37 GMT"`, or the obsolete RFC 850 and asctime forms):
 *   the time from `nowMs` until then, 0 for a date in the past.
 *
 * The result is an integer in [0, 2^31 - 1] (a longer wait is capped there; the retry policy caps
 * it again at its `maxDelayMs`). Anything else — `null`, a negative or fractional number, garbage,
 * an impossible date — gives `undefined`: no hint, the backoff decides alone.
 *
 * @param value - the header's value, e.g. `response.headers.get('retry-after')`.
 * @param nowMs - the current wall-clock time in ms since the epoch (default `Date.now()`).
 * @example
 * ```ts
 * const response = await fetch(url, { signal });
 * if (response.status === 429 || response.status === 503) {
 *   const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'));
 *   throw Object.assign(new Error(`HTTP ${response.status}`), { retryAfterMs });
 * }
 * ```
 * @since 6.1.0
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (DELAY_SECONDS.test(text)) return clampDelay(Number(text) * 1000);
  const at = parseHttpDate(text);
  if (at === undefined || !Number.isFinite(nowMs)) return undefined;
  return clampDelay(at - nowMs);
}

/**
 * The delay hint an error carries: its `retryAfterMs` when that is a finite number >= 0 (capped at
 * 2^31 - 1), else `undefined`. Reads one property; never throws, even for a hostile getter.
 * @since 6.1.0
 */
export function retryAfterHintOf(error: unknown): number | undefined {
  if ((typeof error !== 'object' && typeof error !== 'function') || error === null) return undefined;
  let hint: unknown;
  try {
    hint = (error as { retryAfterMs?: unknown }).retryAfterMs;
  } catch {
    return undefined;
  }
  if (typeof hint !== 'number' || !(hint >= 0) || hint === Infinity) return undefined;
  return hint < MAX_RETRY_DELAY_MS ? hint : MAX_RETRY_DELAY_MS;
}

function clampDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return ms < MAX_RETRY_DELAY_MS ? Math.ceil(ms) : MAX_RETRY_DELAY_MS;
}

/** Epoch ms of an HTTP-date, or undefined when it is none (or names an impossible day). */
function parseHttpDate(text: string): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) return utc(m[3]!, m[2]!, m[1]!, m[4]!, m[5]!, m[6]!);
  m = RFC850_DATE.exec(text);
  if (m !== null) {
    // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
    const yy = Number(m[3]);
    const thisYear = new Date().getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + yy;
    if (year > thisYear + 50) year -= 100;
    return utc(String(year), m[2]!, m[1]!, m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME_DATE.exec(text);
  if (m !== null) return utc(m[6]!, m[1]!, m[2]!.trim(), m[3]!, m[4]!, m[5]!);
  return undefined;
}

function utc(year: string, month: string, day: string, h: string, min: string, s: string): number | undefined {
  const mon = MONTHS.indexOf(month.toLowerCase());
  const [y, d, hh, mm, ss] = [Number(year), Number(day), Number(h), Number(min), Number(s)];
  if (mon < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return undefined;
  const t = Date.UTC(y, mon, d, hh, mm, ss === 60 ? 59 : ss);
  // 31 Feb rolls over into March with Date.UTC: refuse it instead.
  return new Date(t).getUTCDate() === d ? t : undefined;
}
