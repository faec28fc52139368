import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '@datawarehouse/sdk';
import { reconnectDelay } from './reconnectDelay.js';
import { resolveRedisFederationOptions } from './RedisFederationOptions.js';

/**
 * The client's reconnect loop (node-redis: one attempt at once, then `reconnectStrategy(retries++)`
 * ms after each failure) in virtual time, against a server that is down from 0 to `outageMs`.
 * Resolves to how long after the server came back the first attempt succeeded.
 */
async function reconnectGapAfterOutage(
  outageMs: number,
  minMs: number,
  maxMs: number,
  random: () => number,
): Promise<number> {
  const clock = new VirtualClock(0);
  let retries = 0;
  let connectedAt: number | undefined;
  const attempt = (): void => {
    if (clock.now() >= outageMs) connectedAt = clock.now();
    else clock.setTimeout(attempt, reconnectDelay(retries++, minMs, maxMs, random));
  };
  attempt();
  await clock.advanceAsync(outageMs + maxMs + 1);
  if (connectedAt === undefined) throw new Error('never reconnected');
  return connectedAt - outageMs;
}

describe('reconnectDelay', () => {
  it('doubles from the minimum up to the maximum, jittering within the upper half of the step', () => {
    expect(reconnectDelay(0, 100, 5_000, () => 0)).toBe(50);
    expect(reconnectDelay(0, 100, 5_000, () => 0.999_999)).toBe(100);
    expect(reconnectDelay(3, 100, 5_000, () => 0.999_999)).toBe(800);
    expect(reconnectDelay(20, 100, 5_000, () => 0.999_999)).toBe(5_000);
    expect(reconnectDelay(1e9, 100, 5_000, () => 0)).toBe(2_500);
  });

  it('always lies in [step / 2, step] with step = min(max, min * 2^retries)', () => {
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1_000, max: 60_000 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (retries, min, max, r) => {
          const step = Math.min(max, min * 2 ** Math.min(retries, 30));
          const d = reconnectDelay(retries, min, max, () => r);
          expect(d).toBeGreaterThanOrEqual(Math.floor(step / 2));
          expect(d).toBeLessThanOrEqual(Math.ceil(step));
        },
      ),
    );
  });

  it('with the default options, reconnects within 1 s of Redis coming back after a 5 s outage (virtual time)', async () => {
    const o = resolveRedisFederationOptions({ allowUnsigned: true }, {});
    for (const r of [0, 0.25, 0.5, 0.999_999]) {
      const gap = await reconnectGapAfterOutage(5_000, o.reconnectMinDelayMs, o.reconnectMaxDelayMs, () => r);
      expect(gap).toBeLessThanOrEqual(1_000);
    }
  });

  it('reconnects within reconnectMaxDelayMs of the server coming back, whatever the outage (virtual time)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 120_000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 500, max: 10_000 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        async (outageMs, min, max, r) => {
          expect(await reconnectGapAfterOutage(outageMs, min, max, () => r)).toBeLessThanOrEqual(max);
        },
      ),
      { numRuns: 200 },
    );
  });
});
