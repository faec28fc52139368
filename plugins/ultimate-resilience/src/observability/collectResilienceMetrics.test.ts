import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import { collectResilienceMetrics } from './collectResilienceMetrics.js';
import type { ScalarSample } from './collectResilienceMetrics.js';
import { METRIC_FAMILIES } from './metricFamilies.js';
import { PrometheusExporter } from './PrometheusExporter.js';

async function setup() {
  const clock = new VirtualClock(1_000_000);
  const registry = new StrategyRegistry([
    { id: 'db', circuitBreaker: { failureThreshold: 2, breakDurationMs: 10_000 }, retry: false },
    { id: 'plain', circuitBreaker: false, retry: false },
  ]);
  const manager = new ResilienceScalingManager({ registry, clock, random: () => 0.5 });
  for (let i = 0; i < 3; i++) await manager.executeWithResilience('db', () => 'ok');
  for (let i = 0; i < 2; i++)
    await manager.executeWithResilience('db', () => Promise.reject(new Error('x'))).catch(() => 0);
  // Open now: rejected without reaching the downstream.
  for (let i = 0; i < 4; i++) await manager.executeWithResilience('db', () => 'never').catch(() => 0);
  await manager.executeWithResilience('plain', () => 1);
  return { manager, clock };
}

const value = (samples: readonly ScalarSample[], labels: Record<string, string>): number | undefined =>
  samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('collectResilienceMetrics', () => {
  it('reads the counters of every strategy, labelled with node, strategy and name', async () => {
    const { manager } = await setup();
    const m = collectResilienceMetrics(manager, 'n1');
    const db = { node: 'n1', strategy: 'db', name: 'db' };
    expect(value(m.calls, { ...db, kind: 'successful' })).toBe(3);
    expect(value(m.calls, { ...db, kind: 'failed' })).toBe(2);
    expect(value(m.rejected, { ...db, cause: 'circuit_open' })).toBe(4);
    expect(value(m.notPermitted, { ...db, kind: 'not_permitted' })).toBe(4);
    expect(value(m.circuitState, { ...db, state: 'open' })).toBe(1);
    expect(value(m.circuitState, { ...db, state: 'closed' })).toBe(0);
    expect(m.circuitState.filter((s) => s.labels.strategy === 'db')).toHaveLength(4);
    expect(value(m.attempts, db)).toBe(5);
    // A strategy without a breaker has no circuit series.
    expect(m.circuitState.some((s) => s.labels.strategy === 'plain')).toBe(false);
    expect(value(m.calls, { strategy: 'plain', kind: 'successful' })).toBe(1);
    const latency = m.latency.find((s) => s.labels.strategy === 'db')!;
    expect(latency.histogram.count).toBe(5);
    expect(latency.histogram.cumulative.at(-1)).toBeLessThanOrEqual(5);
  });

  it('keeps counters and histogram counts monotonic after the window moves on and the circuit is reset', async () => {
    const { manager, clock } = await setup();
    const before = collectResilienceMetrics(manager, 'n1');
    await clock.advanceAsync(120_000);
    await manager.invokeActionAsync('reset', { strategyId: 'db' });
    await manager.executeWithResilience('db', () => 'ok');
    const after = collectResilienceMetrics(manager, 'n1');
    const count = (m: typeof before) => m.latency.find((s) => s.labels.strategy === 'db')!.histogram.count;
    expect(count(after)).toBe(count(before) + 1);
    expect(value(after.calls, { strategy: 'db', kind: 'successful' })).toBe(4);
  });
});

describe('PrometheusExporter', () => {
  it('writes every family with HELP and TYPE, and the histogram as _bucket/_sum/_count with le', async () => {
    const { manager } = await setup();
    const exporter = new PrometheusExporter(() => collectResilienceMetrics(manager, 'n1'));
    const text = await exporter.metricsAsync();
    for (const family of Object.values(METRIC_FAMILIES)) {
      expect(text).toContain(`# TYPE ${family.name} ${family.kind}`);
    }
    expect(text).toContain('dw_resilience_calls_total{node="n1",strategy="db",name="db",kind="failed"} 2');
    expect(text).toContain('resilience4j_circuitbreaker_state{node="n1",strategy="db",name="db",state="open"} 1');
    expect(text).toMatch(
      /resilience4j_circuitbreaker_calls_seconds_bucket\{node="n1",strategy="db",name="db",le="\+Inf"\} 5\n/,
    );
    expect(text).toMatch(/resilience4j_circuitbreaker_calls_seconds_count\{node="n1",strategy="db",name="db"\} 5\n/);
    expect(exporter.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('reads the counters once per scrape and shows a strategy removed since then no more', async () => {
    const { manager } = await setup();
    let reads = 0;
    const exporter = new PrometheusExporter(() => {
      reads++;
      return collectResilienceMetrics(manager, 'n1');
    });
    await exporter.metricsAsync();
    expect(reads).toBe(1);
    manager.registry.remove('plain');
    const text = await exporter.metricsAsync();
    expect(reads).toBe(2);
    expect(text).not.toContain('strategy="plain"');
  });
});
