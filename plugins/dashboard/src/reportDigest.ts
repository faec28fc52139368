/**
 * Digests of the resilience report (`GET /subsystems/resilience`'s `metrics`): the few fields a
 * tile, the summary and the cluster panel show, flat and rounded, so that two digests compare
 * equal as JSON exactly when the page would show the same thing.
 */

type Json = Record<string, unknown>;

/** What one strategy's tile shows. @since 6.1.0 */
export interface StrategyDigest {
  readonly id: string;
  /** Circuit state: `closed`, `open`, `half-open`, `isolated`, or `none` without a breaker. */
  readonly state: string;
  readonly backpressure: string;
  /** Calls since start (the page derives calls/s from two updates). */
  readonly calls: number;
  readonly failures: number;
  /** Error rate over the metrics window, or `null` before any call. */
  readonly errorRate: number | null;
  /** Latency percentiles, ms, 0.01 ms resolution, or `null` before any call. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly running: number;
  readonly queued: number;
  readonly maxConcurrency: number | null;
  readonly maxQueueSize: number | null;
  readonly retries: number;
  readonly timeouts: number;
  /** Rejections by cause (`circuitOpen`, `bulkhead`, `rateLimited`, ...), only the non-zero ones. */
  readonly rejected: Readonly<Record<string, number>>;
  /** Adaptive values in force, the last change's time and reasons; `null` when not adaptive. */
  readonly adaptive: {
    readonly mode: string | null;
    readonly current: Readonly<Record<string, unknown>>;
    readonly reasons: readonly string[];
    readonly lastAdaptedAt: string | number | null;
    readonly changes: number;
  } | null;
}

/** The cluster panel: this node and the replication section of the report. @since 6.1.0 */
export interface ClusterDigest {
  readonly enabled: boolean;
  readonly nodeId: string | null;
  readonly connectionState: string | null;
  readonly published: number;
  readonly received: number;
  readonly applied: number;
  /** Messages and entries refused, by reason (non-zero only), and their sum. */
  readonly rejected: Readonly<Record<string, number>>;
  readonly rejectedTotal: number;
  /** Propagation lag of applied transitions, ms. */
  readonly lagMs: {
    readonly count: number;
    readonly p50: number | null;
    readonly p99: number | null;
    readonly max: number | null;
  };
  readonly lastAppliedTransition: unknown;
}

/** Totals across strategies. @since 6.1.0 */
export interface SummaryDigest {
  readonly registeredStrategies: number;
  readonly activeStrategies: number;
  readonly backpressure: string;
  readonly circuits: Readonly<Record<string, number>>;
  readonly totals: Readonly<Record<string, number>>;
}

const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);
/** A finite number rounded to `digits` decimals, else `null` (`Infinity` included: JSON cannot carry it). */
const round = (v: unknown, digits = 2): number | null => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** Non-zero numeric members of `v`, in a stable order. */
function nonZero(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(obj(v))) if (typeof n === 'number' && n !== 0) out[k] = n;
  return out;
}

/** One strategy's digest from its report entry and (when adaptive) its adaptation entry. @since 6.1.0 */
export function digestStrategy(id: string, report: unknown, adaptation: unknown): StrategyDigest {
  const s = obj(report);
  const latency = obj(s.latencyMs);
  const window = obj(s.window);
  const a = adaptation === undefined ? undefined : obj(adaptation);
  return {
    id,
    state: str(s.state, 'none'),
    backpressure: str(s.backpressure, 'normal'),
    calls: num(s.calls),
    failures: num(s.failures),
    errorRate: round(window.errorRate ?? s.errorRate, 4),
    p50: round(latency.p50),
    p95: round(latency.p95),
    p99: round(latency.p99),
    running: num(s.running ?? s.inFlight),
    queued: num(s.queued),
    maxConcurrency: round(s.maxConcurrency, 0),
    maxQueueSize: round(s.maxQueueSize, 0),
    retries: num(s.retries),
    timeouts: num(s.timeouts),
    rejected: nonZero(s.rejected),
    adaptive:
      a === undefined || a.enabled === false
        ? null
        : {
            mode: typeof a.mode === 'string' ? a.mode : null,
            current: obj(a.current),
            reasons: Array.isArray(a.reasons) ? a.reasons.filter((r): r is string => typeof r === 'string') : [],
            lastAdaptedAt:
              typeof a.lastAdaptedAt === 'string' || typeof a.lastAdaptedAt === 'number' ? a.lastAdaptedAt : null,
            changes: num(a.changes),
          },
  };
}

/** The cluster panel's digest from the report's `distributed` section (absent: replication off). @since 6.1.0 */
export function digestCluster(distributed: unknown): ClusterDigest {
  const d = obj(distributed);
  const rejected: Record<string, number> = {};
  for (const [k, n] of Object.entries(nonZero(d.rejected))) rejected[k] = n;
  for (const [k, n] of Object.entries(nonZero(d.rejectedEntries))) rejected[`entry.${k}`] = n;
  const lag = obj(d.propagationLagMs);
  return {
    enabled: d.enabled === true,
    nodeId: typeof d.nodeId === 'string' ? d.nodeId : null,
    connectionState: typeof d.connectionState === 'string' ? d.connectionState : null,
    published: num(obj(d.published).transitions),
    received: num(obj(d.received).messages),
    applied: num(d.applied),
    rejected,
    rejectedTotal: Object.values(rejected).reduce((x, y) => x + y, 0),
    lagMs: { count: num(lag.count), p50: round(lag.p50), p99: round(lag.p99), max: round(lag.max) },
    lastAppliedTransition: d.lastAppliedTransition ?? null,
  };
}

/** Totals and circuit counts from the report. @since 6.1.0 */
export function digestSummary(metrics: unknown): SummaryDigest {
  const m = obj(metrics);
  return {
    registeredStrategies: num(m.registeredStrategies),
    activeStrategies: num(m.activeStrategies),
    backpressure: str(m.backpressure, 'normal'),
    circuits: nonZero(m.circuitBreakers),
    totals: nonZero(m.totals),
  };
}
