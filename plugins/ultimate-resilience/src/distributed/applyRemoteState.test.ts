import { describe, expect, it } from 'vitest';
import { InMemoryCircuitBreaker, VirtualClock } from '@datawarehouse/sdk';
import type { CircuitStateChange } from '@datawarehouse/sdk';
import { applyRemoteState } from './applyRemoteState.js';
import type { CircuitStateEntry } from './CircuitStateMessage.js';

function setup() {
  const clock = new VirtualClock(1_000);
  const breaker = new InMemoryCircuitBreaker('db', { failureThreshold: 1, breakDurationMs: 100 }, clock);
  const changes: CircuitStateChange[] = [];
  breaker.events.on('stateChanged', (c) => changes.push(c));
  return { clock, breaker, changes };
}

const entry = (overrides: Partial<CircuitStateEntry>): CircuitStateEntry => ({
  strategyId: 'db',
  lamport: 5,
  origin: 'n2',
  state: 'open',
  remainingBreakMs: 500,
  reason: 'down',
  ...overrides,
});

const edges = (changes: CircuitStateChange[]) => changes.map((c) => `${c.previousState}->${c.newState}:${c.origin}`);

describe('applyRemoteState', () => {
  it('marks every transition it causes as remote, for each adopted state', () => {
    const { breaker, changes } = setup();
    applyRemoteState(breaker, entry({ state: 'isolated', remainingBreakMs: 0 }));
    applyRemoteState(breaker, entry({ state: 'open' })); // lifts the hold first
    applyRemoteState(breaker, entry({ state: 'half-open', remainingBreakMs: 0 }));
    applyRemoteState(breaker, entry({ state: 'closed', remainingBreakMs: 0 }));
    applyRemoteState(breaker, entry({ state: 'open', remainingBreakMs: 0 })); // a break already over: straight to half-open
    expect(edges(changes)).toEqual([
      'closed->isolated:remote',
      'isolated->closed:remote',
      'closed->open:remote',
      'open->half-open:remote',
      'half-open->closed:remote',
      'closed->open:remote',
      'open->half-open:remote',
    ]);
    // Each carries the writer's reason, except the lazy half-open, which keeps its own.
    expect(changes.filter((c) => c.reason !== 'break-elapsed').every((c) => c.reason === 'down (from n2)')).toBe(true);
  });

  it('runs a local break found elapsed on the way as part of the remote state (origin remote)', () => {
    const { breaker, clock, changes } = setup();
    breaker.recordFailure(breaker.acquirePermission(), 1); // local: open for 100 ms
    clock.advance(150);
    applyRemoteState(breaker, entry({ state: 'open', remainingBreakMs: 500 }));
    expect(edges(changes)).toEqual(['closed->open:local', 'open->half-open:remote', 'half-open->open:remote']);
    expect(breaker.retryAfterMs()).toBe(500);
  });

  it('changes nothing when the breaker is already in the adopted state', () => {
    const { breaker, changes } = setup();
    applyRemoteState(breaker, entry({ state: 'closed', remainingBreakMs: 0 }));
    breaker.isolate();
    applyRemoteState(breaker, entry({ state: 'isolated', remainingBreakMs: 0 }));
    expect(edges(changes)).toEqual(['closed->isolated:operator']);
  });
});
