import { SdkCompatibility } from '@datawarehouse/sdk';
import type { BulkheadWaiterQueue } from '@datawarehouse/sdk';

/**
 * What a node carries to sit in a {@link PriorityWaiterHeap}: its priority (higher first), a
 * sequence number (lower first among equal priorities, i.e. FIFO) and its position in the
 * heap, kept up to date by the heap so the node can be removed in O(log n).
 * @since 6.0.0
 */
export interface PriorityHeapNode {
  readonly priority: number;
  readonly seq: number;
  /** Index in the heap's array; -1 when the node is in no heap. */
  heapIndex: number;
}

/**
 * An indexed binary max-heap ordered by (priority descending, seq ascending): `push`, `pop` and
 * `remove` of any node are O(log n) and allocate nothing beyond the array's growth; `worst()`
 * (the node that would be popped last) is O(n) and meant for rare operations (shrinking a
 * queue). A node is in at most one heap at a time. As a {@link BulkheadWaiterQueue} it is the
 * admission order of `PriorityBulkheadIsolation`.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class PriorityWaiterHeap<T extends PriorityHeapNode> implements BulkheadWaiterQueue<T> {
  private readonly items: T[] = [];

  /** Nodes in the heap. */
  get size(): number {
    return this.items.length;
  }

  /** The node that `pop` would return, or `undefined` when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  /**
   * Adds `node`. @throws Error when `node` is already in a heap (its index would be corrupted).
   */
  push(node: T): void {
    if (node.heapIndex !== -1) throw new Error('PriorityWaiterHeap.push: the node is already in a heap');
    const i = this.items.length;
    this.items.push(node);
    node.heapIndex = i;
    this.siftUp(i);
  }

  /** Removes and returns the highest-priority, oldest node, or `undefined` when empty. */
  pop(): T | undefined {
    return this.dequeueNext();
  }

  /** Same as {@link PriorityWaiterHeap.pop}. O(log n). */
  dequeueNext(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /**
   * Removes and returns {@link PriorityWaiterHeap.worst}, or `undefined` when empty. O(n):
   * meant for shrinking a queue, a rare, operator-driven event.
   */
  dequeueLast(): T | undefined {
    const worst = this.worst();
    if (worst !== undefined) this.removeAt(worst.heapIndex);
    return worst;
  }

  /** Removes `node` if it is in this heap; false (and nothing changes) otherwise. O(log n). */
  remove(node: T): boolean {
    const i = node.heapIndex;
    if (i < 0 || this.items[i] !== node) return false;
    this.removeAt(i);
    return true;
  }

  /** The node that would be popped last (lowest priority, newest), or `undefined`. O(n). */
  worst(): T | undefined {
    const items = this.items;
    // In a max-heap the minimum is a leaf; leaves start at floor(n / 2).
    let worst: T | undefined;
    for (let i = items.length >>> 1; i < items.length; i++) {
      const node = items[i]!;
      if (worst === undefined || before(worst, node)) worst = node;
    }
    return worst;
  }

  /** Removes and returns every node, best first (O(n log n)); the heap is empty after. */
  drain(): T[] {
    const out: T[] = [];
    for (let node = this.pop(); node !== undefined; node = this.pop()) out.push(node);
    return out;
  }

  private removeAt(i: number): void {
    const items = this.items;
    const node = items[i]!;
    const last = items.pop()!;
    node.heapIndex = -1;
    if (last === node) return;
    items[i] = last;
    last.heapIndex = i;
    if (i > 0 && before(last, items[(i - 1) >>> 1]!)) this.siftUp(i);
    else this.siftDown(i);
  }

  private siftUp(i: number): void {
    const items = this.items;
    const node = items[i]!;
    while (i > 0) {
      const p = (i - 1) >>> 1;
      const parent = items[p]!;
      if (!before(node, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = node;
    node.heapIndex = i;
  }

  private siftDown(i: number): void {
    const items = this.items;
    const n = items.length;
    const node = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(items[r]!, items[l]!) ? r : l;
      const child = items[c]!;
      if (!before(child, node)) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = node;
    node.heapIndex = i;
  }
}

// True when `a` is admitted before `b`: higher priority, then lower sequence number (FIFO).
function before(a: PriorityHeapNode, b: PriorityHeapNode): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);
}
