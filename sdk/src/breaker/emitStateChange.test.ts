import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'eventemitter3';
import type { CircuitBreakerEvents, CircuitStateChange } from './ICircuitBreaker.js';
import { emitStateChange } from './emitStateChange.js';

const change: CircuitStateChange = {
  name: 'db',
  previousState: 'closed',
  newState: 'open',
  reason: 'r',
  timestamp: 1,
  breakDurationMs: 5,
  origin: 'local',
};

describe('emitStateChange', () => {
  it('delivers the change to every listener', () => {
    const events = new EventEmitter<CircuitBreakerEvents>();
    const seen: CircuitStateChange[] = [];
    events.on('stateChanged', (c) => seen.push(c));
    emitStateChange(events, change);
    expect(seen).toEqual([change]);
  });

  it('reports a throwing listener as listenerError and swallows a throwing error listener', () => {
    const events = new EventEmitter<CircuitBreakerEvents>();
    const boom = new Error('listener');
    const errors: unknown[] = [];
    events.on('stateChanged', () => {
      throw boom;
    });
    events.on('listenerError', (e) => errors.push(e));
    events.on('listenerError', () => {
      throw new Error('error listener');
    });
    expect(() => emitStateChange(events, change)).not.toThrow();
    expect(errors).toEqual([boom]);
  });
});
