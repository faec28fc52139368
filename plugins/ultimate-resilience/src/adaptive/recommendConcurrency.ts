import type { AdaptationOptions } from './AdaptationOptions.js';
import type { AdaptiveState, ThresholdInputs } from './AdaptiveResilienceThresholds.js';
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
      state: { latencyEmaMs, limit, baselineMs, baselineP50Ms, cutFromLimit: cutFrom, shiftFactor: prev.shiftFactor },
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
  let shiftFactor: number | undefined;
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
    const shift = gradient < 1 ? scaledFactor(sample, p50, baseline, baselineP50, o.latencyTolerance) : undefined;
    // Seen twice in a row with the same factor: the readings trail (windowed histograms), and
    // mid-way through a surge they can mix into a ratio that looks like a shift once.
    const confirmed = shift !== undefined && prev.shiftFactor !== undefined && sameFactor(shift, prev.shiftFactor);
    shiftFactor = shift;
    if (confirmed) {
      // The whole distribution moved (the p50 and p99 readings rose by the same factor): a slower
      // downstream, not a queue — a FIFO queue adds the same wait to p50 and p99 and so
      // compresses their ratio. Adopted as the new no-load baseline; nothing is cut.
      adopted = `; latency ×${(ema / baseline).toFixed(1)} with its p99/p50 shape kept, adopted as the new baseline`;
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
        next = Math.max(next, cutFrom ?? 0, need);
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
      shiftFactor,
    },
  };
}

// A rise counts as a shift of the whole distribution when the p50 rose past the tolerance too
// and the p99 rose by the same factor within this ratio (a FIFO queue adds the same wait to
// both, so the p99 rises by a smaller factor than the p50; a trailing p99 reading after a surge,
// by a larger one).
const SAME_FACTOR = 1.25;

function sameFactor(a: number, b: number): boolean {
  return a / b <= SAME_FACTOR && b / a <= SAME_FACTOR;
}

/**
 * The factor by which the whole latency distribution scaled up (a slower downstream), or
 * undefined when the rise looks like a queue (or the p50 stayed within the tolerance).
 */
function scaledFactor(
  p99: number,
  p50: number,
  baseline: number,
  baselineP50: number,
  tolerance: number,
): number | undefined {
  if (!(p50 > 0 && baseline > 0 && baselineP50 > 0)) return undefined;
  const p50Factor = p50 / baselineP50;
  return p50Factor >= tolerance && sameFactor(p99 / baseline, p50Factor) ? p50Factor : undefined;
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
