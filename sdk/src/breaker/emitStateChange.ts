import type { EventEmitter } from 'eventemitter3';
import type { CircuitBreakerEvents, CircuitStateChange } from './ICircuitBreaker.js';

/**
 * Emits `stateChanged` with `change`, keeping the breaker safe from its listeners: a throwing
 * listener is reported as `listenerError` (eventemitter3 stops at it, so the listeners after
 * it miss this one event), and a throwing `listenerError` listener is swallowed. The caller
 * has already put the new state fully in place, and skips building `change` when nobody listens.
 * @internal
 */
export function emitStateChange(events: EventEmitter<CircuitBreakerEvents>, change: CircuitStateChange): void {
  try {
    events.emit('stateChanged', change);
  } catch (error) {
    try {
      events.emit('listenerError', error);
    } catch {
      // A throwing error listener is swallowed: nothing may break the breaker.
    }
  }
}
