import type { SubsystemSnapshot } from '../registry/SubsystemRegistry.js';

/** Largest number of strategy lines printed per subsystem; the rest are summarized. */
export const MAX_STATUS_LINES = 32;

/**
 * Compact status lines of one subsystem: one per strategy found in
 * `metrics.strategies` (state, in-flight/limit, queued, error rate, p99), or one line with
 * the backpressure state and up to six top-level numeric metrics when it has none. Missing or
 * malformed fields print as `-`.
 *
 * @example
 * `resilience/default closed in-flight 3/32 queued 0/1000 err 1.2% p99 45ms calls 1200 [normal]`
 */
export function formatStatusLines(snapshot: Pick<SubsystemSnapshot, 'name' | 'backpressure' | 'metrics'>): string[] {
  const strategies = asRecord(snapshot.metrics.strategies);
  const ids = strategies === undefined ? [] : Object.keys(strategies);
  if (ids.length === 0) return [`${snapshot.name} [${snapshot.backpressure}]${numericSummary(snapshot.metrics)}`];
  const lines = ids
    .slice(0, MAX_STATUS_LINES)
    .map((id) => formatStrategyLine(`${snapshot.name}/${id}`, strategies![id], snapshot.backpressure));
  if (ids.length > MAX_STATUS_LINES)
    lines.push(`${snapshot.name}: … and ${ids.length - MAX_STATUS_LINES} more strategies`);
  return lines;
}

/**
 * One strategy's line from its metrics object (fields read defensively); the strategy's own
 * `backpressure` wins over the subsystem's.
 */
export function formatStrategyLine(label: string, metrics: unknown, backpressure: string): string {
  const m = asRecord(metrics) ?? {};
  const latency = asRecord(m.latencyMs) ?? {};
  const state = typeof m.state === 'string' ? m.state : '-';
  return (
    `${label} ${state}` +
    ` in-flight ${num(m.inFlight)}/${num(m.maxConcurrency)}` +
    ` queued ${num(m.queued)}/${num(m.maxQueueSize)}` +
    ` err ${percent(m.errorRate)}` +
    ` p99 ${ms(latency.p99)}` +
    ` calls ${num(m.calls)}` +
    ` [${typeof m.backpressure === 'string' ? m.backpressure : backpressure}]`
  );
}

/** Up to six top-level finite numbers of a metrics tree, as ` key=value` pairs. */
function numericSummary(metrics: Readonly<Record<string, unknown>>): string {
  let out = '';
  let n = 0;
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    out += ` ${key}=${Number.isInteger(value) ? value : value.toFixed(2)}`;
    if (++n === 6) break;
  }
  return out;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function num(v: unknown): string {
  if (v === Infinity) return '∞';
  return typeof v === 'number' && Number.isFinite(v) ? String(Math.round(v)) : '-';
}

function percent(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '-';
  const p = v * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}

function ms(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '-';
  return v >= 10 ? `${Math.round(v)}ms` : `${v.toFixed(1)}ms`;
}
