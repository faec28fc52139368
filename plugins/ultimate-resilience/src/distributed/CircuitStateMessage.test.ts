import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isInvalidConfigurationError } from '@datawarehouse/sdk';
import { fieldOf } from '@datawarehouse/sdk/testing';
import {
  MAX_REMAINING_BREAK_MS,
  parseCircuitStateEntry,
  validateCircuitStatePayload,
  validateCircuitStatePayloadHeader,
  validateCircuitSyncRequestPayload,
} from './CircuitStateMessage.js';

const good = {
  strategyId: 'db',
  lamport: 1,
  origin: 'n1',
  state: 'open',
  remainingBreakMs: 500,
  reason: 'failure-threshold',
};

describe('validateCircuitStatePayload', () => {
  it('accepts a well-formed payload', () => {
    expect(
      validateCircuitStatePayload(
        { v: 1, kind: 'sync', entries: [good, { ...good, state: 'closed', remainingBreakMs: 0 }] },
        10,
      ).entries,
    ).toHaveLength(2);
  });

  it('rejects each malformed field by name', () => {
    const p = (entries: unknown, extra: object = {}) => ({ v: 1, kind: 'transition', entries, ...extra });
    expect(fieldOf(() => validateCircuitStatePayload(null, 10))).toBe('payload');
    expect(fieldOf(() => validateCircuitStatePayload(p([good], { v: 2 }), 10))).toBe('payload.v');
    expect(fieldOf(() => validateCircuitStatePayload(p([good], { kind: 'gossip' }), 10))).toBe('payload.kind');
    expect(fieldOf(() => validateCircuitStatePayload(p([good], { more: 1 }), 10))).toBe('payload.more');
    expect(fieldOf(() => validateCircuitStatePayload(p([]), 10))).toBe('payload.entries');
    expect(fieldOf(() => validateCircuitStatePayload(p([good, good]), 1))).toBe('payload.entries');
    expect(fieldOf(() => validateCircuitStatePayload(p([{ ...good, lamport: 0 }]), 10))).toBe(
      'payload.entries[0].lamport',
    );
    expect(fieldOf(() => validateCircuitStatePayload(p([{ ...good, lamport: 2 ** 60 }]), 10))).toBe(
      'payload.entries[0].lamport',
    );
    expect(fieldOf(() => validateCircuitStatePayload(p([good, { ...good, state: 'broken' }]), 10))).toBe(
      'payload.entries[1].state',
    );
    expect(fieldOf(() => validateCircuitStatePayload(p([{ ...good, remainingBreakMs: Infinity }]), 10))).toBe(
      'payload.entries[0].remainingBreakMs',
    );
    expect(fieldOf(() => validateCircuitStatePayload(p([{ ...good, remainingBreakMs: 400 * 86_400_000 }]), 10))).toBe(
      'payload.entries[0].remainingBreakMs',
    );
    expect(fieldOf(() => validateCircuitStatePayload(p([{ ...good, state: 'isolated' }]), 10))).toBe(
      'payload.entries[0].remainingBreakMs',
    );
    expect(fieldOf(() => validateCircuitStatePayload(p([{ ...good, strategyId: '../etc' }]), 10))).toBe(
      'payload.entries[0].strategyId',
    );
    expect(fieldOf(() => validateCircuitStatePayload(p([{ ...good, origin: '' }]), 10))).toBe(
      'payload.entries[0].origin',
    );
    expect(fieldOf(() => validateCircuitStatePayload(p([{ ...good, reason: 'x'.repeat(257) }]), 10))).toBe(
      'payload.entries[0].reason',
    );
    expect(
      fieldOf(() => validateCircuitStatePayload(p([{ ...good, __proto__: { state: 'open' }, note: 1 }]), 10)),
    ).toBe('payload.entries[0].note');
  });

  it('never throws anything but InvalidConfigurationError, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        try {
          validateCircuitStatePayload({ v: 1, kind: 'sync', entries: [junk] }, 5);
        } catch (e) {
          expect(isInvalidConfigurationError(e)).toBe(true);
        }
      }),
    );
  });
});

describe('parseCircuitStateEntry', () => {
  it('returns a valid entry, and the reason of a bad one without throwing', () => {
    expect(parseCircuitStateEntry(good, 'e')).toEqual({ ok: true, entry: good });
    expect(parseCircuitStateEntry({ ...good, remainingBreakMs: MAX_REMAINING_BREAK_MS }, 'e').ok).toBe(true);
    const reason = (e: unknown) => {
      const r = parseCircuitStateEntry(e, 'e');
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason({ ...good, lamport: Number.MAX_SAFE_INTEGER })).toBe('ok');
    for (const lamport of [0, -1, 1.5, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER + 1, 1e308, '3']) {
      expect(reason({ ...good, lamport })).toBe('lamportOutOfRange');
    }
    for (const remainingBreakMs of [-1, Number.NaN, Infinity, MAX_REMAINING_BREAK_MS + 1, Number.MAX_VALUE]) {
      expect(reason({ ...good, remainingBreakMs })).toBe('breakOutOfRange');
    }
    expect(reason({ ...good, state: 'closed' })).toBe('breakOutOfRange');
    for (const bad of [
      null,
      7,
      [],
      { ...good, state: 'ajar' },
      { ...good, extra: 1 },
      { ...good, strategyId: '../x' },
      { ...good, lamport: 0, state: 'ajar' },
    ]) {
      expect(reason(bad)).toBe('malformed');
    }
    const r = parseCircuitStateEntry({ ...good, lamport: 0 }, 'payload.entries[2]');
    expect(r.ok ? undefined : r.error.field).toBe('payload.entries[2].lamport');
  });

  it('leaves the entries to the caller: the header check accepts any entries in 1..max', () => {
    expect(
      validateCircuitStatePayloadHeader({ v: 1, kind: 'sync', entries: [null, 'x', good] }, 3).entries,
    ).toHaveLength(3);
    expect(fieldOf(() => validateCircuitStatePayloadHeader({ v: 1, kind: 'sync', entries: [good, good] }, 1))).toBe(
      'payload.entries',
    );
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        expect(() => parseCircuitStateEntry(junk, 'e')).not.toThrow();
      }),
    );
  });
});

describe('validateCircuitSyncRequestPayload', () => {
  it('accepts { v: 1 } only', () => {
    expect(validateCircuitSyncRequestPayload({ v: 1 })).toEqual({ v: 1 });
    expect(fieldOf(() => validateCircuitSyncRequestPayload({ v: 1, all: true }))).toBe('payload.all');
    expect(fieldOf(() => validateCircuitSyncRequestPayload([]))).toBe('payload');
  });
});
