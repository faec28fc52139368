import { LOG_BUCKET_COUNT } from '../metrics/LogBuckets.js';
import type { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { toLatencyHistogram } from './latencyBuckets.js';
import type { LatencyHistogram } from './latencyBuckets.js';
import { METRIC_FAMILIES } from './metricFamilies.js';
import type { MetricFamilyKey } from './metricFamilies.js';

/** One series of a counter or gauge. @internal */
export interface ScalarSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One series of the latency histogram. @internal */
export interface HistogramSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly histogram: LatencyHistogram;
  /** Lifetime counts per log-scale bucket, as recorded (what `histogram` coarsens). */
  readonly counts: Float64Array;
}

/** Every family's series at one instant; read once per scrape or collection. @internal */
export type MetricsSnapshot = {
  readonly [K in MetricFamilyKey]: K extends 'latency' ? HistogramSample[] : ScalarSample[];
};

type Json = Record<string, unknown>;
const CIRCUIT_STATES: readonly [string, string][] = [
  ['closed', 'closed'],
  ['open', 'open'],
  ['half-open', 'half_open'],
  ['isolated', 'forced_open'],
];

/**
 * Reads the manager's existing counters into metric series: `getScalingMetrics()` (the report
 * `GET /subsystems/resilience` shows) and each strategy's lifetime latency buckets. Nothing is
 * added to the call path; the cost is one report plus O(464) per strategy, at read time.
 * @internal
 */
export function collectResilienceMetrics(manager: ResilienceScalingManager, nodeId: string): MetricsSnapshot {
  const out = Object.fromEntries(Object.keys(METRIC_FAMILIES).map((k) => [k, []])) as unknown as {
    [K in MetricFamilyKey]: (ScalarSample | HistogramSample)[];
  };
  const add = (key: MetricFamilyKey, labels: Record<string, string>, value: unknown): void => {
    if (typeof value === 'number' && Number.isFinite(value)) out[key].push({ labels, value });
  };
  const report = manager.getScalingMetrics() as unknown as Json;
  const strategies = (report.strategies ?? {}) as Record<string, Json>;
  const runtimes = manager.activeRuntimes();
  for (const [id, s] of Object.entries(strategies)) {
    const base = { node: nodeId, strategy: id, name: id };
    const l = (extra: Record<string, string>): Record<string, string> => ({ ...base, ...extra });
    add('calls', l({ kind: 'successful' }), s.successes);
    add('calls', l({ kind: 'failed' }), s.failures);
    add('calls', l({ kind: 'ignored' }), s.passedThrough);
    add('fallbacks', base, s.fallbacks);
    const rejected = (s.rejected ?? {}) as Json;
    add('rejected', l({ cause: 'circuit_open' }), rejected.circuitOpen);
    add('rejected', l({ cause: 'bulkhead' }), rejected.bulkhead);
    add('rejected', l({ cause: 'rate_limited' }), rejected.rateLimited);
    add('bulkheadRejected', l({ reason: 'queue_full' }), rejected.bulkheadQueueFull);
    add('bulkheadRejected', l({ reason: 'queue_timeout' }), rejected.bulkheadQueueTimeout);
    add('bulkheadRejected', l({ reason: 'shrunk' }), rejected.bulkheadShrunk);
    add('attempts', base, s.attempts);
    add('retries', base, s.retries);
    add('retryBudgetExhausted', base, s.retryBudgetExhausted);
    add('retrySlotRefused', base, s.retrySlotRefused);
    add('timeouts', l({ kind: 'timeout' }), s.timeouts);
    add('aborted', base, s.aborted);
    if (s.state !== 'none') {
      add('notPermitted', l({ kind: 'not_permitted' }), rejected.circuitOpen);
      for (const [state, label] of CIRCUIT_STATES) add('circuitState', l({ state: label }), s.state === state ? 1 : 0);
      add('failureRate', base, typeof s.errorRate === 'number' ? s.errorRate * 100 : undefined);
    }
    if (typeof s.maxConcurrency === 'number') {
      add('maxConcurrent', base, s.maxConcurrency);
      add('availableConcurrent', base, Math.max(0, s.maxConcurrency - (s.running as number)));
      add('queueDepth', base, s.queued);
      add('queueCapacity', base, s.maxQueueSize);
    }
    add('running', base, s.running);
    add('inFlight', base, s.inFlight);
    add('abandonedRunning', base, s.abandonedRunning);
    const latency = (s.latencyMs ?? {}) as Json;
    add('latencyMax', base, typeof latency.max === 'number' ? latency.max / 1000 : undefined);
    const runtime = runtimes.get(id);
    if (runtime !== undefined) {
      const counts = new Float64Array(LOG_BUCKET_COUNT);
      runtime.metrics.latency.lifetimeCounts(counts);
      out.latency.push({ labels: base, histogram: toLatencyHistogram(counts), counts });
    }
  }
  addAdaptation(report.adaptation as Json | undefined, nodeId, add);
  addReplication(report.distributed as Json | undefined, nodeId, add);
  return out as unknown as MetricsSnapshot;
}

type Add = (key: MetricFamilyKey, labels: Record<string, string>, value: unknown) => void;

function addAdaptation(adaptation: Json | undefined, nodeId: string, add: Add): void {
  const strategies = (adaptation?.strategies ?? {}) as Record<string, Json>;
  for (const [id, a] of Object.entries(strategies)) {
    const base = { node: nodeId, strategy: id, name: id };
    for (const [parameter, value] of Object.entries((a.current ?? {}) as Json)) {
      add('adaptiveValue', { ...base, parameter }, value);
    }
    for (const [parameter, value] of Object.entries((a.recommended ?? {}) as Json)) {
      add('adaptiveRecommended', { ...base, parameter }, value);
    }
    add('adaptiveChanges', base, a.changes);
  }
}

function addReplication(d: Json | undefined, node: string, add: Add): void {
  if (d === undefined || d.enabled !== true) return;
  const published = (d.published ?? {}) as Json;
  add('replicationSent', { node, type: 'transition' }, published.transitions);
  add('replicationSent', { node, type: 'sync' }, published.syncMessages);
  add('replicationSent', { node, type: 'sync_request' }, published.syncRequests);
  add('replicationEntriesSent', { node }, published.entries);
  add('replicationNotSent', { node, reason: 'disconnected' }, published.skippedDisconnected);
  add('replicationNotSent', { node, reason: 'failed' }, published.failed);
  add('replicationNotSent', { node, reason: 'oversized' }, published.oversized);
  const received = (d.received ?? {}) as Json;
  add('replicationReceived', { node, type: 'message' }, received.messages);
  add('replicationReceived', { node, type: 'sync_request' }, received.syncRequests);
  add('replicationApplied', { node }, d.applied);
  for (const [reason, n] of Object.entries((d.ignored ?? {}) as Json)) add('replicationIgnored', { node, reason }, n);
  for (const [reason, n] of Object.entries((d.rejected ?? {}) as Json)) add('replicationRejected', { node, reason }, n);
  for (const [reason, n] of Object.entries((d.rejectedEntries ?? {}) as Json)) {
    add('replicationRejected', { node, reason: `entry_${reason}` }, n);
  }
  const lag = (d.propagationLagMs ?? {}) as Json;
  const seconds = (v: unknown): number | undefined => (typeof v === 'number' ? v / 1000 : undefined);
  add('replicationLag', { node, quantile: '0.5' }, seconds(lag.p50));
  add('replicationLag', { node, quantile: '0.99' }, seconds(lag.p99));
  add('replicationLag', { node, quantile: '1' }, seconds(lag.max));
  add('replicationLagSamples', { node }, lag.count);
  add('replicationConnected', { node }, d.connectionState === 'connected' ? 1 : 0);
}
