import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Clock, SeededRandom, TimerHandle } from '@datawarehouse/sdk';
import type { ResolvedDownstreamOptions, ResolvedOutage } from './DemoTrafficOptions.js';
import { DownstreamError } from './DownstreamError.js';
import type { DownstreamFailureReason } from './DownstreamError.js';

interface PendingCall {
  timer: TimerHandle | undefined;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  readonly reject: (e: unknown) => void;
}

/** Counters of a `SimulatedDownstream`. @since 6.0.0 */
export interface DownstreamStatistics {
  readonly calls: number;
  readonly succeeded: number;
  readonly failed: Readonly<Record<DownstreamFailureReason, number>>;
  readonly aborted: number;
  readonly inFlight: number;
  readonly peakInFlight: number;
  readonly capacity: number;
  /** Mode of the outage in progress, or `none`. */
  readonly outage: 'none' | 'error' | 'stall';
}

/**
 * A flaky service simulated in (virtual or real) time: each call takes `latencyMs` plus
 * jitter, fails with probability `errorRate`, and beyond `capacity` concurrent calls gets
 * slower in proportion and fails the excess share (`1 - capacity / inFlight`). Scheduled
 * outages either fail calls (`error`) or hold their answers until the outage ends (`stall`).
 * All randomness comes from the given seeded generator, so a run is reproducible.
 *
 * @example
 * ```ts
 * const downstream = new SimulatedDownstream(resolveDemoTrafficOptions({}).downstream, clock, new SeededRandom(42));
 * const latency = await downstream.call(signal);
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class SimulatedDownstream {
  private readonly pending = new Set<PendingCall>();
  private epoch: number;
  private disposed = false;
  private inFlightCount = 0;
  private peak = 0;
  private calls = 0;
  private succeeded = 0;
  private aborted = 0;
  private readonly failed: Record<DownstreamFailureReason, number> = { error: 0, overload: 0, outage: 0, shutdown: 0 };

  constructor(
    private readonly options: ResolvedDownstreamOptions,
    private readonly clock: Clock,
    private readonly random: SeededRandom,
  ) {
    this.epoch = clock.now();
  }

  /** Makes outage times count from now (the plugin calls it on start). */
  restartClock(): void {
    this.epoch = this.clock.now();
  }

  /** Calls currently being served. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** The outage in progress, if any. */
  currentOutage(): ResolvedOutage | undefined {
    return this.outageAt(this.clock.now() - this.epoch)?.outage;
  }

  /**
   * One call; resolves to its simulated latency in ms.
   * @throws {@link DownstreamError} (as a rejection) for a simulated failure or after
   * `dispose()`; the signal's reason when `signal` aborts (the call then leaves at once).
   */
  call(signal?: AbortSignal): Promise<number> {
    if (this.disposed)
      return Promise.reject(new DownstreamError('shutdown', this.inFlightCount, this.options.capacity));
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const { capacity, latencyMs, latencyJitterMs, errorRate } = this.options;
    this.calls++;
    const inFlight = ++this.inFlightCount;
    if (inFlight > this.peak) this.peak = inFlight;
    const load = inFlight / capacity;
    let latency = latencyMs + (latencyJitterMs > 0 ? this.random.between(0, latencyJitterMs) : 0);
    if (load > 1) latency *= load;
    let failure: DownstreamFailureReason | undefined;
    const outage = this.outageAt(this.clock.now() - this.epoch);
    if (outage?.outage.mode === 'error') failure = 'outage';
    else {
      if (outage !== undefined) latency += outage.remainingMs;
      if (load > 1 && this.random.chance(1 - 1 / load)) failure = 'overload';
      else if (this.random.chance(errorRate)) failure = 'error';
    }
    return new Promise<number>((resolve, reject) => {
      const call: PendingCall = { timer: undefined, signal, onAbort: undefined, reject };
      call.timer = this.clock.setTimeout(() => {
        call.timer = undefined;
        this.finish(call);
        if (failure === undefined) {
          this.succeeded++;
          resolve(latency);
        } else {
          this.failed[failure]++;
          reject(new DownstreamError(failure, inFlight, capacity));
        }
      }, latency);
      if (signal !== undefined) {
        call.onAbort = () => {
          this.finish(call);
          this.aborted++;
          reject(signal.reason);
        };
        signal.addEventListener('abort', call.onAbort, { once: true });
      }
      this.pending.add(call);
    });
  }

  /** Counters since construction. */
  getStatistics(): DownstreamStatistics {
    return {
      calls: this.calls,
      succeeded: this.succeeded,
      failed: { ...this.failed },
      aborted: this.aborted,
      inFlight: this.inFlightCount,
      peakInFlight: this.peak,
      capacity: this.options.capacity,
      outage: this.currentOutage()?.mode ?? 'none',
    };
  }

  /** Fails every pending call with a `shutdown` {@link DownstreamError} and refuses new ones. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const call of [...this.pending]) {
      this.finish(call);
      this.failed.shutdown++;
      call.reject(new DownstreamError('shutdown', this.inFlightCount, this.options.capacity));
    }
  }

  private finish(call: PendingCall): void {
    if (!this.pending.delete(call)) return;
    this.inFlightCount--;
    if (call.timer !== undefined) this.clock.clearTimeout(call.timer);
    call.timer = undefined;
    if (call.signal !== undefined && call.onAbort !== undefined) call.signal.removeEventListener('abort', call.onAbort);
  }

  private outageAt(elapsed: number): { outage: ResolvedOutage; remainingMs: number } | undefined {
    for (const outage of this.options.outages) {
      if (elapsed < outage.atMs) continue;
      const intoWindow =
        outage.everyMs === undefined ? elapsed - outage.atMs : (elapsed - outage.atMs) % outage.everyMs;
      if (intoWindow < outage.durationMs) return { outage, remainingMs: outage.durationMs - intoWindow };
    }
    return undefined;
  }
}
