import type { ICircuitBreaker } from '@datawarehouse/sdk';
import type { CircuitStateEntry } from './CircuitStateMessage.js';
import { MAX_REASON_LENGTH } from './CircuitStateMessage.js';

/**
 * Brings a local breaker to an adopted remote state. Every transition this causes carries
 * origin `remote` (it is not a local transition and must not be re-broadcast): so does the
 * lazy `open → half-open` of a break found elapsed on the way.
 *
 * - `open`: open for exactly the remaining break (`tripFor` replaces any running break; an
 *   operator hold is lifted first, because the newer write wins). A break already over
 *   means the writer's probes are due: the breaker goes straight to half-open.
 * - `half-open`: the writer's break elapsed and it admits probes. A local breaker not already
 *   half-open ends its break now and moves to half-open, so this node probes as well (at most
 *   `halfOpenMaxAttempts` of its own); each node's probe outcome is its own next write.
 * - `closed`: resets the breaker (clearing its counts) unless it is already closed, in which
 *   case the local failure counts are kept.
 * - `isolated`: operator hold, unless already held.
 *
 * Changes nothing when the breaker is already in the adopted state (except an open break's
 * length), which is what keeps two nodes from bouncing a state between them.
 * @since 6.0.0
 */
export function applyRemoteState(breaker: ICircuitBreaker, entry: CircuitStateEntry): void {
  const reason = `${entry.reason} (from ${entry.origin})`.slice(0, MAX_REASON_LENGTH);
  breaker.refresh(undefined, 'remote');
  const current = breaker.state;
  switch (entry.state) {
    case 'open':
      if (current === 'isolated') breaker.reset(reason, 'remote');
      breaker.tripFor(entry.remainingBreakMs, reason, 'remote');
      // A break already over moves to half-open now, as part of the remote state.
      if (entry.remainingBreakMs === 0) breaker.refresh(undefined, 'remote');
      return;
    case 'half-open':
      if (current === 'half-open') return;
      if (current === 'isolated') breaker.reset(reason, 'remote');
      breaker.tripFor(0, reason, 'remote');
      breaker.refresh(undefined, 'remote');
      return;
    case 'closed':
      if (current !== 'closed') breaker.reset(reason, 'remote');
      return;
    case 'isolated':
      if (current !== 'isolated') breaker.isolate(reason, 'remote');
      return;
  }
}
