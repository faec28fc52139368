import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Logger } from '@datawarehouse/sdk';
import type { Attributes, BatchObservableResult, Histogram, Meter, Observable } from '@opentelemetry/api';
import { LOG_BUCKET_COUNT, logBucketMidpointMicros } from '../metrics/LogBuckets.js';
import type { MetricsSnapshot, ScalarSample } from './collectResilienceMetrics.js';
import { LATENCY_EDGES_SECONDS } from './latencyBuckets.js';
import { METRIC_FAMILIES } from './metricFamilies.js';
import type { MetricFamilyInfo, MetricFamilyKey } from './metricFamilies.js';

/** The part of `@opentelemetry/api` used here. @internal */
export interface OpenTelemetryApi {
  readonly metrics: { getMeter(name: string, version?: string): Meter };
}

/** Imports `@opentelemetry/api`, or `undefined` when it is not installed (an optional peer). @internal */
export async function loadOpenTelemetryApi(): Promise<OpenTelemetryApi | undefined> {
  try {
    return (await import('@opentelemetry/api')) as OpenTelemetryApi;
  } catch {
    return undefined;
  }
}

/** Instrument name: the Prometheus name without the suffixes OpenTelemetry exporters add back (`_total`, a unit). */
export function openTelemetryName(info: MetricFamilyInfo): string {
  if (info.kind === 'counter') return info.name.replace(/_total$/, '');
  if (info.kind === 'histogram') return info.name.replace(/_seconds$/, '');
  return info.name;
}

/**
 * The resilience metrics as OpenTelemetry instruments on the global MeterProvider: observable
 * counters and gauges read from one snapshot per collection (a batch callback), and the attempt
 * latency as a histogram whose bucket boundaries are the Prometheus `le` edges. OpenTelemetry
 * has no observable histogram, so each collection records the attempts made since the last
 * one, one `record` per attempt at its log bucket's midpoint: the same counts per bucket and the
 * same sum as the Prometheus histogram, paid at collection time, never on the call path.
 * @since 6.1.0
 */
@SdkCompatibility('6.0.0')
export class OpenTelemetryMetrics {
  private readonly observables = new Map<MetricFamilyKey, Observable>();
  private readonly histogram: Histogram;
  /** Lifetime counts already recorded into `histogram`, per strategy. */
  private readonly recorded = new Map<string, Float64Array>();
  private readonly callback = (result: BatchObservableResult): void => this.observe(result);
  private disposed = false;

  /**
   * @param meter - where the instruments are created (e.g. `metrics.getMeter(...)`).
   * @param read - reads the current snapshot (`collectResilienceMetrics`).
   */
  constructor(
    private readonly meter: Meter,
    private readonly read: () => MetricsSnapshot,
    private readonly logger: Logger,
  ) {
    for (const key of Object.keys(METRIC_FAMILIES) as MetricFamilyKey[]) {
      const info: MetricFamilyInfo = METRIC_FAMILIES[key];
      const options = { description: info.help, unit: info.unit };
      if (info.kind === 'counter')
        this.observables.set(key, meter.createObservableCounter(openTelemetryName(info), options));
      else if (info.kind === 'gauge')
        this.observables.set(key, meter.createObservableGauge(openTelemetryName(info), options));
    }
    const latency = METRIC_FAMILIES.latency;
    this.histogram = meter.createHistogram(openTelemetryName(latency), {
      description: latency.help,
      unit: latency.unit,
      advice: { explicitBucketBoundaries: [...LATENCY_EDGES_SECONDS] },
    });
    meter.addBatchObservableCallback(this.callback, [...this.observables.values()]);
  }

  /** Removes the collection callback (instruments cannot be deleted; they stop reporting). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.meter.removeBatchObservableCallback(this.callback, [...this.observables.values()]);
  }

  private observe(result: BatchObservableResult): void {
    if (this.disposed) return;
    let snapshot: MetricsSnapshot;
    try {
      snapshot = this.read();
    } catch (error) {
      this.logger.warn('OpenTelemetry metrics: reading the resilience metrics failed', { error: String(error) });
      return;
    }
    for (const [key, observable] of this.observables) {
      for (const s of snapshot[key] as readonly ScalarSample[])
        result.observe(observable, s.value, s.labels as Attributes);
    }
    this.recordLatency(snapshot);
  }

  private recordLatency(snapshot: MetricsSnapshot): void {
    const seen = new Set<string>();
    for (const { labels, counts } of snapshot.latency) {
      const id = labels.strategy!;
      seen.add(id);
      const before = this.recorded.get(id);
      // A strategy whose histogram restarted (its runtime was recreated) starts a new baseline.
      const restarted = before !== undefined && counts.some((c, i) => c < before[i]!);
      for (let i = 0; i < LOG_BUCKET_COUNT; i++) {
        const delta = counts[i]! - (before === undefined || restarted ? 0 : before[i]!);
        if (delta <= 0) continue;
        const seconds = logBucketMidpointMicros(i) / 1e6;
        for (let k = 0; k < delta; k++) this.histogram.record(seconds, labels as Attributes);
      }
      this.recorded.set(id, counts);
    }
    for (const id of this.recorded.keys()) if (!seen.has(id)) this.recorded.delete(id);
  }
}
