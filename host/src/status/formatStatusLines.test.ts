import { describe, expect, it } from 'vitest';
import { MAX_STATUS_LINES, formatStatusLines } from './formatStatusLines.js';

describe('formatStatusLines', () => {
  it('prints one compact line per strategy with state, in-flight/limit, queue, error rate and p99', () => {
    const lines = formatStatusLines({
      name: 'resilience',
      backpressure: 'warning',
      metrics: {
        strategies: {
          default: {
            state: 'closed',
            inFlight: 3,
            maxConcurrency: 32,
            queued: 1,
            maxQueueSize: 100,
            errorRate: 0.012,
            calls: 1200,
            latencyMs: { p99: 45.4 },
          },
          'breaker-consecutive': {
            backpressure: 'shedding',
            state: 'open',
            inFlight: 0,
            maxConcurrency: 8,
            queued: 0,
            maxQueueSize: 0,
            errorRate: 0.5,
            calls: 10,
            latencyMs: { p99: 2.25 },
          },
        },
      },
    });
    expect(lines).toEqual([
      'resilience/default closed in-flight 3/32 queued 1/100 err 1.2% p99 45ms calls 1200 [warning]',
      'resilience/breaker-consecutive open in-flight 0/8 queued 0/0 err 50% p99 2.3ms calls 10 [shedding]',
    ]);
  });

  it('prints - for missing or malformed fields', () => {
    const [line] = formatStatusLines({
      name: 'r',
      backpressure: 'normal',
      metrics: { strategies: { s: { inFlight: 'x', latencyMs: null } } },
    });
    expect(line).toBe('r/s - in-flight -/- queued -/- err - p99 - calls - [normal]');
  });

  it('prints the backpressure and top-level numbers for a subsystem without strategies', () => {
    expect(
      formatStatusLines({
        name: 'cache',
        backpressure: 'shedding',
        metrics: { hits: 1, ratio: 0.256, name: 'x', nested: { a: 1 } },
      }),
    ).toEqual(['cache [shedding] hits=1 ratio=0.26']);
    expect(formatStatusLines({ name: 'empty', backpressure: 'normal', metrics: {} })).toEqual(['empty [normal]']);
  });

  it('caps the number of lines', () => {
    const strategies = Object.fromEntries([...Array(MAX_STATUS_LINES + 5).keys()].map((i) => [`s${i}`, {}]));
    const lines = formatStatusLines({ name: 'r', backpressure: 'normal', metrics: { strategies } });
    expect(lines).toHaveLength(MAX_STATUS_LINES + 1);
    expect(lines.at(-1)).toBe('r: … and 5 more strategies');
  });
});
