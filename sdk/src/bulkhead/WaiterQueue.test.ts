import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { WaiterLinks } from './WaiterQueue.js';
import { WaiterQueue } from './WaiterQueue.js';

class Node implements WaiterLinks<Node> {
  prev: Node | undefined = undefined;
  next: Node | undefined = undefined;
  queue: WaiterQueue<Node> | undefined = undefined;
  constructor(readonly id: number) {}
}

function ids(q: WaiterQueue<Node>): number[] {
  const out: number[] = [];
  for (let n = q.head; n !== undefined; n = n.next) out.push(n.id);
  return out;
}

function idsBackwards(q: WaiterQueue<Node>): number[] {
  const out: number[] = [];
  for (let n = q.tail; n !== undefined; n = n.prev) out.push(n.id);
  return out.reverse();
}

describe('WaiterQueue', () => {
  it('takes nodes from the head in the order they were pushed', () => {
    const q = new WaiterQueue<Node>();
    const nodes = [1, 2, 3].map((i) => new Node(i));
    for (const n of nodes) q.push(n);
    expect(q.size).toBe(3);
    expect(q.shift()?.id).toBe(1);
    expect(q.shift()?.id).toBe(2);
    expect(q.shift()?.id).toBe(3);
    expect(q.shift()).toBeUndefined();
    expect(q.size).toBe(0);
    expect(q.head).toBeUndefined();
    expect(q.tail).toBeUndefined();
  });

  it('pops the newest node from the tail', () => {
    const q = new WaiterQueue<Node>();
    for (const i of [1, 2, 3]) q.push(new Node(i));
    expect(q.pop()?.id).toBe(3);
    expect(ids(q)).toEqual([1, 2]);
    expect(q.tail?.id).toBe(2);
  });

  it('removes a node from the head, the middle and the tail and keeps both directions linked', () => {
    const q = new WaiterQueue<Node>();
    const nodes = [1, 2, 3, 4, 5].map((i) => new Node(i));
    for (const n of nodes) q.push(n);
    expect(q.remove(nodes[2]!)).toBe(true);
    expect(q.remove(nodes[0]!)).toBe(true);
    expect(q.remove(nodes[4]!)).toBe(true);
    expect(ids(q)).toEqual([2, 4]);
    expect(idsBackwards(q)).toEqual([2, 4]);
    expect(q.size).toBe(2);
  });

  it('clears the links of a removed node so it holds nothing and cannot be removed twice', () => {
    const q = new WaiterQueue<Node>();
    const [a, b, c] = [new Node(1), new Node(2), new Node(3)];
    q.push(a);
    q.push(b);
    q.push(c);
    q.remove(b);
    expect(b.prev).toBeUndefined();
    expect(b.next).toBeUndefined();
    expect(b.queue).toBeUndefined();
    expect(q.remove(b)).toBe(false);
    expect(q.size).toBe(2);
  });

  it('refuses to remove a node of another queue', () => {
    const q1 = new WaiterQueue<Node>();
    const q2 = new WaiterQueue<Node>();
    const n = new Node(1);
    q1.push(n);
    expect(q2.remove(n)).toBe(false);
    expect(q1.size).toBe(1);
    expect(q2.size).toBe(0);
  });

  it('refuses to push a node that is already queued', () => {
    const q = new WaiterQueue<Node>();
    const n = new Node(1);
    q.push(n);
    expect(() => q.push(n)).toThrow(/already in a queue/);
    expect(q.size).toBe(1);
  });

  it('lets a removed node be pushed again', () => {
    const q = new WaiterQueue<Node>();
    const [a, b] = [new Node(1), new Node(2)];
    q.push(a);
    q.push(b);
    q.remove(a);
    q.push(a);
    expect(ids(q)).toEqual([2, 1]);
  });

  it('behaves like an array model under random push/shift/pop/remove', () => {
    type Op = { t: 'push' } | { t: 'shift' } | { t: 'pop' } | { t: 'remove'; i: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.constant({ t: 'push' } as const),
      fc.constant({ t: 'shift' } as const),
      fc.constant({ t: 'pop' } as const),
      fc.nat(50).map((i) => ({ t: 'remove', i }) as const),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const q = new WaiterQueue<Node>();
        const model: Node[] = [];
        const all: Node[] = [];
        for (const o of ops) {
          if (o.t === 'push') {
            const n = new Node(all.length);
            all.push(n);
            model.push(n);
            q.push(n);
          } else if (o.t === 'shift') {
            expect(q.shift()).toBe(model.shift());
          } else if (o.t === 'pop') {
            expect(q.pop()).toBe(model.pop());
          } else if (all.length > 0) {
            const n = all[o.i % all.length]!;
            const at = model.indexOf(n);
            expect(q.remove(n)).toBe(at >= 0);
            if (at >= 0) model.splice(at, 1);
          }
          expect(q.size).toBe(model.length);
          expect(ids(q)).toEqual(model.map((n) => n.id));
          expect(idsBackwards(q)).toEqual(model.map((n) => n.id));
        }
      }),
    );
  });
});
