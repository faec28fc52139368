import { describe, expect, it } from 'vitest';
import { InvalidConfigurationError } from '@datawarehouse/sdk';
import { StrategyMetrics, WindowField } from './StrategyMetrics.js';

const WINDOW_MS = 60_000;

describe('StrategyMetrics (staged successes)', () => {
  it('shows every success to a reader at once, whether or not the stage is full', () => {
    for (const n of [1, 31, 32, 33, 100]) {
      const m = new StrategyMetrics(WINDOW_MS);
      for (let i = 0; i < n; i++) m.succeeded(10, 1_000 + i);
      expect(m.successes).toBe(n);
      expect(m.window.sum(WindowField.Successes, 2_000)).toBe(n);
      expect(m.window.sum(WindowField.Calls, 2_000)).toBe(n);
      expect(m.latency.count(2_000)).toBe(n);
    }
  });

  it('writes each success at its own time: a stage spanning bucket boundaries splits across them', () => {
    const m = new StrategyMetrics(WINDOW_MS);
    const bucketMs = WINDOW_MS / 12;
    // 10 successes in the first bucket, 5 in the second, then the window moves past the first.
    for (let i = 0; i < 10; i++) m.succeeded(1, i);
    for (let i = 0; i < 5; i++) m.succeeded(1, bucketMs + i);
    expect(m.window.sum(WindowField.Successes, WINDOW_MS - 1)).toBe(15);
    expect(m.window.sum(WindowField.Successes, WINDOW_MS + 1)).toBe(5);
  });

  it('keeps call order with the unstaged writes: a failure after old staged successes does not absorb them', () => {
    const m = new StrategyMetrics(WINDOW_MS);
    m.succeeded(5, 0);
    m.succeeded(5, 1);
    // A failure two windows later reuses the successes' slot: they must have been written first,
    // into their own (now expired) bucket, not added to the failure's newer one.
    m.failed(2 * WINDOW_MS);
    expect(m.window.sum(WindowField.Successes, 2 * WINDOW_MS)).toBe(0);
    expect(m.window.sum(WindowField.Failures, 2 * WINDOW_MS)).toBe(1);
    expect(m.latency.count(2 * WINDOW_MS)).toBe(0);
    expect(m.latency.invalid).toBe(0);
  });

  it('records the latency of the staged successes exactly (percentiles see them)', () => {
    const m = new StrategyMetrics(WINDOW_MS);
    for (let i = 0; i < 20; i++) m.succeeded(i < 19 ? 1 : 1_000, 100 + i);
    const summary = m.latency.summary(200);
    expect(summary.count).toBe(20);
    expect(summary.max).toBe(1_000);
  });

  it('refuses a clock reading that is not finite on the call path, as the window does, instead of staging it', () => {
    const m = new StrategyMetrics(WINDOW_MS);
    m.succeeded(1, 10);
    expect(() => m.succeeded(1, Number.NaN)).toThrow(InvalidConfigurationError);
    expect(() => m.succeeded(1, Infinity)).toThrow(InvalidConfigurationError);
    // The earlier, valid success was written before the refusal and is still there.
    expect(m.window.sum(WindowField.Successes, 20)).toBe(1);
  });
});
