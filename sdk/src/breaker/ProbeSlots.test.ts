import { describe, expect, it } from 'vitest';
import { ProbeSlots } from './ProbeSlots.js';

describe('ProbeSlots', () => {
  it('admits at most limit probes at once', () => {
    const slots = new ProbeSlots(2);
    expect(slots.admit(1)).toBe(true);
    expect(slots.admit(2)).toBe(true);
    expect(slots.hasFreeSlot).toBe(false);
    expect(slots.admit(3)).toBe(false);
    expect(slots.inFlight).toBe(2);
  });

  it('frees a slot on the first settle of a ticket only', () => {
    const slots = new ProbeSlots(2);
    slots.admit(1);
    slots.admit(2);
    expect(slots.settle(1)).toBe(true);
    expect(slots.settle(1)).toBe(false); // a second outcome must not free probe 2's slot
    expect(slots.inFlight).toBe(1);
    expect(slots.admit(3)).toBe(true);
    expect(slots.admit(4)).toBe(false);
  });

  it('ignores tickets it never admitted, including 0 (the free marker)', () => {
    const slots = new ProbeSlots(3);
    slots.admit(7);
    expect(slots.settle(0)).toBe(false);
    expect(slots.settle(8)).toBe(false);
    expect(slots.inFlight).toBe(1);
  });

  it('grows past its initial capacity up to a large limit', () => {
    const slots = new ProbeSlots(100);
    for (let t = 1; t <= 100; t++) expect(slots.admit(t)).toBe(true);
    expect(slots.admit(101)).toBe(false);
    for (let t = 1; t <= 100; t++) expect(slots.settle(t)).toBe(true);
    expect(slots.inFlight).toBe(0);
  });

  it('keeps probes in flight when the limit shrinks, admitting again only below the new limit', () => {
    const slots = new ProbeSlots(3);
    slots.admit(1);
    slots.admit(2);
    slots.admit(3);
    slots.setLimit(1);
    expect(slots.inFlight).toBe(3);
    slots.settle(1);
    expect(slots.admit(4)).toBe(false);
    slots.settle(2);
    slots.settle(3);
    expect(slots.admit(5)).toBe(true);
    expect(slots.admit(6)).toBe(false);
  });

  it('clear() forgets every probe', () => {
    const slots = new ProbeSlots(1);
    slots.admit(1);
    slots.clear();
    expect(slots.inFlight).toBe(0);
    expect(slots.settle(1)).toBe(false);
    expect(slots.admit(2)).toBe(true);
  });
});
