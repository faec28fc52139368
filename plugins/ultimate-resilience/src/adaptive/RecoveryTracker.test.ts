import { describe, expect, it } from 'vitest';
import { getSdkCompatibility } from '@datawarehouse/sdk';
import type { CircuitState, CircuitStateChange } from '@datawarehouse/sdk';
import { RecoveryTracker, isExternalTransition } from './RecoveryTracker.js';

function change(
  previousState: CircuitState,
  newState: CircuitState,
  timestamp: number,
  reason = 'x',
): CircuitStateChange {
  return { name: 'db', previousState, newState, timestamp, reason, origin: 'local' };
}

describe('RecoveryTracker', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(RecoveryTracker)?.sdkVersion).toBe('6.0.0');
  });

  it('measures from the first opening to the close, failed probes included', () => {
    const t = new RecoveryTracker();
    expect(t.observe(change('closed', 'open', 1_000, 'failure-threshold'), 0.5)).toBeUndefined();
    expect(t.openSince).toBe(1_000);
    t.observe(change('open', 'half-open', 31_000, 'break-elapsed'), 0.5);
    t.observe(change('half-open', 'open', 31_010, 'probe-failed'), 0.5);
    t.observe(change('open', 'half-open', 61_010, 'break-elapsed'), 0.5);
    expect(t.observe(change('half-open', 'closed', 61_020, 'probe-succeeded'), 0.5)).toBe(60_020);
    expect(t).toMatchObject({ count: 1, emaMs: 60_020, lastMs: 60_020, openSince: undefined });
  });

  it('keeps an EMA of the recovery times', () => {
    const t = new RecoveryTracker();
    for (const [open, close] of [
      [0, 10_000],
      [20_000, 22_000],
    ] as const) {
      t.observe(change('closed', 'open', open), 0.5);
      t.observe(change('half-open', 'closed', close), 0.5);
    }
    expect(t.count).toBe(2);
    expect(t.emaMs).toBe(6_000);
    expect(t.lastMs).toBe(2_000);
  });

  it('does not count operator holds and resets as recoveries', () => {
    const t = new RecoveryTracker();
    t.observe(change('closed', 'open', 0), 0.5);
    t.observe(change('open', 'closed', 5_000, 'manual-reset'), 0.5);
    t.observe(change('closed', 'open', 10_000), 0.5);
    t.observe(change('open', 'isolated', 11_000, 'isolated'), 0.5);
    t.observe(change('isolated', 'closed', 90_000, 'manual-reset'), 0.5);
    t.observe(change('closed', 'isolated', 100_000, 'isolated'), 0.5);
    t.observe(change('isolated', 'closed', 200_000, 'restored'), 0.5);
    expect(t.count).toBe(0);
    expect(t.emaMs).toBeUndefined();
  });

  it('does not record an episode an operator or another node started, continued or ended', () => {
    const t = new RecoveryTracker();
    const episodes: [string, string, string][] = [
      ['operator-trip', 'break-elapsed', 'probe-succeeded'],
      ['failure-threshold', 'break-elapsed', 'operator-reset'],
      ['manual-trip', 'break-elapsed', 'probe-succeeded'],
      ['failure-threshold', 'remote (from b)', 'probe-succeeded'],
      ['remote (from b)', 'break-elapsed', 'probe-succeeded'],
      ['failure-threshold', 'break-elapsed', 'remote (from b)'],
    ];
    episodes.forEach(([open, halfOpen, close], i) => {
      t.observe(change('closed', 'open', i * 100_000, open), 0.5);
      t.observe(change('open', 'half-open', i * 100_000 + 30_000, halfOpen), 0.5);
      expect(t.observe(change('half-open', 'closed', i * 100_000 + 30_010, close), 0.5)).toBeUndefined();
    });
    expect(t.count).toBe(0);
    // The circuit's own recovery after them still counts.
    t.observe(change('closed', 'open', 1_000_000, 'failure-threshold'), 0.5);
    expect(t.observe(change('half-open', 'closed', 1_005_000, 'probe-succeeded'), 0.5)).toBe(5_000);
    expect(isExternalTransition('operator-isolate')).toBe(true);
    expect(isExternalTransition('probe-succeeded')).toBe(false);
  });
});
