/** Outcomes of the calls that arrived during one phase. */
export interface PhaseResult {
  readonly label: string;
  readonly durationMs: number;
  /** Logical calls that arrived (a caller's own retries are not counted again). */
  readonly offered: number;
  readonly successes: number;
  readonly failures: number;
  readonly timeouts: number;
  readonly rejectedBulkhead: number;
  readonly rejectedCircuit: number;
  /** Calls made to the strategy, callers' retries included. */
  readonly attempts: number;
  /** Successful calls per second. */
  readonly goodput: number;
  /** End-to-end latency of successful calls (bulkhead wait and callers' retries included), ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** p99 of the calls that arrived at least `SETTLE_MS` after the phase began (after adapting). */
  readonly steadyP99Ms: number;
}

/** Nearest-rank quantile of sorted values (`NaN` when empty). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Counts of one phase (or one time-series bucket) as they accrue. */
export class Tally {
  offered = 0;
  successes = 0;
  failures = 0;
  timeouts = 0;
  rejectedBulkhead = 0;
  rejectedCircuit = 0;
  attempts = 0;
  readonly latencies: number[] = [];
  readonly steady: number[] = [];

  /** Adds another tally's counts and latencies to this one. */
  add(other: Tally): void {
    this.offered += other.offered;
    this.successes += other.successes;
    this.failures += other.failures;
    this.timeouts += other.timeouts;
    this.rejectedBulkhead += other.rejectedBulkhead;
    this.rejectedCircuit += other.rejectedCircuit;
    this.attempts += other.attempts;
    for (const l of other.latencies) this.latencies.push(l);
    for (const l of other.steady) this.steady.push(l);
  }

  result(label: string, durationMs: number): PhaseResult {
    const sorted = Float64Array.from(this.latencies).sort();
    const steady = Float64Array.from(this.steady).sort();
    return {
      label,
      durationMs,
      offered: this.offered,
      successes: this.successes,
      failures: this.failures,
      timeouts: this.timeouts,
      rejectedBulkhead: this.rejectedBulkhead,
      rejectedCircuit: this.rejectedCircuit,
      attempts: this.attempts,
      goodput: (this.successes * 1000) / durationMs,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      steadyP99Ms: quantile(steady, 0.99),
    };
  }
}
