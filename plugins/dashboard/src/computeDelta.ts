import { digestCluster, digestStrategy, digestSummary } from './reportDigest.js';

/**
 * The dashboard's view of one report, serialized: one JSON text per strategy, the summary and
 * the cluster panel. Comparing texts is how a delta is found (a digest is small and flat, so
 * this is cheaper than a deep comparison, and the texts are reused as the frame's body).
 * @since 6.1.0
 */
export interface SerializedState {
  /** Whether the subsystem was found. */
  readonly available: boolean;
  /** Strategy id → JSON of its `StrategyDigest`, in report order. */
  readonly strategies: ReadonlyMap<string, string>;
  /** JSON of the `SummaryDigest`. */
  readonly summary: string;
  /** JSON of the `ClusterDigest`. */
  readonly cluster: string;
}

/** What changed between two states: changed or new strategies (JSON texts), removed ids, and the panels that changed. @since 6.1.0 */
export interface StateDelta {
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  readonly summary: string | undefined;
  readonly cluster: string | undefined;
  readonly available: boolean | undefined;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

/**
 * Serializes a resilience report's `metrics` (`undefined`: the subsystem is absent).
 * @since 6.1.0
 */
export function serializeReport(metrics: unknown): SerializedState {
  const strategies = new Map<string, string>();
  if (metrics === undefined) {
    return {
      available: false,
      strategies,
      summary: JSON.stringify(digestSummary({})),
      cluster: JSON.stringify(digestCluster(undefined)),
    };
  }
  const m = obj(metrics);
  const adaptive = obj(obj(m.adaptation).strategies);
  for (const [id, report] of Object.entries(obj(m.strategies))) {
    strategies.set(id, JSON.stringify(digestStrategy(id, report, adaptive[id])));
  }
  return {
    available: true,
    strategies,
    summary: JSON.stringify(digestSummary(m)),
    cluster: JSON.stringify(digestCluster(m.distributed)),
  };
}

/**
 * The delta from `previous` to `next`: strategies whose text differs or that are new, ids
 * that disappeared, and the summary, cluster and availability only when they changed.
 * @since 6.1.0
 */
export function computeDelta(previous: SerializedState, next: SerializedState): StateDelta {
  const changed: string[] = [];
  for (const [id, text] of next.strategies) if (previous.strategies.get(id) !== text) changed.push(text);
  const removed: string[] = [];
  for (const id of previous.strategies.keys()) if (!next.strategies.has(id)) removed.push(id);
  return {
    changed,
    removed,
    summary: previous.summary === next.summary ? undefined : next.summary,
    cluster: previous.cluster === next.cluster ? undefined : next.cluster,
    available: previous.available === next.available ? undefined : next.available,
  };
}

/** Whether a delta carries nothing (the frame is then a bare tick). @since 6.1.0 */
export function isEmptyDelta(delta: StateDelta): boolean {
  return (
    delta.changed.length === 0 &&
    delta.removed.length === 0 &&
    delta.summary === undefined &&
    delta.cluster === undefined &&
    delta.available === undefined
  );
}
