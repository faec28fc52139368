import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isInvalidConfigurationError } from '@datawarehouse/sdk';
import { callsPerIteration, checkOutcome, compileLoop } from './harness.js';
import { iterationsFor, median, quantile, ratio, summarize } from './stats.js';
import { checkTargets, formatBytes, formatNs, formatRatio } from './report.js';
import type { BenchReport } from './report.js';

const finite = fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true });

describe('stats', () => {
  it('takes the middle value of an odd count and the mean of the two middle ones of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('does not reorder the caller’s array', () => {
    const values = [3, 1, 2];
    median(values);
    summarize(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('interpolates quantiles between closest ranks, with the extremes at 0 and 1', () => {
    const values = [10, 20, 30, 40, 50];
    expect(quantile(values, 0)).toBe(10);
    expect(quantile(values, 1)).toBe(50);
    expect(quantile(values, 0.25)).toBe(20);
    expect(quantile([0, 10], 0.3)).toBeCloseTo(3, 12);
  });

  it('rejects empty input, non-finite values and quantiles outside [0, 1] with a coded error naming the field', () => {
    const thrown = (f: () => unknown): unknown => {
      try {
        f();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(isInvalidConfigurationError(thrown(() => median([])))).toBe(true);
    expect(String(thrown(() => median([1, NaN])))).toContain('values[1]');
    expect(String(thrown(() => quantile([1], 1.5)))).toContain('q');
    expect(isInvalidConfigurationError(thrown(() => iterationsFor(0, 1, 1)))).toBe(true);
  });

  it('summarizes with a median absolute deviation that ignores one outlier', () => {
    const s = summarize([100, 101, 99, 100, 5_000]);
    expect(s.median).toBe(100);
    expect(s.min).toBe(99);
    expect(s.max).toBe(5_000);
    expect(s.mad).toBe(1);
    expect(s.relativeMad).toBeCloseTo(0.01, 12);
    expect(s.count).toBe(5);
  });

  it('keeps the median between min and max and independent of order (property)', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 50 }), (values) => {
        const m = median(values);
        const s = summarize([...values].reverse());
        expect(m).toBeGreaterThanOrEqual(Math.min(...values));
        expect(m).toBeLessThanOrEqual(Math.max(...values));
        expect(s.median).toBe(m);
        expect(s.mad).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('keeps quantiles monotonic in q (property)', () => {
    fc.assert(
      fc.property(
        fc.array(finite, { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(quantile(values, lo)).toBeLessThanOrEqual(quantile(values, hi));
        },
      ),
    );
  });

  it('scales iterations to the target time and clamps them', () => {
    expect(iterationsFor(50e6, 1_000, 5e6)).toBe(10_000);
    expect(iterationsFor(1, 1_000, 5e6, 3)).toBe(3);
    expect(iterationsFor(1e12, 1, 1, 1, 500)).toBe(500);
  });

  it('gives NaN, not Infinity, for a ratio to a missing baseline', () => {
    expect(ratio(300, 100)).toBe(3);
    expect(ratio(300, 0)).toBeNaN();
    expect(ratio(300, NaN)).toBeNaN();
  });
});

describe('compileLoop', () => {
  it('makes exactly n calls one after another in sequential mode, never two at once', async () => {
    let calls = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const loop = compileLoop('sequential');
    await loop(37, async () => {
      calls++;
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await Promise.resolve();
      inFlight--;
    });
    expect(calls).toBe(37);
    expect(maxInFlight).toBe(1);
  });

  it('makes n batches of width calls in flight together in concurrent mode', async () => {
    let calls = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const loop = compileLoop('concurrent', 8);
    await loop(5, async () => {
      calls++;
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await Promise.resolve();
      inFlight--;
    });
    expect(calls).toBe(40);
    expect(maxInFlight).toBe(8);
    expect(callsPerIteration('concurrent', 8)).toBe(8);
    expect(callsPerIteration('sequential', 8)).toBe(1);
  });

  it('swallows rejections and still settles every call of a rejected batch before resolving', async () => {
    // Call k of each batch rejects after k * 5 microtask turns: Promise.all gives up on the
    // first, so the loop must drain the stragglers itself.
    let settled = 0;
    let k = 0;
    const loop = compileLoop('concurrent', 4);
    await loop(3, () => {
      let p: Promise<unknown> = Promise.resolve();
      for (let turn = 0; turn < (k++ % 4) * 5; turn++) p = p.then();
      return p.then(() => {
        settled++;
        throw new Error('no');
      });
    });
    expect(settled).toBe(12);
  });

  it('rejects an unknown mode and a bad width', () => {
    expect(() => compileLoop('parallel' as never)).toThrow(/mode/);
    expect(() => compileLoop('concurrent', 0)).toThrow(/width/);
  });
});

describe('checkOutcome', () => {
  it('passes when calls settle as expected and names the case when they do not', async () => {
    await expect(checkOutcome('ok', async () => 1, 'resolve')).resolves.toBeUndefined();
    await expect(checkOutcome('open', () => Promise.reject(new Error('open')), 'reject')).resolves.toBeUndefined();
    await expect(checkOutcome('broken', async () => 1, 'reject', 3)).rejects.toThrow(
      /broken: 3\/3 calls did not reject/,
    );
  });
});

describe('report', () => {
  it('formats ns, ratios and bytes for the tables', () => {
    expect(formatNs(1234.4)).toBe('1,234 ns');
    expect(formatNs(NaN)).toBe('n/a');
    expect(formatRatio(2.345)).toBe('2.3×');
    expect(formatRatio(23.4)).toBe('23×');
    expect(formatBytes(13.5 * 1024)).toBe('13.5 KiB');
    expect(formatBytes(-2 * 2 ** 20)).toBe('-2.00 MiB');
  });

  it('judges the targets from the results: ratios to the bare await and to the floor, rejection ns, bytes, heap growth', () => {
    const summary = (median: number) => ({ count: 1, median, min: median, max: median, mad: 0, relativeMad: 0 });
    const report = {
      cases: [
        { id: 'bare', path: 'success', baseline: true },
        { id: 'floor', path: 'success', floor: true },
        { id: 'ours-full', path: 'success' },
        { id: 'ours-open', path: 'circuit-open' },
      ],
      results: [
        { caseId: 'bare', mode: 'sequential', nsPerCall: summary(100) },
        { caseId: 'floor', mode: 'sequential', nsPerCall: summary(200) },
        { caseId: 'ours-full', mode: 'sequential', nsPerCall: summary(250) },
        { caseId: 'ours-open', mode: 'sequential', nsPerCall: summary(1_500) },
        { caseId: 'opossum', mode: 'sequential', nsPerCall: summary(500) },
      ],
      strategyMemory: [
        { strategies: 1, totalBytes: 15 * 1024 },
        { strategies: 1_000, totalBytes: 20 * 1024 },
      ],
      heapOverCalls: [
        { calls: 100_000, heap: { total: 10_000_000 } },
        { calls: 10_000_000, heap: { total: 10_100_000 } },
      ],
    } as unknown as BenchReport;
    const checks = checkTargets(report);
    expect(checks.map((t) => t.verdict)).toEqual(['met', 'met', 'not measured', 'missed', 'missed', 'met', 'met']);
    expect(checks[1]!.measured).toBe('1.3× of 200 ns');
    expect(checks[4]!.detail).toContain('over by 4.0 KiB at 1,000');
    expect(checks[6]!.measured).toBe('0.5× of opossum');
  });
});
