import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { systemClock } from '@datawarehouse/sdk';
import type { Clock, TimerHandle } from '@datawarehouse/sdk';

/**
 * Network faults a {@link FaultProxy} applies, switchable at any time:
 * - `latencyMs`: added to every chunk, in both directions (so a round trip gains twice that);
 * - `bytesPerSecond`: each direction of each connection is a link of that rate (`Infinity` = no limit);
 * - `blackhole`: accept connections but never answer: new connections are never forwarded, and
 *   data on open ones is dropped both ways (as a firewall dropping packets, or toxiproxy's
 *   `timeout` toxic with timeout 0);
 * - `resetNewConnections`: every new connection is reset (RST) as soon as it is accepted.
 */
export interface Faults {
  readonly latencyMs: number;
  readonly bytesPerSecond: number;
  readonly blackhole: boolean;
  readonly resetNewConnections: boolean;
}

/** What passed through the proxy since it started. */
export interface FaultProxyStats {
  /** Connections accepted from clients. */
  accepted: number;
  /** Connections reset by the proxy (`resetNewConnections` or `resetAll`). */
  reset: number;
  /** Bytes forwarded, both directions. */
  forwardedBytes: number;
  /** Bytes dropped by the blackhole, both directions. */
  droppedBytes: number;
}

export const NO_FAULTS: Faults = Object.freeze({
  latencyMs: 0,
  bytesPerSecond: Infinity,
  blackhole: false,
  resetNewConnections: false,
});

/**
 * A fault-injecting TCP proxy for tests: listens on 127.0.0.1, forwards every connection to a
 * target, and applies {@link Faults}. Timers run on an injected {@link Clock}, so latency and
 * bandwidth can be tested in virtual time; with the system clock it serves real clients
 * (PostgreSQL, HTTP). Chunks keep their order in each direction whatever the faults do.
 */
export class FaultProxy {
  readonly stats: FaultProxyStats = { accepted: 0, reset: 0, forwardedBytes: 0, droppedBytes: 0 };
  private current: Faults = NO_FAULTS;
  private readonly links = new Set<Link>();

  private constructor(
    private readonly server: Server,
    readonly target: { readonly host: string; readonly port: number },
    readonly clock: Clock,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Starts a proxy to `target` on an ephemeral port of 127.0.0.1 (or `port`). */
  static async startAsync(
    target: { readonly host: string; readonly port: number },
    options: { readonly port?: number; readonly clock?: Clock } = {},
  ): Promise<FaultProxy> {
    const server = createServer({ noDelay: true });
    const proxy = new FaultProxy(server, target, options.clock ?? systemClock);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get faults(): Faults {
    return this.current;
  }

  /** Connections open through the proxy (client side). */
  get openConnections(): number {
    return this.links.size;
  }

  /** Open connections whose client has sent at least one byte (a request in flight, for HTTP/1.1). */
  get connectionsWithData(): number {
    let n = 0;
    for (const link of this.links) if (link.clientBytes > 0) n++;
    return n;
  }

  /** Changes some faults; the others stay. Applies to chunks arriving from now on. */
  set(faults: Partial<Faults>): void {
    const next = { ...this.current, ...faults };
    if (!(next.latencyMs >= 0) || next.latencyMs === Infinity) throw new RangeError(`latencyMs: ${next.latencyMs}`);
    if (!(next.bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond: ${next.bytesPerSecond}`);
    if (typeof next.blackhole !== 'boolean') throw new RangeError(`blackhole: ${String(next.blackhole)}`);
    if (typeof next.resetNewConnections !== 'boolean') {
      throw new RangeError(`resetNewConnections: ${String(next.resetNewConnections)}`);
    }
    this.current = Object.freeze(next);
  }

  /** Removes every fault. Connections accepted during a blackhole stay dead (their data was lost). */
  heal(): void {
    this.current = NO_FAULTS;
  }

  /** Resets (RST) every open connection; returns how many. */
  resetAll(): number {
    const n = this.links.size;
    for (const link of [...this.links]) {
      this.stats.reset++;
      link.destroy(true);
    }
    return n;
  }

  /** Closes the listener and every connection, and cancels every pending delivery. */
  async closeAsync(): Promise<void> {
    for (const link of [...this.links]) link.destroy(false);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.stats.accepted++;
    if (this.current.resetNewConnections) {
      this.stats.reset++;
      client.resetAndDestroy();
      return;
    }
    const link = new Link(this, client, this.current.blackhole, () => this.links.delete(link));
    this.links.add(link);
  }

  /** @internal for {@link Link}: schedule on the proxy's clock. */
  schedule(callback: () => void, delayMs: number): TimerHandle {
    return this.clock.setTimeout(callback, delayMs);
  }
}

/** One client connection and its upstream connection (none when accepted in a blackhole). */
class Link {
  private readonly upstream: Socket | undefined;
  private readonly toUpstream: Direction | undefined;
  private readonly toClient: Direction | undefined;
  private destroyed = false;
  /** Bytes received from the client, forwarded or dropped. */
  clientBytes = 0;

  constructor(
    proxy: FaultProxy,
    private readonly client: Socket,
    blackholed: boolean,
    private readonly onDestroyed: () => void,
  ) {
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => (this.clientBytes += chunk.length));
    client.on('error', () => this.destroy(false));
    client.on('close', () => this.closeAfter(this.toUpstream));
    if (blackholed) {
      // Accept, read and drop forever: the client sees a connection that never answers.
      client.on('data', (chunk: Buffer) => (proxy.stats.droppedBytes += chunk.length));
      return;
    }
    const upstream = createConnection({ host: proxy.target.host, port: proxy.target.port, noDelay: true });
    this.upstream = upstream;
    this.toUpstream = new Direction(proxy, upstream);
    this.toClient = new Direction(proxy, client);
    client.on('data', (chunk: Buffer) => this.toUpstream!.push(chunk));
    upstream.on('data', (chunk: Buffer) => this.toClient!.push(chunk));
    client.on('end', () => this.toUpstream!.push(null));
    upstream.on('end', () => this.toClient!.push(null));
    upstream.on('error', () => this.destroy(true));
    upstream.on('close', () => this.closeAfter(this.toClient));
  }

  /** One side closed: what is still in flight towards the other side is delivered first. */
  private closeAfter(inFlight: Direction | undefined): void {
    if (inFlight === undefined || inFlight.idle) this.destroy(false);
    else inFlight.onIdle = () => this.destroy(false);
  }

  /** Ends both sides now; `reset` sends the client an RST instead of a FIN. */
  destroy(reset: boolean): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.toUpstream?.cancel();
    this.toClient?.cancel();
    this.upstream?.destroy();
    if (reset && !this.client.destroyed) this.client.resetAndDestroy();
    else this.client.destroy();
    this.onDestroyed();
  }
}

/**
 * One direction of a link: a FIFO of chunks, each due when the link has sent the chunks before
 * it (bandwidth) plus the latency. One timer at a time, for the head, so order is kept.
 */
class Direction {
  private readonly queue: { readonly chunk: Buffer | null; readonly due: number }[] = [];
  private timer: TimerHandle | undefined;
  private linkFreeAt = 0;
  private lastDue = 0;
  /** Called once when the queue empties (set by a link waiting to close). */
  onIdle: (() => void) | undefined;

  constructor(
    private readonly proxy: FaultProxy,
    private readonly to: Socket,
  ) {}

  /** Queues a chunk (`null`: the sender ended) under the current faults. */
  push(chunk: Buffer | null): void {
    const faults = this.proxy.faults;
    if (faults.blackhole) {
      if (chunk !== null) this.proxy.stats.droppedBytes += chunk.length;
      return;
    }
    const now = this.proxy.clock.now();
    const sendMs =
      chunk === null || faults.bytesPerSecond === Infinity ? 0 : (chunk.length * 1000) / faults.bytesPerSecond;
    this.linkFreeAt = Math.max(now, this.linkFreeAt) + sendMs;
    // A latency lowered at runtime must not let a later chunk overtake an earlier one.
    const due = Math.max(this.linkFreeAt + faults.latencyMs, this.lastDue);
    this.lastDue = due;
    if (due <= now && this.queue.length === 0) {
      this.deliver(chunk);
      return;
    }
    this.queue.push({ chunk, due });
    if (this.queue.length === 1) this.armHead(now);
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  cancel(): void {
    if (this.timer !== undefined) this.proxy.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private armHead(now: number): void {
    const head = this.queue[0];
    if (head === undefined) return;
    this.timer = this.proxy.schedule(() => this.onDue(), Math.max(0, head.due - now));
  }

  private onDue(): void {
    this.timer = undefined;
    const now = this.proxy.clock.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) this.deliver(this.queue.shift()!.chunk);
    this.armHead(now);
    if (this.queue.length === 0 && this.onIdle !== undefined) {
      const onIdle = this.onIdle;
      this.onIdle = undefined;
      onIdle();
    }
  }

  private deliver(chunk: Buffer | null): void {
    if (this.to.destroyed) return;
    if (chunk === null) {
      this.to.end();
      return;
    }
    this.proxy.stats.forwardedBytes += chunk.length;
    this.to.write(chunk);
  }
}
