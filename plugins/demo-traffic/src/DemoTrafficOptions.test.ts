import { describe, expect, it } from 'vitest';
import { resolveDemoTrafficOptions } from './DemoTrafficOptions.js';

describe('resolveDemoTrafficOptions', () => {
  it('fills the documented defaults', () => {
    expect(resolveDemoTrafficOptions({})).toEqual({
      strategies: ['default'],
      requestsPerSecond: 50,
      tickMs: 100,
      maxInFlight: 1000,
      seed: 42,
      downstream: { latencyMs: 20, latencyJitterMs: 10, errorRate: 0.02, capacity: 16, outages: [] },
    });
  });

  it('keeps given values and outages', () => {
    const o = resolveDemoTrafficOptions({
      strategies: ['a', 'b'],
      requestsPerSecond: 0,
      downstream: { outages: [{ atMs: 5, durationMs: 10, everyMs: 100, mode: 'stall' }] },
    });
    expect(o.strategies).toEqual(['a', 'b']);
    expect(o.requestsPerSecond).toBe(0);
    expect(o.downstream.outages).toEqual([{ atMs: 5, durationMs: 10, everyMs: 100, mode: 'stall' }]);
    expect(Object.isFrozen(o.downstream)).toBe(true);
  });

  it.each([
    [{ rate: 1 }, 'rate'],
    [{ strategies: [] }, 'strategies'],
    [{ strategies: [''] }, 'strategies[0]'],
    [{ requestsPerSecond: -1 }, 'requestsPerSecond'],
    [{ tickMs: 0 }, 'tickMs'],
    [{ maxInFlight: 1.5 }, 'maxInFlight'],
    [{ seed: -3 }, 'seed'],
    [{ downstream: { errorRate: 1.5 } }, 'downstream.errorRate'],
    [{ downstream: { capacity: 0 } }, 'downstream.capacity'],
    [{ downstream: { latency: 1 } }, 'downstream.latency'],
    [{ downstream: { outages: [{ atMs: 1 }] } }, 'downstream.outages[0].durationMs'],
    [{ downstream: { outages: [{ atMs: 1, durationMs: 5, everyMs: 5 }] } }, 'downstream.outages[0].everyMs'],
    [{ downstream: { outages: [{ atMs: 1, durationMs: 5, mode: 'down' }] } }, 'downstream.outages[0].mode'],
  ])('rejects %j naming %s', (options, field) => {
    expect(() => resolveDemoTrafficOptions(options)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CONFIGURATION', field }),
    );
  });
});
