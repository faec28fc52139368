import { SdkCompatibility } from '@datawarehouse/sdk';
import { validateNumber } from '@datawarehouse/sdk/internals';
import type { CircuitStateChange } from '@datawarehouse/sdk';
import { emaStep } from './Ema.js';

/**
 * Measures how long one circuit takes to recover: an episode starts when the circuit leaves
 * `closed` for `open` and ends when it closes again (failed probes in between keep the episode
 * going), and its length feeds an EMA. Only the circuit's own recoveries count: an episode
 * started, continued or ended by an operator (`isolated`, reasons `manual-trip`/`manual-reset`
 * or `operator-*` — the admin actions) or by a state applied from another node (reason
 * containing `(from `) ends without being recorded (see {@link isExternalTransition}).
 *
 * @example
 * ```ts
 * const tracker = new RecoveryTracker();
 * manager.events.on('circuitStateChanged', (id, change) => tracker.observe(change, 0.5));
 * tracker.emaMs; // typical recovery time
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class RecoveryTracker {
  private openedAt: number | undefined = undefined;
  /** The current episode involved an operator or a remote state: not an observed recovery. */
  private external = false;
  private ema: number | undefined = undefined;
  private recoveries = 0;
  private last: number | undefined = undefined;

  /** Recoveries observed. */
  get count(): number {
    return this.recoveries;
  }

  /** EMA of the recovery times, ms; `undefined` before the first. */
  get emaMs(): number | undefined {
    return this.ema;
  }

  /** The last recovery time, ms. */
  get lastMs(): number | undefined {
    return this.last;
  }

  /** `clock.now()` when the current episode started, or `undefined` while closed. */
  get openSince(): number | undefined {
    return this.openedAt;
  }

  /**
   * Feeds one state change.
   * @param alpha - EMA weight of a new recovery time, in (0, 1].
   * @returns the recovery time when this change ended an episode, else `undefined`.
   * @throws {@link InvalidConfigurationError} naming `alpha`.
   */
  observe(change: CircuitStateChange, alpha: number): number | undefined {
    validateNumber('alpha', alpha, 0, 1, true);
    const { previousState, newState, timestamp, reason } = change;
    if (newState === 'isolated') {
      this.openedAt = undefined;
      return undefined;
    }
    const external = isExternalTransition(reason);
    if (newState === 'open' && previousState === 'closed') {
      this.openedAt = timestamp;
      this.external = external;
      return undefined;
    }
    if (this.openedAt === undefined) return undefined;
    if (external) this.external = true;
    if (newState !== 'closed') return undefined;
    const started = this.openedAt;
    this.openedAt = undefined;
    if (this.external || previousState === 'isolated') return undefined;
    const took = Math.max(0, timestamp - started);
    this.recoveries++;
    this.last = took;
    this.ema = emaStep(this.ema, took, alpha);
    return took;
  }
}

/**
 * True for a transition the circuit did not make by itself: an operator's (`manual-trip`,
 * `manual-reset`, `operator-*` from the admin actions) or one applied from another node
 * (the distributed layer appends `(from <node>)` to its reason).
 * @since 6.0.0
 */
export function isExternalTransition(reason: string | undefined): boolean {
  if (typeof reason !== 'string') return false;
  return (
    reason === 'manual-trip' || reason === 'manual-reset' || reason.startsWith('operator-') || reason.includes('(from ')
  );
}
