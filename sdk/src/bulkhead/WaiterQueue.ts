import type { BulkheadWaiterQueue } from './QueuedBulkhead.js';
import { SdkCompatibility } from '../compat/SdkCompatibility.js';

/**
 * The links a node carries to sit in a {@link WaiterQueue}. The node owns its links (the list
 * is intrusive), so removing a node from the middle is O(1) and allocates nothing.
 * @since 6.0.0
 */
export interface WaiterLinks<T extends WaiterLinks<T>> {
  prev: T | undefined;
  next: T | undefined;
  /** The queue holding the node, or `undefined` when it is in none. */
  queue: WaiterQueue<T> | undefined;
}

/**
 * An intrusive doubly-linked FIFO: push at the tail, take from the head (oldest) or the tail
 * (newest), and remove any node in O(1). A node is in at most one queue at a time. As a
 * {@link BulkheadWaiterQueue} it is the FIFO order of `InMemoryBulkheadIsolation`.
 *
 * @example
 * ```ts
 * const q = new WaiterQueue<Waiter>();
 * q.push(w);
 * q.remove(w); // O(1), e.g. when w's signal aborts
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class WaiterQueue<T extends WaiterLinks<T>> implements BulkheadWaiterQueue<T> {
  private first: T | undefined = undefined;
  private last: T | undefined = undefined;
  private count = 0;

  /** Nodes in the queue. */
  get size(): number {
    return this.count;
  }

  /** The oldest node, or `undefined` when empty. */
  get head(): T | undefined {
    return this.first;
  }

  /** The newest node, or `undefined` when empty. */
  get tail(): T | undefined {
    return this.last;
  }

  /**
   * Appends `node` at the tail.
   * @throws Error when `node` is already in a queue (re-linking it would corrupt that queue).
   */
  push(node: T): void {
    if (node.queue !== undefined) throw new Error('WaiterQueue.push: the node is already in a queue');
    node.queue = this;
    node.prev = this.last;
    node.next = undefined;
    if (this.last === undefined) this.first = node;
    else this.last.next = node;
    this.last = node;
    this.count++;
  }

  /** Removes and returns the oldest node, or `undefined` when empty. */
  shift(): T | undefined {
    return this.dequeueNext();
  }

  /** Removes and returns the newest node, or `undefined` when empty. */
  pop(): T | undefined {
    return this.dequeueLast();
  }

  /** Same as {@link WaiterQueue.shift}: the oldest node is admitted next. */
  dequeueNext(): T | undefined {
    const node = this.first;
    if (node !== undefined) this.unlink(node);
    return node;
  }

  /** Same as {@link WaiterQueue.pop}: the newest node would be admitted last. */
  dequeueLast(): T | undefined {
    const node = this.last;
    if (node !== undefined) this.unlink(node);
    return node;
  }

  /** Removes `node` if it is in this queue; false (and nothing changes) otherwise. O(1). */
  remove(node: T): boolean {
    if (node.queue !== this) return false;
    this.unlink(node);
    return true;
  }

  private unlink(node: T): void {
    const { prev, next } = node;
    if (prev === undefined) this.first = next;
    else prev.next = next;
    if (next === undefined) this.last = prev;
    else next.prev = prev;
    // Cleared so a removed node keeps no other node alive and cannot be removed twice.
    node.prev = undefined;
    node.next = undefined;
    node.queue = undefined;
    this.count--;
  }
}
