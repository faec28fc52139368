/**
 * The exported metrics, named once for Prometheus and OpenTelemetry. Names follow resilience4j's
 * Micrometer names where one means the same thing (so its dashboards apply), `dw_resilience_*`
 * otherwise; the mapping is documented in docs/observability.md.
 * @internal
 */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** One exported metric family. @internal */
export interface MetricFamilyInfo {
  /** Prometheus name (`_total` for counters, `_seconds` for durations). */
  readonly name: string;
  readonly kind: MetricKind;
  readonly help: string;
  /** Labels besides `node` (and `strategy`/`name` for per-strategy families). */
  readonly labels: readonly string[];
  /** Whether the family has one series per strategy (labels `strategy` and `name`). */
  readonly perStrategy: boolean;
  /** OpenTelemetry unit (`s`, `1`, `{call}`…). */
  readonly unit: string;
}

const strategy = (
  name: string,
  kind: MetricKind,
  help: string,
  labels: readonly string[] = [],
  unit = '1',
): MetricFamilyInfo => ({ name, kind, help, labels, perStrategy: true, unit });
const node = (
  name: string,
  kind: MetricKind,
  help: string,
  labels: readonly string[] = [],
  unit = '1',
): MetricFamilyInfo => ({ name, kind, help, labels, perStrategy: false, unit });

/** Every family, in exposition order. @internal */
export const METRIC_FAMILIES = Object.freeze({
  calls: strategy(
    'dw_resilience_calls_total',
    'counter',
    'Calls that ended, by outcome: successful, failed (after retries), ignored (an error classified as an answer, or a nested rejection).',
    ['kind'],
    '{call}',
  ),
  fallbacks: strategy(
    'dw_resilience_fallback_calls_total',
    'counter',
    'Calls answered by the fallback (also counted as failed or rejected).',
    [],
    '{call}',
  ),
  rejected: strategy(
    'dw_resilience_rejected_calls_total',
    'counter',
    'Calls refused before reaching the downstream, by cause: circuit_open, bulkhead, rate_limited.',
    ['cause'],
    '{call}',
  ),
  notPermitted: strategy(
    'resilience4j_circuitbreaker_not_permitted_calls_total',
    'counter',
    'Calls refused by an open circuit (resilience4j name; kind="not_permitted").',
    ['kind'],
    '{call}',
  ),
  bulkheadRejected: strategy(
    'dw_resilience_bulkhead_rejected_calls_total',
    'counter',
    'Calls the bulkhead refused, by reason: queue_full, queue_timeout, shrunk.',
    ['reason'],
    '{call}',
  ),
  attempts: strategy(
    'dw_resilience_attempts_total',
    'counter',
    'Attempts made (first tries and retries).',
    [],
    '{attempt}',
  ),
  retries: strategy('dw_resilience_retries_total', 'counter', 'Retries made (after their backoff).', [], '{attempt}'),
  retryBudgetExhausted: strategy(
    'dw_resilience_retry_budget_exhausted_total',
    'counter',
    'Retries not made because the retry budget was spent.',
    [],
    '{attempt}',
  ),
  retrySlotRefused: strategy(
    'dw_resilience_retry_slot_refused_total',
    'counter',
    'Retries not made because no bulkhead slot was free for them.',
    [],
    '{attempt}',
  ),
  timeouts: strategy(
    'resilience4j_timelimiter_calls_total',
    'counter',
    'Attempts ended by the timeout (resilience4j name; kind="timeout").',
    ['kind'],
    '{attempt}',
  ),
  aborted: strategy('dw_resilience_aborted_calls_total', 'counter', 'Calls the caller aborted.', [], '{call}'),
  circuitState: strategy(
    'resilience4j_circuitbreaker_state',
    'gauge',
    'Circuit state, one series per state: 1 for the current one, 0 otherwise (closed, open, half_open, forced_open = held open by an operator).',
    ['state'],
  ),
  failureRate: strategy(
    'resilience4j_circuitbreaker_failure_rate',
    'gauge',
    'Failed calls over completed calls in the metrics window, percent.',
    [],
    '%',
  ),
  availableConcurrent: strategy(
    'resilience4j_bulkhead_available_concurrent_calls',
    'gauge',
    'Bulkhead slots free now.',
    [],
    '{call}',
  ),
  maxConcurrent: strategy(
    'resilience4j_bulkhead_max_allowed_concurrent_calls',
    'gauge',
    'Bulkhead limit (maxConcurrency).',
    [],
    '{call}',
  ),
  queueDepth: strategy(
    'resilience4j_bulkhead_queue_depth',
    'gauge',
    'Calls waiting in the bulkhead queue.',
    [],
    '{call}',
  ),
  queueCapacity: strategy(
    'resilience4j_bulkhead_queue_capacity',
    'gauge',
    'Bulkhead queue limit (maxQueueSize).',
    [],
    '{call}',
  ),
  running: strategy(
    'dw_resilience_bulkhead_running_calls',
    'gauge',
    'Calls holding a bulkhead slot now (calls in flight without a bulkhead).',
    [],
    '{call}',
  ),
  inFlight: strategy('dw_resilience_in_flight_calls', 'gauge', 'Calls in the pipeline now.', [], '{call}'),
  abandonedRunning: strategy(
    'dw_resilience_abandoned_running_calls',
    'gauge',
    'Operations abandoned (timed out or aborted) that are still running downstream.',
    [],
    '{call}',
  ),
  latency: strategy(
    'resilience4j_circuitbreaker_calls_seconds',
    'histogram',
    'Attempt latency, every attempt that reached the downstream (rejections excluded), since start; exact counts per le.',
    [],
    's',
  ),
  latencyMax: strategy(
    'resilience4j_circuitbreaker_calls_seconds_max',
    'gauge',
    'Longest attempt in the metrics window, seconds.',
    [],
    's',
  ),
  adaptiveValue: strategy(
    'dw_resilience_adaptive_value',
    'gauge',
    'Value in force of an adapted parameter (failureThreshold, breakDurationMs, maxConcurrency…).',
    ['parameter'],
  ),
  adaptiveRecommended: strategy(
    'dw_resilience_adaptive_recommended_value',
    'gauge',
    'Value the adaptive rules last recommended for a parameter.',
    ['parameter'],
  ),
  adaptiveChanges: strategy(
    'dw_resilience_adaptive_changes_total',
    'counter',
    'Changes the adaptive controller applied to the strategy.',
    [],
    '{change}',
  ),
  replicationSent: node(
    'dw_resilience_replication_messages_sent_total',
    'counter',
    'Circuit-state messages published, by type: transition, sync, sync_request.',
    ['type'],
    '{message}',
  ),
  replicationEntriesSent: node(
    'dw_resilience_replication_entries_sent_total',
    'counter',
    'Strategy states sent in all messages.',
    [],
    '{entry}',
  ),
  replicationNotSent: node(
    'dw_resilience_replication_send_failures_total',
    'counter',
    'Messages not sent, by reason: disconnected, failed, oversized.',
    ['reason'],
    '{message}',
  ),
  replicationReceived: node(
    'dw_resilience_replication_messages_received_total',
    'counter',
    'Circuit-state messages received, by type: message, sync_request.',
    ['type'],
    '{message}',
  ),
  replicationApplied: node(
    'dw_resilience_replication_applied_total',
    'counter',
    'Remote circuit states applied to a local breaker.',
    [],
    '{entry}',
  ),
  replicationIgnored: node(
    'dw_resilience_replication_ignored_total',
    'counter',
    'Remote states not applied, by reason (stale, duplicate, notShared, unknownStrategy, noBreaker).',
    ['reason'],
    '{entry}',
  ),
  replicationRejected: node(
    'dw_resilience_replication_rejected_total',
    'counter',
    'Received messages dropped whole (malformed, oversized, unknownType) or entries dropped alone (entry_*), by reason.',
    ['reason'],
    '{message}',
  ),
  replicationLag: node(
    'dw_resilience_replication_lag_seconds',
    'gauge',
    'Propagation lag of applied transitions (sender time to local apply), by quantile 0.5, 0.99 and 1 (max).',
    ['quantile'],
    's',
  ),
  replicationLagSamples: node(
    'dw_resilience_replication_lag_samples_total',
    'counter',
    'Transitions whose propagation lag was measured.',
    [],
    '{entry}',
  ),
  replicationConnected: node(
    'dw_resilience_replication_connected',
    'gauge',
    'Whether the bus carrying the circuit state is connected (1) or not (0).',
  ),
} satisfies Record<string, MetricFamilyInfo>);

/** Key of a family in {@link METRIC_FAMILIES}. @internal */
export type MetricFamilyKey = keyof typeof METRIC_FAMILIES;
