import { describe, expect, it } from 'vitest';
import { fieldOf as fieldThrownBy } from '@datawarehouse/sdk/testing';
import { CIRCUIT_STATE_TOPIC, DEFAULT_DISTRIBUTED_OPTIONS, resolveDistributedOptions } from './DistributedOptions.js';

const fieldOf = (input: unknown): string | undefined => fieldThrownBy(() => resolveDistributedOptions(input));

describe('resolveDistributedOptions', () => {
  it('fills the documented defaults into a frozen object', () => {
    const o = resolveDistributedOptions({});
    expect(o).toEqual(DEFAULT_DISTRIBUTED_OPTIONS);
    expect(o.topic).toBe(CIRCUIT_STATE_TOPIC);
    expect(o.antiEntropyIntervalMs).toBe(30_000);
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('keeps given values, 0 turning anti-entropy off', () => {
    expect(
      resolveDistributedOptions({ enabled: false, antiEntropyIntervalMs: 0, maxMessageBytes: 4096, topic: 't' }),
    ).toMatchObject({ enabled: false, antiEntropyIntervalMs: 0, maxMessageBytes: 4096, topic: 't' });
  });

  it('rejects bad values naming distributed.<field>', () => {
    expect(fieldOf(null)).toBe('distributed');
    expect(fieldOf({ enabled: 'yes' })).toBe('distributed.enabled');
    expect(fieldOf({ antiEntropyIntervalMs: 5 })).toBe('distributed.antiEntropyIntervalMs');
    expect(fieldOf({ antiEntropyIntervalMs: -1 })).toBe('distributed.antiEntropyIntervalMs');
    expect(fieldOf({ syncResponseDelayMs: Number.NaN })).toBe('distributed.syncResponseDelayMs');
    expect(fieldOf({ maxMessageBytes: 1024 })).toBe('distributed.maxMessageBytes');
    expect(fieldOf({ maxEntriesPerMessage: 0 })).toBe('distributed.maxEntriesPerMessage');
    expect(fieldOf({ syncOnStart: 1 })).toBe('distributed.syncOnStart');
    expect(fieldOf({ topic: 'x'.repeat(300) })).toBe('distributed.topic');
    expect(fieldOf({ antiEntropyMs: 1000 })).toBe('distributed.antiEntropyMs');
  });
});
