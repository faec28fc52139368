import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { InvalidConfigurationError } from '../errors/errors.js';
import type { Clock, TimerHandle } from '../time/Clock.js';
import type { PluginMessage } from './IFederatedMessageBus.js';
import type { InMemoryMessageBus } from './InMemoryMessageBus.js';

/**
 * One published message on the simulated wire, shared by all its deliveries.
 * @internal
 */
export interface Shipment {
  readonly topic: string;
  readonly wire: PluginMessage;
  /**
   * Deliveries not yet run (decremented just before `arrive`); when it reaches 0 nobody will
   * clone from `wire` again, so the last delivery may hand over `wire` itself.
   */
  remaining: number;
}

/**
 * One copy of a shipment on its way to one node.
 * @internal
 */
export interface Delivery {
  readonly shipment: Shipment;
  readonly source: InMemoryMessageBus;
  readonly target: InMemoryMessageBus;
  readonly link: Link | undefined;
  handle: TimerHandle | undefined;
}

/** Per (sender, receiver) state that keeps a link FIFO when reordering is off. */
interface Link {
  lastDue: number;
  inFlight: number;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * The timing half of `InMemoryFederation`: runs each delivery later (microtask for zero delay,
 * clock timer otherwise), keeps links FIFO on request, counts what is pending and cancels
 * everything on dispose. What a delivery does on arrival is the federation's `arrive` callback.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class DeliveryScheduler {
  private readonly links = new Map<InMemoryMessageBus, Map<InMemoryMessageBus, Link>>();
  private readonly timed = new Set<Delivery>();
  private pendingCount = 0;
  private settleWaiters: (() => void)[] = [];
  private disposed = false;

  constructor(
    private readonly clock: Clock,
    private readonly arrive: (delivery: Delivery) => void,
  ) {}

  /** Deliveries scheduled and not yet run. */
  get pending(): number {
    return this.pendingCount;
  }

  /** Schedules a zero-delay delivery with no ordering constraint (a node to itself). */
  now(shipment: Shipment, source: InMemoryMessageBus, target: InMemoryMessageBus): void {
    this.schedule(shipment, source, target, 0, undefined);
  }

  /**
   * Schedules a delivery `delayMs` from now. With `fifo`, it never arrives before an earlier
   * delivery on the same (source, target) link.
   */
  later(
    shipment: Shipment,
    source: InMemoryMessageBus,
    target: InMemoryMessageBus,
    delayMs: number,
    fifo: boolean,
  ): void {
    // Healthy-network fast path: nothing timed anywhere, so no link can be overtaken.
    if (delayMs === 0 && this.timed.size === 0) {
      this.schedule(shipment, source, target, 0, undefined);
      return;
    }
    let row = this.links.get(source);
    if (row === undefined) this.links.set(source, (row = new Map()));
    let link = row.get(target);
    if (link === undefined) row.set(target, (link = { lastDue: -Infinity, inFlight: 0 }));
    const now = this.clock.now();
    let due = now + delayMs;
    if (fifo && due < link.lastDue) due = link.lastDue;
    if (due <= now && (!fifo || link.inFlight === 0)) {
      this.schedule(shipment, source, target, 0, undefined);
      return;
    }
    if (due > link.lastDue) link.lastDue = due;
    // Equal due times run in creation order (VirtualClock; Node timers of one duration), keeping FIFO.
    this.schedule(shipment, source, target, due - now, link);
  }

  /** Resolves once nothing is pending. */
  settle(): Promise<void> {
    if (this.pendingCount === 0) return RESOLVED;
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  /** Forgets the link state of a removed node. */
  forget(bus: InMemoryMessageBus): void {
    this.links.delete(bus);
    for (const row of this.links.values()) row.delete(bus);
  }

  /** Cancels every timer, drops every pending delivery and resolves waiting `settle()` calls. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.timed) this.clock.clearTimeout(d.handle!);
    this.timed.clear();
    this.links.clear();
    this.pendingCount = 0;
    this.resolveSettled();
  }

  private schedule(
    shipment: Shipment,
    source: InMemoryMessageBus,
    target: InMemoryMessageBus,
    delayMs: number,
    link: Link | undefined,
  ): void {
    shipment.remaining++;
    this.pendingCount++;
    const d: Delivery = { shipment, source, target, link, handle: undefined };
    if (link === undefined) {
      queueMicrotask(() => this.run(d));
    } else {
      link.inFlight++;
      this.timed.add(d);
      d.handle = this.clock.setTimeout(() => this.run(d), delayMs);
    }
  }

  private run(d: Delivery): void {
    // A microtask queued before dispose() still runs; dispose already zeroed the counters.
    if (this.disposed) return;
    if (d.link !== undefined) {
      d.link.inFlight--;
      this.timed.delete(d);
    }
    d.shipment.remaining--;
    try {
      this.arrive(d);
    } finally {
      // Counted down after the handlers, so what they publish synchronously keeps settle() waiting.
      this.pendingCount--;
      if (this.pendingCount === 0) this.resolveSettled();
    }
  }

  private resolveSettled(): void {
    if (this.settleWaiters.length === 0) return;
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * Puts a message on the wire: a structured clone taken now, so later changes by the sender
 * never leak into what receivers get.
 * @throws {@link InvalidConfigurationError} naming `message.payload` (or `message`) when it cannot be cloned.
 * @internal
 */
export function createShipment(topic: string, message: PluginMessage): Shipment {
  try {
    return { topic, wire: structuredClone(message), remaining: 0 };
  } catch (err) {
    let field = 'message.payload';
    try {
      structuredClone(message.payload);
      field = 'message';
    } catch {
      // the payload is the culprit
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new InvalidConfigurationError(
      field,
      field === 'message' ? message : message.payload,
      `a structured-cloneable value (${reason})`,
    );
  }
}
