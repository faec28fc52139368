import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom, VirtualClock } from '@datawarehouse/sdk';
import { resolveDemoTrafficOptions } from './DemoTrafficOptions.js';
import type { DownstreamOptions } from './DemoTrafficOptions.js';
import { isDownstreamError } from './DownstreamError.js';
import { SimulatedDownstream } from './SimulatedDownstream.js';

function make(downstream: DownstreamOptions, seed = 1) {
  const clock = new VirtualClock();
  const ds = new SimulatedDownstream(
    resolveDemoTrafficOptions({ downstream }).downstream,
    clock,
    new SeededRandom(seed),
  );
  return { clock, ds };
}

/** Settles every call in virtual time; returns `ok` or the failure reason per call. */
async function outcomes(clock: VirtualClock, calls: Promise<number>[]): Promise<string[]> {
  const results = calls.map((p) =>
    p.then(
      () => 'ok',
      (e: unknown) => (isDownstreamError(e) ? e.reason : 'other'),
    ),
  );
  await clock.runAllAsync();
  return Promise.all(results);
}

describe('SimulatedDownstream', () => {
  it('answers after its latency in virtual time', async () => {
    const { clock, ds } = make({ latencyMs: 20, latencyJitterMs: 0, errorRate: 0 });
    let done = false;
    const call = ds.call().then((latency) => {
      done = true;
      return latency;
    });
    await clock.advanceAsync(19);
    expect(done).toBe(false);
    expect(ds.inFlight).toBe(1);
    await clock.advanceAsync(1);
    expect(await call).toBe(20);
    expect(ds.inFlight).toBe(0);
  });

  it('fails calls at its error rate', async () => {
    const { clock, ds } = make({ latencyMs: 1, errorRate: 1 });
    expect(await outcomes(clock, [ds.call(), ds.call()])).toEqual(['error', 'error']);
    expect(ds.getStatistics().failed.error).toBe(2);
  });

  it('slows down and fails the excess share beyond its capacity', async () => {
    const { clock, ds } = make({ latencyMs: 10, latencyJitterMs: 0, errorRate: 0, capacity: 2 });
    const results = await outcomes(
      clock,
      Array.from({ length: 20 }, () => ds.call()),
    );
    const overloaded = results.filter((r) => r === 'overload').length;
    expect(results.slice(0, 2)).toEqual(['ok', 'ok']);
    expect(overloaded).toBeGreaterThan(5);
    expect(overloaded).toBeLessThan(20);
    expect(ds.getStatistics().peakInFlight).toBe(20);
    // The 20th concurrent call takes 10 ms * 20 / 2.
    expect(clock.now()).toBe(100);
  });

  it('fails calls during an error outage and recovers after it', async () => {
    const { clock, ds } = make({
      latencyMs: 1,
      latencyJitterMs: 0,
      errorRate: 0,
      outages: [{ atMs: 100, durationMs: 50 }],
    });
    expect(await outcomes(clock, [ds.call()])).toEqual(['ok']);
    await clock.advanceAsync(99);
    expect(ds.currentOutage()).toMatchObject({ atMs: 100 });
    expect(ds.getStatistics().outage).toBe('error');
    expect(await outcomes(clock, [ds.call()])).toEqual(['outage']);
    await clock.advanceAsync(50);
    expect(ds.currentOutage()).toBeUndefined();
    expect(await outcomes(clock, [ds.call()])).toEqual(['ok']);
  });

  it('holds answers until a stall outage ends, and repeats outages', async () => {
    const { clock, ds } = make({
      latencyMs: 5,
      latencyJitterMs: 0,
      errorRate: 0,
      outages: [{ atMs: 0, durationMs: 100, everyMs: 1000, mode: 'stall' }],
    });
    const call = ds.call();
    await clock.advanceAsync(104);
    expect(ds.inFlight).toBe(1);
    await clock.advanceAsync(1);
    expect(await call).toBe(105);
    await clock.advanceAsync(1000 - 105 + 10);
    expect(ds.currentOutage()?.mode).toBe('stall');
  });

  it('leaves at once when the signal aborts, removing its timer', async () => {
    const { clock, ds } = make({ latencyMs: 50 });
    const controller = new AbortController();
    const call = ds.call(controller.signal);
    expect(clock.pendingTimers).toBe(1);
    controller.abort(new Error('cancelled'));
    await expect(call).rejects.toThrow('cancelled');
    expect(clock.pendingTimers).toBe(0);
    expect(ds.inFlight).toBe(0);
    expect(ds.getStatistics().aborted).toBe(1);
    await expect(ds.call(controller.signal)).rejects.toThrow('cancelled');
  });

  it('fails pending calls with shutdown on dispose and refuses new ones', async () => {
    const { clock, ds } = make({ latencyMs: 50 });
    const controller = new AbortController();
    const call = ds.call(controller.signal);
    ds.dispose();
    await expect(call).rejects.toMatchObject({ code: 'ERR_DOWNSTREAM_FAILURE', reason: 'shutdown' });
    await expect(ds.call()).rejects.toMatchObject({ reason: 'shutdown' });
    expect(clock.pendingTimers).toBe(0);
    expect(ds.inFlight).toBe(0);
  });

  it('is reproducible from its seed (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 32 - 1 }), async (seed) => {
        const run = async () => {
          const { clock, ds } = make({ latencyMs: 5, latencyJitterMs: 5, errorRate: 0.3, capacity: 3 }, seed);
          return outcomes(
            clock,
            Array.from({ length: 10 }, () => ds.call()),
          );
        };
        expect(await run()).toEqual(await run());
      }),
      { numRuns: 25 },
    );
  });
});
