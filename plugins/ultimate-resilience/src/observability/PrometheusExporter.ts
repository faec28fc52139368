import { Counter, Gauge, Registry } from 'prom-client';
import { SdkCompatibility } from '@datawarehouse/sdk';
import type { HistogramSample, MetricsSnapshot, ScalarSample } from './collectResilienceMetrics.js';
import { LATENCY_EDGES_SECONDS } from './latencyBuckets.js';
import { METRIC_FAMILIES } from './metricFamilies.js';
import type { MetricFamilyInfo, MetricFamilyKey } from './metricFamilies.js';

/**
 * The resilience plugin's metrics in the Prometheus text format (what `GET /metrics` serves).
 * @since 6.1.0
 */
export interface PrometheusMetrics {
  /** The prom-client registry of the families: merge it into an application's own with `Registry.merge`. */
  readonly registry: Registry;
  /** Content type of {@link PrometheusMetrics.metricsAsync}'s text (exposition format 0.0.4). */
  readonly contentType: string;
  /** The exposition text, read from the counters now. */
  metricsAsync(): Promise<string>;
}

const EDGE_LABELS: readonly string[] = LATENCY_EDGES_SECONDS.map((s) => String(s));

/**
 * The resilience metrics in the Prometheus text format, on a prom-client `Registry` of its own.
 * Collect-on-scrape: every family's `collect()` reads one snapshot of the existing counters
 * (`read`), taken once per scrape; nothing is counted twice and nothing runs on the call path.
 * The latency histogram is written from the recorded log-scale buckets (exact counts per `le`).
 *
 * @example
 * ```ts
 * const exporter = new PrometheusExporter(() => collectResilienceMetrics(manager, 'node-1'));
 * const text = await exporter.metricsAsync(); // # HELP dw_resilience_calls_total ...
 * ```
 * @internal
 */
@SdkCompatibility('6.0.0')
export class PrometheusExporter implements PrometheusMetrics {
  /** The registry holding the families; merge it into an application's own with `Registry.merge`. */
  readonly registry = new Registry();
  private snapshot: MetricsSnapshot | undefined;

  /** @param read - reads the current snapshot (`collectResilienceMetrics`). */
  constructor(private readonly read: () => MetricsSnapshot) {
    for (const key of Object.keys(METRIC_FAMILIES) as MetricFamilyKey[]) {
      const info: MetricFamilyInfo = METRIC_FAMILIES[key];
      const labelNames = [...labelsOf(info)];
      const samples = (): readonly ScalarSample[] => this.current()[key] as readonly ScalarSample[];
      if (info.kind === 'histogram') {
        this.registry.registerMetric(histogramMetric(info, () => this.current().latency) as never);
      } else if (info.kind === 'counter') {
        new Counter({
          name: info.name,
          help: info.help,
          labelNames,
          registers: [this.registry],
          collect() {
            this.reset();
            for (const s of samples()) this.inc(s.labels, s.value);
          },
        });
      } else {
        new Gauge({
          name: info.name,
          help: info.help,
          labelNames,
          registers: [this.registry],
          collect() {
            this.reset();
            for (const s of samples()) this.set(s.labels, s.value);
          },
        });
      }
    }
  }

  /** Content type of {@link PrometheusExporter.metricsAsync}'s text (exposition format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, from one snapshot taken now. */
  async metricsAsync(): Promise<string> {
    const snapshot = this.read();
    this.snapshot = snapshot;
    try {
      return await this.registry.metrics();
    } finally {
      if (this.snapshot === snapshot) this.snapshot = undefined;
    }
  }

  private current(): MetricsSnapshot {
    return (this.snapshot ??= this.read());
  }
}

function labelsOf(info: MetricFamilyInfo): readonly string[] {
  return info.perStrategy ? ['node', 'strategy', 'name', ...info.labels] : ['node', ...info.labels];
}

/** A prom-client metric object writing the latency buckets as they are (prom-client's Histogram only observes). */
function histogramMetric(info: MetricFamilyInfo, samples: () => readonly HistogramSample[]) {
  return {
    name: info.name,
    help: info.help,
    type: 'histogram',
    aggregator: 'sum',
    labelNames: labelsOf(info),
    reset: () => undefined,
    get: async () => {
      const values: { labels: Record<string, string>; value: number; metricName: string }[] = [];
      for (const { labels, histogram } of samples()) {
        histogram.cumulative.forEach((value, i) =>
          values.push({ labels: { ...labels, le: EDGE_LABELS[i]! }, value, metricName: `${info.name}_bucket` }),
        );
        values.push({ labels: { ...labels, le: '+Inf' }, value: histogram.count, metricName: `${info.name}_bucket` });
        values.push({ labels, value: histogram.sumSeconds, metricName: `${info.name}_sum` });
        values.push({ labels, value: histogram.count, metricName: `${info.name}_count` });
      }
      return { name: info.name, help: info.help, type: 'histogram', values, aggregator: 'sum' };
    },
  };
}
