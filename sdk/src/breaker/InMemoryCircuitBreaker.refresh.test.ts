import { describe, expect, it } from 'vitest';
import type { CircuitBreakerOptions, CircuitStateChange } from './ICircuitBreaker.js';
import { CIRCUIT_TRANSITION_ORIGINS, InMemoryCircuitBreaker } from './InMemoryCircuitBreaker.js';
import { VirtualClock } from '../time/VirtualClock.js';
import { fieldOf } from '../testing/index.js';

function setup(options: Partial<CircuitBreakerOptions> = {}) {
  const clock = new VirtualClock(1000);
  const breaker = new InMemoryCircuitBreaker('db', { failureThreshold: 1, breakDurationMs: 100, ...options }, clock);
  const changes: CircuitStateChange[] = [];
  breaker.events.on('stateChanged', (c) => changes.push(c));
  return { clock, breaker, changes };
}

const edges = (changes: CircuitStateChange[]) => changes.map((c) => `${c.previousState}->${c.newState}:${c.origin}`);

describe('InMemoryCircuitBreaker state and refresh', () => {
  it('reads state without ever transitioning or emitting, also long after the break elapsed', () => {
    const { breaker, clock, changes } = setup();
    breaker.recordFailure(breaker.acquirePermission(), 1);
    clock.advance(10_000);
    for (let i = 0; i < 3; i++) expect(breaker.state).toBe('open');
    expect(changes).toHaveLength(1);
  });

  it('refresh() moves an elapsed break to half-open once, emitting with origin local and the time of the refresh', () => {
    const { breaker, clock, changes } = setup();
    breaker.recordFailure(breaker.acquirePermission(), 1);
    clock.advance(99);
    breaker.refresh();
    expect(breaker.state).toBe('open');
    clock.advance(5);
    breaker.refresh();
    breaker.refresh();
    expect(breaker.state).toBe('half-open');
    expect(changes.slice(1)).toEqual([
      {
        name: 'db',
        previousState: 'open',
        newState: 'half-open',
        reason: 'break-elapsed',
        timestamp: 1104,
        origin: 'local',
      },
    ]);
  });

  it("refresh() takes the caller's time (a non-finite one counts as absent) and an origin", () => {
    const { breaker, changes } = setup();
    breaker.trip();
    breaker.refresh(1099, 'remote');
    breaker.refresh(Number.NaN, 'remote'); // the clock: 1000, not due
    expect(breaker.state).toBe('open');
    breaker.refresh(1100, 'remote');
    expect(changes.at(-1)).toMatchObject({ newState: 'half-open', timestamp: 1100, origin: 'remote' });
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
    expect(edges(changes)).toEqual(['closed->open:local', 'open->half-open:local']);
  });
});

describe('InMemoryCircuitBreaker transition origins', () => {
  it('marks transitions caused by calls as local', () => {
    const { breaker, clock, changes } = setup();
    breaker.recordFailure(breaker.acquirePermission(), 1); // failure-threshold
    clock.advance(100);
    breaker.recordFailure(breaker.acquirePermission(), 1); // break-elapsed, probe-failed
    clock.advance(100);
    breaker.recordSuccess(breaker.acquirePermission(), 1); // break-elapsed, probe-succeeded
    expect(edges(changes)).toEqual([
      'closed->open:local',
      'open->half-open:local',
      'half-open->open:local',
      'open->half-open:local',
      'half-open->closed:local',
    ]);
  });

  it('marks trip, tripFor, isolate, reset and restore as operator by default, and carries a given origin', () => {
    const { breaker, changes } = setup();
    breaker.trip();
    breaker.reset();
    breaker.tripFor(50);
    breaker.isolate();
    breaker.reset('r', 'remote');
    breaker.tripFor(50, 'r', 'remote');
    breaker.isolate('r', 'adaptation');
    breaker.restore({ state: 'closed', remainingBreakMs: 0, consecutiveFailures: 0, reason: 'x' });
    breaker.restore({ state: 'open', remainingBreakMs: 10, consecutiveFailures: 0, reason: 'x' }, 'remote');
    breaker.trip('r', 'local');
    expect(changes.map((c) => c.origin)).toEqual([
      'operator',
      'operator',
      'operator',
      'operator',
      'remote',
      'remote',
      'adaptation',
      'operator',
      'remote',
    ]); // the last trip restarted a running break: no transition, no event
  });

  it('rejects an unknown origin naming the field, changing nothing', () => {
    const { breaker, changes } = setup();
    expect(CIRCUIT_TRANSITION_ORIGINS).toEqual(['local', 'remote', 'operator', 'adaptation']);
    expect(fieldOf(() => breaker.trip('r', 'elsewhere' as never))).toBe('origin');
    expect(fieldOf(() => breaker.refresh(undefined, 'elsewhere' as never))).toBe('origin');
    expect(
      fieldOf(() =>
        breaker.restore({ state: 'open', remainingBreakMs: 1, consecutiveFailures: 0, reason: '' }, 1 as never),
      ),
    ).toBe('origin');
    expect([breaker.state, changes.length]).toEqual(['closed', 0]);
  });
});
