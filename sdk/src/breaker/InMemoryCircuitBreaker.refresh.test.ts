import { describe, expect, it } from 'vitest';
import type { CircuitBreakerOptions, CircuitStateChange } from './ICircuitBreaker.js';
import { InMemoryCircuitBreaker } from './InMemoryCircuitBreaker.js';
import { VirtualClock } from '../time/VirtualClock.js';

function setup(options: Partial<CircuitBreakerOptions> = {}) {
  const clock = new VirtualClock(1000);
  const breaker = new InMemoryCircuitBreaker('db', { failureThreshold: 1, breakDurationMs: 100, ...options }, clock);
  const changes: CircuitStateChange[] = [];
  breaker.events.on('stateChanged', (c) => changes.push(c));
  return { clock, breaker, changes };
}

const edges = (changes: CircuitStateChange[]) => changes.map((c) => `${c.previousState}->${c.newState}`);

describe('InMemoryCircuitBreaker state and refresh', () => {
  it('reads state without ever transitioning or emitting, also long after the break elapsed', () => {
    const { breaker, clock, changes } = setup();
    breaker.recordFailure(breaker.acquirePermission(), 1);
    clock.advance(10_000);
    for (let i = 0; i < 3; i++) expect(breaker.state).toBe('open');
    expect(changes).toHaveLength(1);
  });

  it('refresh() moves an elapsed break to half-open once, emitting with the time of the refresh', () => {
    const { breaker, clock, changes } = setup();
    breaker.recordFailure(breaker.acquirePermission(), 1);
    clock.advance(99);
    breaker.refresh();
    expect(breaker.state).toBe('open');
    clock.advance(5);
    breaker.refresh();
    breaker.refresh();
    expect(breaker.state).toBe('half-open');
    expect(changes.slice(1)).toEqual([{
      name: 'db', previousState: 'open', newState: 'half-open', reason: 'break-elapsed', timestamp: 1104,
    }]);
  });

  it('refresh() takes the caller\'s time (a non-finite one counts as absent)', () => {
    const { breaker, changes } = setup();
    breaker.trip();
    breaker.refresh(1099);
    breaker.refresh(Number.NaN); // the clock: 1000, not due
    expect(breaker.state).toBe('open');
    breaker.refresh(1100);
    expect(changes.at(-1)).toMatchObject({ newState: 'half-open', timestamp: 1100 });
  });

  it('refresh() does nothing when the circuit is not open', () => {
    const { breaker, clock, changes } = setup();
    breaker.refresh();
    breaker.isolate();
    clock.advance(1e6);
    breaker.refresh();
    expect([breaker.state, changes.length]).toEqual(['isolated', 1]);
  });

  it('moves lazily on the per-call path exactly as before: the next call after the break is a probe', () => {
    const { breaker, clock, changes } = setup();
    breaker.recordFailure(breaker.acquirePermission(), 1);
    clock.advance(100);
    const probe = breaker.tryAcquirePermission();
    expect(typeof probe).toBe('number');
    expect(edges(changes)).toEqual(['closed->open', 'open->half-open']);
  });
});
