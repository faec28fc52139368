import { describe, expect, it } from 'vitest';
import { CircuitCallCounters } from './CircuitCallCounters.js';

const view = {
  state: 'closed' as const,
  nextTicket: 1,
  windowFailures: 0,
  windowCalls: 0,
  halfOpenInFlight: 0,
  stateEnteredAt: 100,
  now: 250,
};

describe('CircuitCallCounters', () => {
  it('reports no call and no last times when new', () => {
    expect(new CircuitCallCounters().report(view)).toEqual({
      state: 'closed',
      totalCalls: 0,
      successfulCalls: 0,
      failedCalls: 0,
      rejectedCalls: 0,
      slowCalls: 0,
      windowFailures: 0,
      windowCalls: 0,
      halfOpenInFlight: 0,
      lastFailureAt: undefined,
      lastSuccessAt: undefined,
      stateEnteredAt: 100,
      timeInStateMs: 150,
      openedCount: 0,
    });
  });

  it('counts outcomes with their times, and every permission asked as an issued ticket or a rejection', () => {
    const c = new CircuitCallCounters();
    c.success(10, false);
    c.success(20, true);
    c.failure(30);
    c.rejectedCalls += 2;
    expect(c.report({ ...view, nextTicket: 5 })).toMatchObject({
      totalCalls: 6,
      successfulCalls: 2,
      slowCalls: 1,
      failedCalls: 1,
      rejectedCalls: 2,
      lastSuccessAt: 20,
      lastFailureAt: 30,
    });
  });

  it('starts over on restart, from the given ticket', () => {
    const c = new CircuitCallCounters();
    c.success(10, true);
    c.failure(30);
    c.rejectedCalls = 4;
    c.openedCount = 3;
    c.restart(9, 1);
    expect(c.report({ ...view, nextTicket: 10 })).toMatchObject({
      totalCalls: 1,
      successfulCalls: 0,
      slowCalls: 0,
      failedCalls: 0,
      rejectedCalls: 0,
      lastSuccessAt: undefined,
      lastFailureAt: undefined,
      openedCount: 1,
    });
  });
});
