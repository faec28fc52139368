import { afterEach, describe, expect, it } from 'vitest';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { VirtualClock } from '@datawarehouse/sdk';
import type { Clock } from '@datawarehouse/sdk';
import { Kernel } from '@datawarehouse/host';
import { createPlugin } from '@datawarehouse/plugin-ultimate-resilience';
import type { UltimateResiliencePlugin } from '@datawarehouse/plugin-ultimate-resilience';
import { LATENCY_EDGES_SECONDS } from '@datawarehouse/plugin-ultimate-resilience/internals';
import { parseExposition } from './scrape.js';

// The resilience plugin's metrics as OpenTelemetry instruments, read through the SDK's
// in-memory exporter: the same values as the Prometheus exposition, the histogram included.

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  metrics.disable();
});

async function start(): Promise<{
  plugin: UltimateResiliencePlugin;
  clock: VirtualClock;
  flush: () => Promise<MetricData[]>;
}> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  const clock = new VirtualClock(0);
  const plugin = createPlugin({
    strategies: [{ id: 'db', circuitBreaker: { failureThreshold: 3, breakDurationMs: 10_000 }, retry: false }],
  });
  const kernel = new Kernel({
    config: { nodeId: 'otel-node', plugins: [{ module: 'resilience' }] },
    clock,
    importModule: async () => ({ createPlugin: () => plugin }),
  });
  await kernel.startAsync();
  cleanups.push(
    () => kernel.stopAsync(),
    () => provider.shutdown(),
  );
  const flush = async (): Promise<MetricData[]> => {
    exporter.reset();
    await reader.forceFlush();
    return exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
  };
  return { plugin, clock, flush };
}

/** Runs `n` calls of strategy `db` taking `ms` virtual milliseconds each, concurrently. */
async function calls(
  plugin: UltimateResiliencePlugin,
  clock: Clock & VirtualClock,
  n: number,
  ms: number,
  fail = false,
) {
  const all = Array.from({ length: n }, () =>
    plugin
      .executeWithResilience(
        'db',
        () =>
          new Promise((resolve, reject) => clock.setTimeout(() => (fail ? reject(new Error('x')) : resolve(1)), ms)),
      )
      .catch(() => undefined),
  );
  await clock.advanceAsync(ms);
  await Promise.all(all);
}

const metric = (all: MetricData[], name: string): MetricData => {
  const found = all.find((m) => m.descriptor.name === name);
  expect(found, name).toBeDefined();
  return found!;
};
const point = (m: MetricData, attributes: Record<string, string>) =>
  m.dataPoints.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));

describe('OpenTelemetry metrics of the resilience plugin', () => {
  it('reports counters, gauges and the attempt histogram with the values of the Prometheus exposition', async () => {
    const { plugin, clock, flush } = await start();
    await calls(plugin, clock, 20, 3);
    await calls(plugin, clock, 10, 40);
    await calls(plugin, clock, 3, 700, true); // opens the circuit
    await calls(plugin, clock, 5, 1); // rejected
    const data = await flush();
    const labels = { node: 'otel-node', strategy: 'db', name: 'db' };
    const callsMetric = metric(data, 'dw_resilience_calls');
    expect(callsMetric.dataPointType).toBe(DataPointType.SUM);
    expect(point(callsMetric, { ...labels, kind: 'successful' })!.value).toBe(30);
    expect(point(callsMetric, { ...labels, kind: 'failed' })!.value).toBe(3);
    expect(point(metric(data, 'dw_resilience_rejected_calls'), { strategy: 'db', cause: 'circuit_open' })!.value).toBe(
      5,
    );
    const state = metric(data, 'resilience4j_circuitbreaker_state');
    expect(state.dataPointType).toBe(DataPointType.GAUGE);
    expect(point(state, { strategy: 'db', state: 'open' })!.value).toBe(1);
    expect(point(state, { strategy: 'db', state: 'closed' })!.value).toBe(0);

    const latency = metric(data, 'resilience4j_circuitbreaker_calls');
    expect(latency.descriptor.unit).toBe('s');
    expect(latency.dataPointType).toBe(DataPointType.HISTOGRAM);
    const h = point(latency, { strategy: 'db' })!.value as Histogram;
    expect(h.count).toBe(33);
    expect(h.buckets.boundaries).toEqual(LATENCY_EDGES_SECONDS);
    // Same counts per bucket as the Prometheus histogram (cumulative there, per bucket here).
    const exposition = parseExposition(await plugin.prometheus.metricsAsync());
    const cumulative = exposition
      .select('resilience4j_circuitbreaker_calls_seconds_bucket', { strategy: 'db' })
      .map((s) => s.value);
    const perBucket = cumulative.map((c, i) => c - (i === 0 ? 0 : cumulative[i - 1]!));
    expect(h.buckets.counts).toEqual(perBucket);
    expect(h.buckets.counts.filter((c) => c > 0)).toEqual([20, 10, 3]);
    const sum = exposition.select('resilience4j_circuitbreaker_calls_seconds_sum', { strategy: 'db' })[0]!.value;
    expect(h.sum).toBeCloseTo(sum, 9);
    expect(Math.abs(h.sum! - (20 * 0.003 + 10 * 0.04 + 3 * 0.7))).toBeLessThan((20 * 0.003 + 10 * 0.04 + 3 * 0.7) / 32);
  });

  it('adds only the attempts made since the previous collection to the histogram', async () => {
    const { plugin, clock, flush } = await start();
    await calls(plugin, clock, 7, 5);
    const first = point(metric(await flush(), 'resilience4j_circuitbreaker_calls'), { strategy: 'db' })!
      .value as Histogram;
    expect(first.count).toBe(7);
    const again = point(metric(await flush(), 'resilience4j_circuitbreaker_calls'), { strategy: 'db' })!
      .value as Histogram;
    expect(again.count).toBe(7);
    await calls(plugin, clock, 4, 5);
    const later = point(metric(await flush(), 'resilience4j_circuitbreaker_calls'), { strategy: 'db' })!
      .value as Histogram;
    expect(later.count).toBe(11);
  });

  it('stops reporting once the plugin stopped', async () => {
    const { plugin, clock, flush } = await start();
    await calls(plugin, clock, 2, 5);
    await plugin.stopAsync();
    const data = await flush();
    expect(data.find((m) => m.descriptor.name === 'dw_resilience_calls')?.dataPoints ?? []).toEqual([]);
  });
});
