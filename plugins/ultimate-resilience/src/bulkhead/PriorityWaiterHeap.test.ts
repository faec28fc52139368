import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PriorityWaiterHeap } from './PriorityWaiterHeap.js';
import type { PriorityHeapNode } from './PriorityWaiterHeap.js';

interface Node extends PriorityHeapNode {
  readonly id: number;
}

const node = (id: number, priority: number): Node => ({ id, priority, seq: id, heapIndex: -1 });

// Reference order: priority descending, then seq ascending (sorting is fine in a test).
const byAdmission = (a: Node, b: Node) => b.priority - a.priority || a.seq - b.seq;

describe('PriorityWaiterHeap', () => {
  it('pops by priority, FIFO within a priority', () => {
    const heap = new PriorityWaiterHeap<Node>();
    const nodes = [node(0, 0), node(1, 5), node(2, 5), node(3, 1), node(4, 0), node(5, -2)];
    for (const n of nodes) heap.push(n);
    expect(heap.size).toBe(6);
    expect(heap.peek()?.id).toBe(1);
    expect(heap.drain().map((n) => n.id)).toEqual([1, 2, 3, 0, 4, 5]);
    expect(heap.size).toBe(0);
    expect(nodes.every((n) => n.heapIndex === -1)).toBe(true);
  });

  it('removes any node and finds the worst, staying consistent with a sorted reference (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('push' as const), prio: fc.integer({ min: -3, max: 3 }) }),
            fc.record({ op: fc.constant('pop' as const) }),
            fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('worst' as const) }),
          ),
          { maxLength: 200 },
        ),
        (ops) => {
          const heap = new PriorityWaiterHeap<Node>();
          let ref: Node[] = [];
          let next = 0;
          for (const o of ops) {
            if (o.op === 'push') {
              const n = node(next++, o.prio);
              heap.push(n);
              ref.push(n);
            } else if (o.op === 'pop') {
              ref.sort(byAdmission);
              expect(heap.pop()).toBe(ref.shift());
            } else if (o.op === 'remove') {
              if (ref.length === 0) continue;
              const victim = ref[o.pick % ref.length]!;
              expect(heap.remove(victim)).toBe(true);
              expect(heap.remove(victim)).toBe(false);
              ref = ref.filter((n) => n !== victim);
            } else {
              ref.sort(byAdmission);
              expect(heap.worst()).toBe(ref[ref.length - 1]);
            }
            expect(heap.size).toBe(ref.length);
          }
          ref.sort(byAdmission);
          expect(heap.drain()).toEqual(ref);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a node that is already in a heap', () => {
    const heap = new PriorityWaiterHeap<Node>();
    const n = node(1, 0);
    heap.push(n);
    expect(() => heap.push(n)).toThrow(/already in a heap/);
    expect(heap.size).toBe(1);
    expect(new PriorityWaiterHeap<Node>().remove(n)).toBe(false);
  });
});
