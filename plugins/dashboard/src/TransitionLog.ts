import { SdkCompatibility } from '@datawarehouse/sdk';
import type { CircuitTransitionEvent } from '@datawarehouse/sdk';

/** A circuit transition as the event log shows it. @since 6.1.0 */
export interface LoggedTransition {
  /** Increasing number: the page skips what it has already seen. */
  readonly seq: number;
  /** Wall-clock time, ms since the epoch. */
  readonly at: number;
  readonly strategyId: string;
  readonly from: string;
  readonly to: string;
  /** `local`, `remote`, `operator` or `adaptation`. */
  readonly origin: string;
  readonly remoteNode?: string;
  readonly reason: string;
}

/** Another node this one received circuit state from. @since 6.1.0 */
export interface NodeSeen {
  readonly node: string;
  /** Wall-clock time of the last transition received from it. */
  readonly lastAt: number;
  readonly strategyId: string;
  readonly to: string;
  readonly transitions: number;
}

const MAX_NODES = 256;
const MAX_REASON = 200;

/**
 * The last transitions (a ring of `capacity`) and the nodes remote transitions came from
 * (at most 256, the least recently heard dropped first). `record` runs on the call path of the
 * resilience plugin (it is a hook), so it only copies a few fields.
 * @since 6.1.0
 */
@SdkCompatibility('6.0.0')
export class TransitionLog {
  private readonly ring: (LoggedTransition | undefined)[];
  private next = 0;
  private seq = 0;
  private readonly seen = new Map<string, NodeSeen>();
  private nodesVersion = 0;

  constructor(
    private readonly capacity: number,
    private readonly wall: () => number = Date.now,
  ) {
    this.ring = new Array<LoggedTransition | undefined>(capacity);
  }

  /** Sequence number of the last transition recorded (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Changes whenever the node table changes. */
  get nodesRevision(): number {
    return this.nodesVersion;
  }

  /** Records one transition (a `ResilienceHooks.onCircuitTransition` hook). */
  record(event: CircuitTransitionEvent): void {
    const at = this.wall();
    const entry: LoggedTransition = {
      seq: ++this.seq,
      at,
      strategyId: String(event.strategyId),
      from: String(event.from),
      to: String(event.to),
      origin: String(event.origin),
      ...(event.remoteNode !== undefined && { remoteNode: String(event.remoteNode) }),
      reason: String(event.reason).slice(0, MAX_REASON),
    };
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (event.origin === 'remote' && event.remoteNode !== undefined) {
      const node = String(event.remoteNode);
      const before = this.seen.get(node);
      this.seen.delete(node);
      this.seen.set(node, {
        node,
        lastAt: at,
        strategyId: entry.strategyId,
        to: entry.to,
        transitions: (before?.transitions ?? 0) + 1,
      });
      if (this.seen.size > MAX_NODES) this.seen.delete(this.seen.keys().next().value!);
      this.nodesVersion++;
    }
  }

  /** Transitions kept with `seq` greater than `afterSeq`, oldest first. */
  since(afterSeq = 0): LoggedTransition[] {
    const out: LoggedTransition[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const e = this.ring[(this.next + i) % this.capacity];
      if (e !== undefined && e.seq > afterSeq) out.push(e);
    }
    return out;
  }

  /** The nodes heard from, most recent first. */
  nodes(): NodeSeen[] {
    return [...this.seen.values()].reverse();
  }
}
