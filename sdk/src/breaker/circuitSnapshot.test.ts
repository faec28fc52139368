import { describe, expect, it } from 'vitest';
import { fieldOf } from '../testing/index.js';
import { planRestore, snapshotOf } from './circuitSnapshot.js';
import { CLOSED, ISOLATED, OPEN } from './circuitStateCodes.js';

describe('snapshotOf', () => {
  it('gives an open break as the time left from now, never negative', () => {
    expect(snapshotOf(OPEN, 1_500, 3, 'failure-threshold', 1_200)).toEqual({
      state: 'open',
      remainingBreakMs: 300,
      consecutiveFailures: 3,
      reason: 'failure-threshold',
    });
    expect(snapshotOf(OPEN, 1_500, 0, 'r', 2_000).remainingBreakMs).toBe(0);
    expect(snapshotOf(ISOLATED, 1_500, 0, 'ops', 1_200).remainingBreakMs).toBe(0);
  });
});

describe('planRestore', () => {
  it('reads the state code, the break (open only), the streak and the reason', () => {
    expect(planRestore({ state: 'open', remainingBreakMs: 700, consecutiveFailures: 2, reason: 'x' })).toEqual({
      code: OPEN,
      breakMs: 700,
      streak: 2,
      reason: 'x',
    });
    expect(planRestore({ state: 'closed', remainingBreakMs: 700, consecutiveFailures: 0, reason: '' })).toEqual({
      code: CLOSED,
      breakMs: 0,
      streak: 0,
      reason: '',
    });
  });

  it('rejects an invalid snapshot naming the field', () => {
    expect(
      fieldOf(() => planRestore({ state: 'open', remainingBreakMs: -1, consecutiveFailures: 0, reason: '' })),
    ).toBe('snapshot.remainingBreakMs');
  });
});
