import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_RETRY_DELAY_MS } from './Backoff.js';
import { parseRetryAfterMs, retryAfterHintOf } from './RetryAfter.js';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0); // Sun, 29 Nov 2026 12:00:00 GMT

describe('parseRetryAfterMs', () => {
  it('reads delay-seconds as that many seconds, leading zeros and surrounding spaces allowed', () => {
    expect(parseRetryAfterMs('0', NOW)).toBe(0);
    expect(parseRetryAfterMs('1', NOW)).toBe(1_000);
    expect(parseRetryAfterMs('120', NOW)).toBe(120_000);
    expect(parseRetryAfterMs('007', NOW)).toBe(7_000);
    expect(parseRetryAfterMs('  3 ', NOW)).toBe(3_000);
  });

  it('caps a huge delay at 2^31 - 1 ms instead of overflowing a timer or returning Infinity', () => {
    expect(parseRetryAfterMs('2147484', NOW)).toBe(MAX_RETRY_DELAY_MS);
    expect(parseRetryAfterMs('9'.repeat(400), NOW)).toBe(MAX_RETRY_DELAY_MS);
  });

  it('reads an IMF-fixdate as the time until then', () => {
    expect(parseRetryAfterMs('Sun, 29 Nov 2026 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfterMs('sun, 29 nov 2026 12:01:00 gmt', NOW)).toBe(60_000);
  });

  it('reads the obsolete RFC 850 and asctime forms', () => {
    expect(parseRetryAfterMs('Sunday, 29-Nov-26 12:00:10 GMT', NOW)).toBe(10_000);
    expect(parseRetryAfterMs('Sun Nov 29 12:00:05 2026', NOW)).toBe(5_000);
    expect(parseRetryAfterMs('Mon Dec  7 12:00:00 2026', NOW)).toBe(8 * 86_400_000);
  });

  it('gives 0 for a date in the past (retry now), never a negative delay', () => {
    expect(parseRetryAfterMs('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(0);
    expect(parseRetryAfterMs('Sun, 29 Nov 2026 11:59:59 GMT', NOW)).toBe(0);
  });

  it('caps a date far in the future at 2^31 - 1 ms', () => {
    expect(parseRetryAfterMs('Fri, 01 Jan 9999 00:00:00 GMT', NOW)).toBe(MAX_RETRY_DELAY_MS);
  });

  it('gives undefined (no hint) for negative, fractional, signed, empty or garbage values', () => {
    for (const value of [
      '-1',
      '-0',
      '+5',
      '1.5',
      '1e3',
      '0x10',
      '',
      '   ',
      'soon',
      '1 2',
      'May',
      '2026-11-29T12:00:30Z', // ISO 8601 is not an HTTP-date
      'Sun, 29 Nov 2026 12:00:30', // no GMT
      'Sun, 29 Nov 2026 12:00:30 PST',
      'Sun, 31 Feb 2026 12:00:00 GMT', // no such day
      'Sun, 29 Foo 2026 12:00:00 GMT',
      'Sun, 29 Nov 2026 25:00:00 GMT',
      'Infinity',
      'NaN',
    ]) {
      expect(parseRetryAfterMs(value, NOW), JSON.stringify(value)).toBeUndefined();
    }
    expect(parseRetryAfterMs(null, NOW)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfterMs(5 as unknown as string, NOW)).toBeUndefined();
  });

  it('gives undefined for a date when the current time is not a finite number', () => {
    expect(parseRetryAfterMs('Sun, 29 Nov 2026 12:00:30 GMT', NaN)).toBeUndefined();
    expect(parseRetryAfterMs('30', NaN)).toBe(30_000); // seconds need no clock
  });

  it('returns undefined or an integer in [0, 2^31 - 1] for any string (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.integer().map(String),
          fc.date().map((d) => d.toUTCString()),
        ),
        (value) => {
          const ms = parseRetryAfterMs(value, NOW);
          if (ms === undefined) return;
          expect(Number.isInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees with Date.prototype.toUTCString round trips, to the second (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400 }), (seconds) => {
        const header = new Date(NOW + seconds * 1000).toUTCString();
        expect(parseRetryAfterMs(header, NOW)).toBe(seconds * 1000);
      }),
    );
  });
});

describe('retryAfterHintOf', () => {
  it('reads a finite retryAfterMs >= 0, own or inherited', () => {
    expect(retryAfterHintOf(Object.assign(new Error('x'), { retryAfterMs: 250 }))).toBe(250);
    expect(retryAfterHintOf({ retryAfterMs: 0 })).toBe(0);
    class Throttled extends Error {
      get retryAfterMs(): number {
        return 40;
      }
    }
    expect(retryAfterHintOf(new Throttled())).toBe(40);
  });

  it('caps a huge hint at 2^31 - 1 ms', () => {
    expect(retryAfterHintOf({ retryAfterMs: 1e300 })).toBe(MAX_RETRY_DELAY_MS);
  });

  it('ignores what is no hint: absent, negative, NaN, Infinity, a string, a non-object, a throwing getter', () => {
    const hostile = {
      get retryAfterMs(): number {
        throw new Error('boom');
      },
    };
    for (const e of [
      new Error('x'),
      { retryAfterMs: -1 },
      { retryAfterMs: NaN },
      { retryAfterMs: Infinity },
      { retryAfterMs: '100' },
      null,
      undefined,
      'retryAfterMs',
      42,
      hostile,
    ]) {
      expect(retryAfterHintOf(e)).toBeUndefined();
    }
  });
});
