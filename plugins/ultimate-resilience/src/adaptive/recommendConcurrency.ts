import type { AdaptationOptions } from './AdaptationOptions.js';
import type { AdaptiveState, ThresholdInputs } from './AdaptiveResilienceThresholds.js';
import type { WindowStats } from './SlidingWindowMetrics.js';
import { emaStep } from './Ema.js';

// The limit decays towards demand / growthUtilization only once it is this much above it,
// so it settles inside a band instead of flapping between growing and decaying.
const DEMAND_HYSTERESIS = 1.25;

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

function finite(x: number | undefined): number | undefined {
  return x !== undefined && Number.isFinite(x) ? x : undefined;
}

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

/**
 * The adaptive bulkhead limit (see `ConcurrencyMode` and docs/adaptive.md, which gives the
 * formulas). The limit tracks *queueing*, not raw latency:
 * - it is cut only while demand presses on it (bulkhead rejections or queue in the short
 *   window, a queue now, or in-flight calls at `growthUtilization` × the limit or more);
 * - the no-load baseline the p99 is compared with follows a rise at once while demand does not
 *   press (a slower downstream our calls do not load is the new normal), and slowly (time
 *   constant `baselineFollowMs`) while it does;
 * - a run of cuts that cost throughput in proportion (an unsaturated downstream), or a steady
 *   rise of the whole distribution, is a slower downstream, not a queue: the latency becomes the
 *   baseline and the cuts are undone;
 * - demand tracking never takes the limit below `trackDemandFloor` × the configured limit.
 * @internal
 */
export function recommendConcurrency(
  inputs: ThresholdInputs,
  o: AdaptationOptions,
  reasons: string[],
): { value: number; state: AdaptiveState } {
  const current = inputs.current.maxConcurrency!;
  const configured = Math.min(o.maxConcurrency, inputs.configuredMaxConcurrency ?? Infinity);
  const cap = configured;
  const lo = Math.min(o.minConcurrency, cap);
  const prev = inputs.state;
  // A non-finite carried limit (never saved, but state may come from outside) restarts from the value in force.
  const limit = clamp(finite(prev.limit) ?? current, lo, cap);
  const short = inputs.windows.short;
  const sample = short.p99Ms;
  const before = finite(prev.latencyEmaMs);
  const baselineBefore = finite(prev.baselineMs);
  const baselineP50Before = finite(prev.baselineP50Ms);

  const cutFrom = finite(prev.cutFromLimit);
  const hold = (why: string, latencyEmaMs = before, baselineMs = baselineBefore, baselineP50Ms = baselineP50Before) => {
    const value = Math.round(limit);
    reasons.push(`maxConcurrency ${current} → ${value}: ${why}`);
    return {
      value,
      state: {
        latencyEmaMs,
        limit,
        baselineMs,
        baselineP50Ms,
        cutFromLimit: cutFrom,
        shiftSeen: prev.shiftSeen,
        lastCut: prev.lastCut,
      },
    };
  };
  if (inputs.circuitState !== 'closed') return hold(`circuit ${inputs.circuitState}`);
  if (!Number.isFinite(sample) || sample < 0) return hold(`no latency over ${minutes(short.windowMs)}`);

  // A rise is taken at once, a fall smoothed: the readings already trail (a windowed
  // histogram), and a cut that comes one interval late lets the queue build for that long.
  const ema = Math.max(sample, emaStep(before, sample, o.emaAlpha)!);
  // Demand presses on the limit: calls were refused or queued by the bulkhead, or the calls in
  // flight (Little's law over the short window) reach growthUtilization × limit.
  const p50 = Number.isFinite(short.p50Ms) ? short.p50Ms : sample;
  const inFlight = (short.throughputPerSecond * p50) / 1000;
  const pressed =
    short.rejectedBulkhead > 0 || inputs.queued > 0 || short.maxQueued > 0 || inFlight >= o.growthUtilization * limit;

  let next: number;
  let why: string;
  let baseline = baselineBefore;
  let baselineP50 = baselineP50Before;
  // The limit before the current run of cuts (so a shift recognised late can undo them).
  let cutFromLimit: number | undefined;
  let shiftSeen: readonly [number, number, number] | undefined;
  let lastCut: readonly [number, number] | undefined;
  if (o.concurrencyMode === 'trend') {
    if (before === undefined) return hold(`first p99 reading ${sample.toFixed(1)} ms`, ema);
    if (ema < before * (1 - o.trendTolerance) && pressed) {
      next = limit * o.concurrencyIncreaseFactor;
      why = `p99 falling (EMA ${before.toFixed(1)} → ${ema.toFixed(1)} ms) and demand presses on the limit`;
    } else if (ema > before * (1 + o.trendTolerance) && pressed) {
      next = limit * o.concurrencyDecreaseFactor;
      why = `p99 rising (EMA ${before.toFixed(1)} → ${ema.toFixed(1)} ms) and demand presses on the limit`;
    } else {
      next = limit;
      why = `p99 EMA ${before.toFixed(1)} → ${ema.toFixed(1)} ms; ${pressed ? 'steady' : 'demand below the limit'}`;
    }
  } else if (short.completed + short.rejectedBulkhead < o.minCalls) {
    // A quiet period says nothing about the demand or the latency under load: neither decay
    // the limit towards near-zero use nor react to a p99 of a handful of calls.
    return hold(`fewer than ${o.minCalls} calls offered over ${minutes(short.windowMs)}`, ema);
  } else {
    baseline = nextBaseline(baselineBefore, ema, inputs.windows.long.p99MinMs, pressed, o);
    baselineP50 = nextBaseline(baselineP50Before, p50, inputs.windows.long.p50MinMs, pressed, o);
    // A 0 ms EMA (sub-ms calls, a coarse clock) cannot have risen above any baseline.
    let gradient = ema > 0 ? clamp((o.latencyTolerance * baseline) / ema, o.minGradient, 1) : 1;
    let adopted = '';
    const shift = gradient < 1 && scaledUp(sample, p50, baseline, baselineP50, o.latencyTolerance);
    // Confirmed once seen at every adaptation over a whole short window with steady readings
    // (p50 and p99 within 10 % of the first sighting): the readings trail (windowed
    // histograms), and while a queue builds or drains they can look like a shift for a while.
    const seen = prev.shiftSeen;
    const same = shift && seen !== undefined && steady(p50, seen[0]) && steady(sample, seen[1]);
    shiftSeen = !shift ? undefined : same ? [seen[0], seen[1], seen[2] + 1] : [p50, sample, 1];
    const confirmed = shift && shiftSeen![2] > Math.ceil(o.shortWindowMs / o.intervalMs);
    // The cuts cost throughput in proportion (at least half of it): the downstream was not
    // saturated, so the latency was not our queue — the cuts only throttled callers.
    const throttled = pressed && gradient < 1 && cutCostThroughput(prev.lastCut, limit, inputs.lastSample);
    if (confirmed || throttled) {
      // A slower downstream, not a queue: the whole distribution moved steadily (the p50 and p99
      // readings rose by the same large factor and stayed there), or cutting did not shorten a
      // queue but cost calls. Adopted as the new no-load baseline; nothing is cut.
      adopted = confirmed
        ? `; latency ×${(ema / baseline).toFixed(1)} with its p99/p50 shape kept, adopted as the new baseline`
        : `; the cuts cost throughput in proportion (not a queue), latency adopted as the new baseline`;
      if (cutFrom !== undefined && cutFrom > limit) adopted += `, cuts since ${Math.round(cutFrom)} undone`;
      baseline = ema;
      baselineP50 = p50;
      gradient = 1;
    }
    const ratio = `p99 EMA ${ema.toFixed(1)} ms vs baseline ${baseline.toFixed(1)} ms (p50 ${p50.toFixed(1)} vs ${baselineP50.toFixed(1)} ms)${adopted}`;
    const demand = `in flight ≈ ${inFlight.toFixed(1)}`;
    if (gradient < 1 && pressed) {
      // Queueing under our own load: cut to what the downstream sustains now at a tolerable
      // queue — its throughput × its no-load p50 × the tolerance (Little's law; BBR's
      // bandwidth-delay product) — by at most minGradient per step. A saturated downstream's
      // throughput does not fall with the limit, so lagging readings cannot cut below its knee;
      // and when that estimate is not below the limit the latency is not our queue: no cut.
      const noLoadP50 = Math.min(p50, baselineP50);
      const sustained = (short.throughputPerSecond * noLoadP50 * o.latencyTolerance) / 1000;
      next = Math.max(limit * o.minGradient, Math.min(limit, sustained));
      cutFromLimit = cutFrom ?? limit;
      // The start of this run of cuts: what the limit and the throughput were before it.
      if (next < limit && inputs.lastSample !== undefined)
        lastCut = prev.lastCut ?? [limit, inputs.lastSample.throughputPerSecond];
      why = `${ratio} > ${o.latencyTolerance}× and demand presses on the limit (${demand}; gradient ${gradient.toFixed(2)}; sustains ≈ ${sustained.toFixed(1)})`;
    } else if (pressed) {
      // Probe upwards by up to sqrt(limit) (Gradient2's queue allowance), less the closer the
      // latency already is to the tolerance: the p99 readings lag, so a full step at the edge
      // would overshoot before the rise shows.
      const room =
        o.latencyTolerance <= 1 || !(baseline > 0)
          ? 1
          : clamp((o.latencyTolerance * baseline - ema) / ((o.latencyTolerance - 1) * baseline), 0, 1);
      next = limit + Math.max(room * Math.sqrt(limit), 1);
      if (adopted !== '') {
        // A slower but healthy downstream: undo the cuts made while it looked like a queue, and
        // give the offered load what it needs at the new latency (Little's law, with headroom).
        const offered = short.coveredMs > 0 ? ((short.completed + short.rejectedBulkhead) * 1000) / short.coveredMs : 0;
        const need = o.growthUtilization > 0 ? (offered * p50) / 1000 / o.growthUtilization : cap;
        next = Math.max(next, cutFrom ?? 0, Math.min(need, 2 * (cutFrom ?? limit)));
      }
      why = `${ratio} within ${o.latencyTolerance}× and the limit holds calls back (${demand})`;
    } else {
      // Demand does not press: the limit is not what makes latency. A limit far above use
      // protects nothing (when the downstream slows down, everything up to it piles into its
      // queue), so it closes half the gap to what is used, with headroom, but never below the
      // floor a burst needs (trackDemandFloor × the configured limit).
      const floor = Math.max(lo, Math.ceil(o.trackDemandFloor * configured));
      const target = Math.max(floor, o.growthUtilization > 0 ? inFlight / o.growthUtilization : cap);
      if (o.trackDemand && limit > DEMAND_HYSTERESIS * target) {
        next = limit - (limit - target) / 2;
        why = `${ratio}; demand well below the limit (${demand}), tracking it (floor ${floor})`;
      } else if (o.trackDemand && limit < floor) {
        next = floor;
        why = `${ratio}; demand below the limit (${demand}), back up to the demand-tracking floor ${floor}`;
      } else {
        next = limit;
        why = `${ratio}; demand below the limit (${demand})`;
      }
    }
  }
  if (!Number.isFinite(next)) return hold(`no finite limit from ${why}`, ema, baseline, baselineP50);
  const bounded = clamp(next, lo, cap);
  const value = clamp(Math.round(bounded), lo, cap);
  const bound = bounded !== next ? ` (clamped to [${lo}, ${cap}])` : '';
  reasons.push(`maxConcurrency ${current} → ${value}: ${why}${bound}`);
  return {
    value,
    state: {
      latencyEmaMs: ema,
      limit: bounded,
      baselineMs: baseline,
      baselineP50Ms: baselineP50,
      cutFromLimit,
      shiftSeen,
      lastCut,
    },
  };
}

// The p50 and p99 of a shifted distribution rose by the same factor within this ratio.
const SAME_FACTOR = 1.25;
// A cut of at least this share of the limit is a test of whether the latency is our queue.
const MIN_CUT_SHARE = 0.2;
// Two readings this close (ratio) count as the same.
const STEADY = 1.1;

function within(a: number, b: number, ratio: number): boolean {
  return a / b <= ratio && b / a <= ratio;
}

function steady(a: number, b: number): boolean {
  return within(a, b, STEADY);
}

/**
 * Whether the whole latency distribution scaled up (a slower downstream) rather than queued:
 * the p50 rose to at least twice the tolerance (a queue the cuts leave stays well below that)
 * and the p99 by the same factor. Smaller shifts under pressure are followed by the baseline.
 */
function scaledUp(p99: number, p50: number, baseline: number, baselineP50: number, tolerance: number): boolean {
  if (!(p50 > 0 && baseline > 0 && baselineP50 > 0)) return false;
  const p50Factor = p50 / baselineP50;
  return p50Factor >= 2 * tolerance && within(p99 / baseline, p50Factor, SAME_FACTOR);
}

/**
 * Whether the cuts of this run (from `before[0]` with throughput `before[1]` in the sample
 * interval before the first) down to `limit`, by a fifth or more, cost throughput in the last
 * sample interval in proportion: at least half of their share. A saturated downstream keeps its throughput when the limit comes
 * down to its knee; an unsaturated one serves what the limit lets through.
 */
function cutCostThroughput(
  before: readonly [number, number] | undefined,
  limit: number,
  since: WindowStats | undefined,
): boolean {
  if (before === undefined || since === undefined || !(before[0] > limit) || !(before[1] > 0)) return false;
  const share = 1 - limit / before[0];
  // Only a cut of a fifth or more says anything: smaller ones drown in the counting noise.
  return share >= MIN_CUT_SHARE && since.throughputPerSecond < before[1] * (1 - share / 2);
}

/**
 * The long-term no-load baseline of a latency reading (p99, and p50 for Little's law). First:
 * the lowest reading of the long window (never above the current one). Then: a lower EMA is adopted at once (a faster downstream); a higher one is adopted at
 * once while demand does not press on the limit (the rise is not our queue: a slower
 * downstream is the new normal), and followed with time constant `baselineFollowMs` while it
 * does (so a real shift is adopted even under pressure, as Gradient2's long-term average does).
 */
function nextBaseline(
  before: number | undefined,
  reading: number,
  longMin: number,
  pressed: boolean,
  o: AdaptationOptions,
): number {
  if (before === undefined) return Number.isFinite(longMin) ? Math.min(longMin, reading) : reading;
  if (reading <= before || !pressed) return reading;
  const follow = o.baselineFollowMs > 0 ? 1 - Math.exp(-o.intervalMs / o.baselineFollowMs) : 1;
  return before + (reading - before) * follow;
}
