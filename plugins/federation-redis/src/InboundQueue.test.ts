import { describe, expect, it } from 'vitest';
import { isInvalidConfigurationError } from '@datawarehouse/sdk';
import { InboundQueue } from './InboundQueue.js';

const fail = (e: unknown) => {
  throw e;
};
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('InboundQueue', () => {
  it('handles at most maxPerTurn messages per event-loop turn, in order', async () => {
    const seen: string[] = [];
    const q = new InboundQueue(
      (_t, raw) => seen.push(raw),
      { maxQueued: 100, maxQueuedBytes: 1_000, maxPerTurn: 3 },
      fail,
    );
    for (let i = 0; i < 7; i++) q.push('t', String(i));
    expect(seen).toEqual([]); // nothing on the arrival path
    await turn();
    expect(seen).toEqual(['0', '1', '2']);
    await turn();
    expect(seen).toHaveLength(6);
    await turn();
    expect(seen).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(q.getStatistics()).toEqual({ queued: 0, shed: 0, maxDepth: 7, turns: 3 });
  });

  it('sheds what does not fit, by count and by bytes, and recovers', async () => {
    const seen: string[] = [];
    const q = new InboundQueue((_t, raw) => seen.push(raw), { maxQueued: 2, maxQueuedBytes: 10, maxPerTurn: 10 }, fail);
    expect(q.push('t', 'a')).toBe(true);
    expect(q.push('t', 'b')).toBe(true);
    expect(q.push('t', 'c')).toBe(false);
    await turn();
    expect(q.push('t', 'x'.repeat(11))).toBe(false);
    expect(q.push('t', 'y'.repeat(10))).toBe(true);
    await turn();
    expect(seen).toEqual(['a', 'b', 'y'.repeat(10)]);
    expect(q.getStatistics().shed).toBe(2);
  });

  it('a handler that throws does not wedge the queue; clear drops what waits', async () => {
    const seen: string[] = [];
    const errors: unknown[] = [];
    const q = new InboundQueue(
      (_t, raw) => {
        seen.push(raw);
        if (raw === 'boom') throw new Error('boom');
      },
      { maxQueued: 10, maxQueuedBytes: 100, maxPerTurn: 2 },
      (e) => errors.push(e),
    );
    q.push('t', 'boom');
    q.push('t', 'after');
    await turn();
    expect(seen).toEqual(['boom', 'after']);
    q.push('t', 'dropped');
    q.clear();
    await turn();
    expect(seen).toEqual(['boom', 'after']);
    expect(errors).toHaveLength(1);
  });

  it('refuses limits that are not positive integers', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      try {
        new InboundQueue(() => undefined, { maxQueued: bad, maxQueuedBytes: 1, maxPerTurn: 1 }, fail);
        expect.unreachable();
      } catch (e) {
        expect(isInvalidConfigurationError(e) && e.field).toBe('maxQueued');
      }
    }
  });
});
