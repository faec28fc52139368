import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CircuitBreakerOptions, CircuitState, CircuitStateChange } from './ICircuitBreaker.js';
import { InMemoryCircuitBreaker } from './InMemoryCircuitBreaker.js';
import { VirtualClock } from '../time/VirtualClock.js';
import { isCircuitOpenError } from '../errors/errors.js';

type Command =
  | { kind: 'acquire' }
  | { kind: 'success' | 'failure'; pick: number; duration: number }
  | { kind: 'release'; pick: number }
  | { kind: 'replay'; pick: number; outcome: 0 | 1 | 2 }
  | { kind: 'advance'; ms: number }
  | { kind: 'trip' }
  | { kind: 'tripFor'; ms: number }
  | { kind: 'isolate' }
  | { kind: 'reset' }
  | { kind: 'reconfigure'; options: Partial<CircuitBreakerOptions> }
  | { kind: 'restore'; state: CircuitState; remainingBreakMs: number; streak: number }
  | { kind: 'read' };

const optionsArb = fc.record({
  mode: fc.constantFrom('consecutive', 'count', 'rate') as fc.Arbitrary<CircuitBreakerOptions['mode']>,
  failureThreshold: fc.integer({ min: 1, max: 4 }),
  failureRateThreshold: fc.constantFrom(0.25, 0.5, 1),
  minimumThroughput: fc.integer({ min: 1, max: 5 }),
  samplingWindowMs: fc.integer({ min: 20, max: 500 }),
  windowBuckets: fc.integer({ min: 1, max: 5 }),
  breakDurationMs: fc.integer({ min: 1, max: 200 }),
  halfOpenMaxAttempts: fc.integer({ min: 1, max: 3 }),
  halfOpenSuccessThreshold: fc.integer({ min: 1, max: 3 }),
  slowCallDurationMs: fc.option(fc.integer({ min: 5, max: 50 }), { nil: undefined }),
  slowCallRateThreshold: fc.constantFrom(0.5, 1),
});

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'acquire' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('success' as const),
      pick: fc.nat(),
      duration: fc.integer({ min: 0, max: 80 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('failure' as const),
      pick: fc.nat(),
      duration: fc.integer({ min: 0, max: 80 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('replay' as const),
      pick: fc.nat(),
      outcome: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 300 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'trip' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tripFor' as const), ms: fc.integer({ min: 0, max: 300 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'isolate' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('reconfigure' as const),
      options: optionsArb.chain((o) =>
        fc
          .subarray(Object.keys(o))
          .map(
            (keys) =>
              Object.fromEntries(keys.map((k) => [k, o[k as keyof typeof o]])) as Partial<CircuitBreakerOptions>,
          ),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('restore' as const),
      state: fc.constantFrom('closed', 'open', 'half-open', 'isolated') as fc.Arbitrary<CircuitState>,
      remainingBreakMs: fc.integer({ min: 0, max: 300 }),
      streak: fc.integer({ min: 0, max: 5 }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'read' as const }) },
);

// Transitions any command may cause (outcomes, lazy reads, trips).
const GENERIC_EDGES = new Set(['closed->open', 'open->half-open', 'half-open->open', 'half-open->closed']);

describe('InMemoryCircuitBreaker (properties)', () => {
  it('keeps its invariants under random sequences of calls, time and operator actions', () => {
    fc.assert(
      fc.property(
        optionsArb,
        fc.array(commandArb, { minLength: 10, maxLength: 200, size: 'max' }),
        (initial, commands) => {
          const clock = new VirtualClock(0);
          const breaker = new InMemoryCircuitBreaker('prop', initial, clock);

          // The model, driven only by the commands issued and the events observed.
          let state: CircuitState = 'closed';
          let openedAt = 0;
          let openUntil = 0;
          let breakFromOptions = false;
          let command: Command['kind'] = 'read';
          const probes = new Set<number>();
          let probeSuccesses = 0;
          // Mirrors the breaker's epochs: every transition, reset, restore and trip starts one.
          let epoch = 0;
          let eventCount = 0;
          const permitEpoch = new Map<number, number>();
          const outstanding: number[] = [];
          const settled: number[] = [];
          let acquires = 0;
          let rejections = 0;

          breaker.events.on('stateChanged', (c: CircuitStateChange) => {
            const edge = `${c.previousState}->${c.newState}`;
            expect(c.previousState).toBe(state); // events form a chain
            expect(c.timestamp).toBe(clock.now());
            if (command === 'restore') {
              expect(c.reason).toBe('restored');
            } else if (command === 'isolate') {
              expect(c.newState).toBe('isolated');
            } else if (command === 'reset') {
              expect(c.newState).toBe('closed');
            } else {
              expect(GENERIC_EDGES.has(edge), `unexpected edge ${edge} (${c.reason}) on ${command}`).toBe(true);
              expect(command).not.toBe('reconfigure');
            }
            if (edge === 'open->half-open') expect(c.timestamp).toBeGreaterThanOrEqual(openUntil);
            if (c.newState === 'open') {
              expect(c.breakDurationMs).toBeTypeOf('number');
              openedAt = c.timestamp;
              openUntil = c.timestamp + c.breakDurationMs!;
              breakFromOptions = command !== 'tripFor' && command !== 'restore';
            }
            state = c.newState;
            epoch++;
            eventCount++;
            probes.clear(); // every transition ends the probe period
            probeSuccesses = 0;
          });

          const pickOutstanding = (pick: number): number | undefined => {
            if (outstanding.length === 0) return undefined;
            const [permit] = outstanding.splice(pick % outstanding.length, 1);
            settled.push(permit!);
            return permit;
          };

          for (const cmd of commands) {
            command = cmd.kind;
            switch (cmd.kind) {
              case 'acquire': {
                const blocked = state === 'isolated' || (state === 'open' && clock.now() < openUntil);
                const wasDue = state === 'open' && clock.now() >= openUntil;
                acquires++;
                let permit: number | undefined;
                try {
                  permit = breaker.acquirePermission();
                } catch (e) {
                  expect(isCircuitOpenError(e)).toBe(true);
                  rejections++;
                }
                if (permit !== undefined) {
                  expect(blocked, 'admitted a call while open before the break elapsed').toBe(false);
                  outstanding.push(permit);
                  permitEpoch.set(permit, epoch);
                  if (state === 'half-open') {
                    probes.add(permit);
                    expect(probes.size).toBeLessThanOrEqual(breaker.options.halfOpenMaxAttempts);
                  }
                } else {
                  // Refused: only when open before the break, isolated, or every probe slot taken.
                  expect(state, 'refused a call while closed').not.toBe('closed');
                  expect(wasDue, 'refused the first probe after the break elapsed').toBe(false);
                  if (state === 'half-open')
                    expect(probes.size).toBeGreaterThanOrEqual(breaker.options.halfOpenMaxAttempts);
                }
                break;
              }
              case 'success':
              case 'failure':
              case 'release': {
                const permit = pickOutstanding(cmd.pick);
                if (permit === undefined) break;
                const isProbe = probes.delete(permit);
                // A probe's outcome decides the half-open period exactly as documented.
                let expected: CircuitState | undefined;
                if (isProbe) {
                  const slowMs = breaker.options.slowCallDurationMs;
                  if (cmd.kind === 'failure') expected = 'open';
                  else if (cmd.kind === 'release') expected = 'half-open';
                  else if (slowMs !== undefined && cmd.duration >= slowMs) expected = 'open';
                  else
                    expected = probeSuccesses + 1 >= breaker.options.halfOpenSuccessThreshold ? 'closed' : 'half-open';
                  if (cmd.kind === 'success' && expected === 'half-open') probeSuccesses++;
                }
                const stale = permitEpoch.get(permit) !== epoch;
                const eventsBefore = eventCount;
                if (cmd.kind === 'success') breaker.recordSuccess(permit, cmd.duration);
                else if (cmd.kind === 'failure') breaker.recordFailure(permit, cmd.duration);
                else breaker.releasePermission(permit);
                if (expected !== undefined) expect(state).toBe(expected);
                if (stale) expect(eventCount, 'a stale permit drove a transition').toBe(eventsBefore);
                break;
              }
              case 'replay': {
                if (settled.length === 0) break;
                // Mostly a recent one: a probe of the current half-open period is the interesting case.
                const permit = settled[settled.length - 1 - (cmd.pick % Math.min(3, settled.length))]!;
                const stale = permitEpoch.get(permit) !== epoch;
                const eventsBefore = eventCount;
                if (cmd.outcome === 0) breaker.recordSuccess(permit, 1);
                else if (cmd.outcome === 1) breaker.recordFailure(permit, 1);
                else breaker.releasePermission(permit);
                if (stale) expect(eventCount, 'a stale permit drove a transition').toBe(eventsBefore);
                break;
              }
              case 'advance':
                clock.advance(cmd.ms);
                break;
              case 'trip':
              case 'tripFor': {
                const wasOpen = state === 'open';
                if (state !== 'isolated') epoch++;
                if (cmd.kind === 'trip') breaker.trip();
                else breaker.tripFor(cmd.ms, 'remote');
                if (state === 'isolated') break;
                expect(state).toBe('open');
                if (wasOpen) {
                  // no event: the break restarts
                  openedAt = clock.now();
                  openUntil = clock.now() + (cmd.kind === 'trip' ? breaker.options.breakDurationMs : cmd.ms);
                  breakFromOptions = cmd.kind === 'trip';
                }
                break;
              }
              case 'isolate':
                breaker.isolate();
                expect(state).toBe('isolated');
                break;
              case 'reset':
                epoch++;
                breaker.reset();
                expect(state).toBe('closed');
                break;
              case 'reconfigure': {
                breaker.reconfigure(cmd.options);
                if (state === 'open' && breakFromOptions && clock.now() < openUntil) {
                  openUntil = openedAt + breaker.options.breakDurationMs;
                }
                break;
              }
              case 'restore': {
                epoch++;
                breaker.restore({
                  state: cmd.state,
                  remainingBreakMs: cmd.remainingBreakMs,
                  consecutiveFailures: cmd.streak,
                  reason: 'snap',
                });
                state = cmd.state;
                probes.clear();
                probeSuccesses = 0;
                acquires = rejections = 0;
                if (cmd.state === 'open') {
                  openedAt = clock.now();
                  openUntil = clock.now() + cmd.remainingBreakMs;
                  breakFromOptions = false;
                }
                break;
              }
              case 'read': {
                const s = breaker.getStatistics();
                expect(s.state).toBe(state);
                expect(s.halfOpenInFlight).toBe(probes.size);
                expect([s.totalCalls, s.rejectedCalls]).toEqual([acquires, rejections]);
                if (state !== 'half-open') expect(s.halfOpenInFlight).toBe(0);
                if (state === 'open') expect(breaker.retryAfterMs()).toBe(openUntil - clock.now());
                if (state === 'isolated') expect(breaker.retryAfterMs()).toBe(Infinity);
                break;
              }
            }
            expect(clock.pendingTimers).toBe(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('closes only after halfOpenSuccessThreshold successful probes, with never more than halfOpenMaxAttempts in flight', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.constantFrom('acquire', 'succeed', 'release'), { maxLength: 60 }),
        (maxAttempts, needed, steps) => {
          const clock = new VirtualClock(0);
          const breaker = new InMemoryCircuitBreaker(
            'probe',
            {
              halfOpenMaxAttempts: maxAttempts,
              halfOpenSuccessThreshold: needed,
              breakDurationMs: 10,
            },
            clock,
          );
          breaker.trip();
          clock.advance(10);
          breaker.refresh();
          const inFlight: number[] = [];
          let successes = 0;
          for (const step of steps) {
            if (breaker.state !== 'half-open') break;
            if (step === 'acquire') {
              try {
                inFlight.push(breaker.acquirePermission());
              } catch {
                expect(inFlight.length).toBe(maxAttempts);
              }
              expect(inFlight.length).toBeLessThanOrEqual(maxAttempts);
            } else if (inFlight.length > 0) {
              const permit = inFlight.shift()!;
              if (step === 'succeed') {
                breaker.recordSuccess(permit, 1);
                successes++;
              } else {
                breaker.releasePermission(permit);
              }
            }
            expect(breaker.state).toBe(successes >= needed ? 'closed' : 'half-open');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
