import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../time/VirtualClock.js';
import { isInvalidConfigurationError } from '../errors/errors.js';
import { executeUnderBreaker } from './executeUnderBreaker.js';
import { InMemoryCircuitBreaker } from './InMemoryCircuitBreaker.js';

function setup() {
  const clock = new VirtualClock(0);
  return { clock, breaker: new InMemoryCircuitBreaker('db', { failureThreshold: 1 }, clock) };
}

describe('executeUnderBreaker', () => {
  it('records a success with the duration read from the clock and returns the value', async () => {
    const { clock, breaker } = setup();
    await expect(
      executeUnderBreaker(breaker, clock, () => {
        clock.advance(40);
        return 7;
      }),
    ).resolves.toBe(7);
    expect(breaker.getStatistics()).toMatchObject({ successfulCalls: 1, lastSuccessAt: 40 });
  });

  it('counts an error as a failure unless the predicate says otherwise, rethrowing it either way', async () => {
    const { clock, breaker } = setup();
    const down = new Error('down');
    await expect(
      executeUnderBreaker(
        breaker,
        clock,
        () => Promise.reject(down),
        () => false,
      ),
    ).rejects.toBe(down);
    expect(breaker.state).toBe('closed');
    await expect(
      executeUnderBreaker(
        breaker,
        clock,
        () => Promise.reject(down),
        () => {
          throw new Error('predicate bug');
        },
      ),
    ).rejects.toBe(down);
    expect(breaker.state).toBe('open');
  });

  it('rejects a non-function operation or predicate without taking a permit', async () => {
    const { clock, breaker } = setup();
    await expect(executeUnderBreaker(breaker, clock, 1 as never)).rejects.toSatisfy(isInvalidConfigurationError);
    await expect(executeUnderBreaker(breaker, clock, () => 1, 'x' as never)).rejects.toSatisfy(
      isInvalidConfigurationError,
    );
    expect(breaker.getStatistics().totalCalls).toBe(0);
  });
});
