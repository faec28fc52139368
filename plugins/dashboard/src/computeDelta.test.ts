import { describe, expect, it } from 'vitest';
import { computeDelta, isEmptyDelta, serializeReport } from './computeDelta.js';

const strategy = (calls: number, state = 'closed') => ({
  state,
  calls,
  failures: 0,
  latencyMs: { p50: 10.123, p95: 20, p99: Infinity },
  window: { errorRate: 0.25 },
  running: 1,
  queued: 0,
  maxConcurrency: 8,
  maxQueueSize: 'Infinity',
  retries: 0,
  timeouts: 0,
  rejected: { circuitOpen: 0, bulkhead: 2 },
});
const report = (strategies: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  registeredStrategies: 3,
  activeStrategies: Object.keys(strategies).length,
  circuitBreakers: { count: 2, open: 0 },
  totals: { calls: 5 },
  strategies,
  ...extra,
});

describe('serializeReport', () => {
  it('digests each strategy: rounded, non-finite values as null, only non-zero rejections, adaptive values', () => {
    const state = serializeReport(
      report(
        { a: strategy(3) },
        {
          adaptation: {
            strategies: {
              a: {
                enabled: true,
                mode: 'gradient',
                current: { maxConcurrency: 4 },
                reasons: ['p99 up'],
                lastAdaptedAt: 5,
                changes: 2,
              },
            },
          },
        },
      ),
    );
    expect(JSON.parse(state.strategies.get('a')!)).toEqual({
      id: 'a',
      state: 'closed',
      backpressure: 'normal',
      calls: 3,
      failures: 0,
      errorRate: 0.25,
      p50: 10.12,
      p95: 20,
      p99: null,
      running: 1,
      queued: 0,
      maxConcurrency: 8,
      maxQueueSize: null,
      retries: 0,
      timeouts: 0,
      rejected: { bulkhead: 2 },
      adaptive: { mode: 'gradient', current: { maxConcurrency: 4 }, reasons: ['p99 up'], lastAdaptedAt: 5, changes: 2 },
    });
    expect(state.available).toBe(true);
  });

  it('reads an absent subsystem as unavailable and a malformed report as empty, never throwing', () => {
    expect(serializeReport(undefined)).toMatchObject({ available: false, strategies: new Map() });
    expect(serializeReport('garbage').strategies.size).toBe(0);
    expect(JSON.parse(serializeReport({ strategies: { x: null } }).strategies.get('x')!)).toMatchObject({
      state: 'none',
      calls: 0,
    });
  });

  it("takes the cluster panel from the report's distributed section", () => {
    const cluster = JSON.parse(
      serializeReport(
        report(
          {},
          {
            distributed: {
              enabled: true,
              nodeId: 'n1',
              connectionState: 'connected',
              published: { transitions: 4 },
              received: { messages: 9 },
              applied: 3,
              rejected: { malformed: 2, oversized: 0 },
              rejectedEntries: { lamportTooFar: 1 },
              propagationLagMs: { count: 3, p50: 1.234, p99: 5, max: 6 },
            },
          },
        ),
      ).cluster,
    );
    expect(cluster).toMatchObject({
      enabled: true,
      published: 4,
      received: 9,
      applied: 3,
      rejected: { malformed: 2, 'entry.lamportTooFar': 1 },
      rejectedTotal: 3,
      lagMs: { count: 3, p50: 1.23, p99: 5, max: 6 },
    });
  });
});

describe('computeDelta', () => {
  it('carries only the strategies that changed or appeared, and the ids that disappeared', () => {
    const before = serializeReport(report({ a: strategy(1), b: strategy(1), c: strategy(1) }));
    const after = serializeReport(report({ a: strategy(1), b: strategy(2, 'open'), d: strategy(0) }));
    const delta = computeDelta(before, after);
    expect(delta.changed.map((t) => JSON.parse(t).id)).toEqual(['b', 'd']);
    expect(JSON.parse(delta.changed[0]!).state).toBe('open');
    expect(delta.removed).toEqual(['c']);
    expect(delta.summary).toBeUndefined();
  });

  it('is empty between equal states, and carries a panel only when it changed', () => {
    const a = serializeReport(report({ a: strategy(1) }));
    expect(isEmptyDelta(computeDelta(a, serializeReport(report({ a: strategy(1) }))))).toBe(true);
    const more = computeDelta(a, serializeReport(report({ a: strategy(1) }, { totals: { calls: 6 } })));
    expect(more.changed).toEqual([]);
    expect(JSON.parse(more.summary!).totals).toEqual({ calls: 6 });
    expect(more.cluster).toBeUndefined();
    expect(computeDelta(a, serializeReport(undefined)).available).toBe(false);
  });

  it('applied to the previous state, rebuilds the next one (any sequence of reports)', () => {
    let shown = new Map<string, string>();
    let previous = serializeReport(undefined);
    for (let step = 0; step < 50; step++) {
      const strategies: Record<string, unknown> = {};
      for (let i = 0; i < 10; i++) if ((step * 7 + i * 3) % 5 !== 0) strategies[`s${i}`] = strategy((step * i) % 4);
      const next = serializeReport(report(strategies));
      const delta = computeDelta(previous, next);
      for (const id of delta.removed) shown.delete(id);
      for (const text of delta.changed) shown.set(JSON.parse(text).id, text);
      expect(new Map([...shown].sort())).toEqual(new Map([...next.strategies].sort()));
      previous = next;
      shown = new Map(shown);
    }
  });
});
