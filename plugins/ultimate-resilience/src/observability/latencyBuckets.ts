import { LOG_BUCKET_COUNT, logBucketIndex, logBucketMidpointMicros } from '../metrics/LogBuckets.js';

/**
 * Upper edges of the exported latency histogram, µs: two per power of two, `2^e` and
 * `1.5 * 2^e`, from 64 µs to ~50 s. Each is a boundary of the log-scale buckets (a bucket of
 * exponent `e` is `2^(e-4)` wide and starts at a multiple of it), so the count below each edge
 * is exact: the exported histogram is the recorded one, coarsened, not an estimate.
 * @internal
 */
export const LATENCY_EDGES_MICROS: readonly number[] = Object.freeze(
  Array.from({ length: 20 }, (_, k) => [2 ** (k + 6), 3 * 2 ** (k + 5)]).flat(),
);

/** {@link LATENCY_EDGES_MICROS} in seconds (Prometheus `le`, OpenTelemetry bucket boundaries). @internal */
export const LATENCY_EDGES_SECONDS: readonly number[] = Object.freeze(LATENCY_EDGES_MICROS.map((us) => us / 1e6));

/** For each edge, the first log bucket at or above it: the buckets below hold exactly the values below the edge. */
const EDGE_BUCKETS: readonly number[] = LATENCY_EDGES_MICROS.map((us) => logBucketIndex(us));

/** A latency histogram in exported form. @internal */
export interface LatencyHistogram {
  /** Cumulative counts per edge of {@link LATENCY_EDGES_SECONDS}: values whose whole microseconds are below it. */
  readonly cumulative: readonly number[];
  /** Every value (the `+Inf` bucket). */
  readonly count: number;
  /** Sum of the values in seconds, estimated from the bucket midpoints (within 1/32 of the true sum). */
  readonly sumSeconds: number;
}

/**
 * Coarsens per-bucket counts (`counts[i]` for log bucket `i`, e.g. `WindowedHistogram.lifetimeCounts`)
 * into the exported histogram. O(464).
 * @internal
 */
export function toLatencyHistogram(counts: ArrayLike<number>): LatencyHistogram {
  const cumulative: number[] = [];
  let running = 0;
  let sumMicros = 0;
  let edge = 0;
  for (let i = 0; i < LOG_BUCKET_COUNT; i++) {
    while (edge < EDGE_BUCKETS.length && EDGE_BUCKETS[edge] === i) {
      cumulative.push(running);
      edge++;
    }
    const c = counts[i]!;
    running += c;
    if (c > 0) sumMicros += c * logBucketMidpointMicros(i);
  }
  while (cumulative.length < EDGE_BUCKETS.length) cumulative.push(running);
  return { cumulative, count: running, sumSeconds: sumMicros / 1e6 };
}
