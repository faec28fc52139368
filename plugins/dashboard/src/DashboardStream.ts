import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Clock, HttpRouteStream, TimerHandle } from '@datawarehouse/sdk';
import { computeDelta, isEmptyDelta } from './computeDelta.js';
import type { SerializedState } from './computeDelta.js';
import { formatSseEvent, formatSseRetry } from './sseFrame.js';
import type { TransitionLog } from './TransitionLog.js';

/** What the stream needs. @since 6.1.0 */
export interface DashboardStreamOptions {
  /** Reads and serializes the report (`serializeReport` of the subsystem's metrics). */
  readonly read: () => SerializedState;
  readonly log: TransitionLog;
  readonly clock: Clock;
  readonly intervalMs: number;
  readonly maxStreams: number;
  /** This node's id, told in the snapshot. */
  readonly nodeId: string;
  /** Name of the subsystem shown, told in the snapshot (the page's actions go to its admin routes). */
  readonly subsystem: string;
  /** Told when a tick cannot read the report (the state then stays as it was). */
  readonly onError?: (error: unknown) => void;
  /** Wall clock for the frames' `at`. Default `Date.now`. */
  readonly wall?: () => number;
}

/** Refused a stream: too many open. Answered by the host as 503 with the code. @since 6.1.0 */
export class TooManyStreamsError extends Error {
  readonly status = 503;
  readonly code = 'ERR_TOO_MANY_STREAMS';
  constructor(readonly maxStreams: number) {
    super(`The dashboard already serves ${maxStreams} streams (option maxStreams)`);
    this.name = 'TooManyStreamsError';
  }
}

interface Client {
  readonly stream: HttpRouteStream;
  /** Consecutive writes the socket buffered (streams without `bufferedBytes`): a client that stops reading is dropped. */
  backlog: number;
}

/**
 * A client is disconnected when more than this many bytes wait in its socket buffer (it is not
 * reading; a client that reads keeps it near zero, however large the frames).
 */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Without `bufferedBytes` (an older stream): consecutive buffered frames before disconnecting. */
const MAX_BACKLOG = 30;

/**
 * The dashboard's Server-Sent Events: each new client gets a `snapshot` of the current state,
 * then every `intervalMs` all clients get one `delta` (strategies that changed, removed ids,
 * the panels that changed, new transitions). The report is read once per tick, whatever the
 * number of clients, and only while at least one is connected; the timer stops with the last.
 * @since 6.1.0
 */
@SdkCompatibility('6.0.0')
export class DashboardStream {
  private readonly clients = new Set<Client>();
  private baseline: SerializedState | undefined;
  private nodesRevision = -1;
  private sentSeq = 0;
  private timer: TimerHandle | undefined;
  private closed = false;
  private readonly wall: () => number;
  private frames = 0;

  constructor(private readonly o: DashboardStreamOptions) {
    this.wall = o.wall ?? Date.now;
  }

  /** Streams open now. */
  get size(): number {
    return this.clients.size;
  }

  /** Delta frames sent since creation (one per tick, whatever the number of clients). */
  get deltasSent(): number {
    return this.frames;
  }

  /**
   * Serves one client on the stream `start` opens, until `signal` aborts (the client left, the
   * plugin stopped).
   * @throws {@link TooManyStreamsError} at `maxStreams` and a 503 `ERR_NOT_RUNNING` error after
   *   `close`, both before `start` is called.
   */
  open(start: () => HttpRouteStream, signal: AbortSignal): void {
    if (this.closed)
      throw Object.assign(new Error('The dashboard is stopped'), { status: 503, code: 'ERR_NOT_RUNNING' });
    if (this.clients.size >= this.o.maxStreams) throw new TooManyStreamsError(this.o.maxStreams);
    const stream = start();
    if (signal.aborted || stream.closed) {
      stream.end();
      // The state read for this client must not become a later client's stale snapshot.
      if (this.clients.size === 0) this.baseline = undefined;
      return;
    }
    if (this.baseline === undefined) {
      this.baseline = this.o.read();
      this.nodesRevision = this.o.log.nodesRevision;
      this.sentSeq = this.o.log.lastSeq;
    }
    const client: Client = { stream, backlog: 0 };
    this.clients.add(client);
    signal.addEventListener('abort', () => this.drop(client), { once: true });
    this.send(client, formatSseRetry(2000) + formatSseEvent('snapshot', this.snapshotJson(this.baseline)));
    this.schedule();
  }

  /** Reads the report and sends the delta to every client (the timer's work; exposed for tests). */
  tick(): void {
    this.timer = undefined;
    if (this.clients.size === 0 || this.baseline === undefined) return;
    let next: SerializedState;
    try {
      next = this.o.read();
    } catch (error) {
      // A report that cannot be read this time leaves the state as it was; the next tick retries.
      this.o.onError?.(error);
      return this.schedule();
    }
    const delta = computeDelta(this.baseline, next);
    this.baseline = next;
    const events = this.o.log.since(this.sentSeq);
    this.sentSeq = this.o.log.lastSeq;
    const nodesChanged = this.o.log.nodesRevision !== this.nodesRevision;
    this.nodesRevision = this.o.log.nodesRevision;
    let json = `{"t":${this.o.clock.now()},"at":${this.wall()}`;
    if (!isEmptyDelta(delta)) {
      json += `,"changed":[${delta.changed.join(',')}],"removed":${JSON.stringify(delta.removed)}`;
      if (delta.summary !== undefined) json += `,"summary":${delta.summary}`;
      if (delta.cluster !== undefined) json += `,"cluster":${delta.cluster}`;
      if (delta.available !== undefined) json += `,"available":${delta.available}`;
    }
    if (events.length > 0) json += `,"events":${JSON.stringify(events)}`;
    if (nodesChanged) json += `,"nodes":${JSON.stringify(this.o.log.nodes())}`;
    const frame = formatSseEvent('delta', json + '}');
    this.frames++;
    for (const client of [...this.clients]) this.send(client, frame);
    this.schedule();
  }

  /** Ends every stream and stops the timer; later `open` calls end their stream at once. Idempotent. */
  close(): void {
    this.closed = true;
    for (const client of [...this.clients]) this.drop(client);
  }

  private snapshotJson(state: SerializedState): string {
    return (
      `{"t":${this.o.clock.now()},"at":${this.wall()},"nodeId":${JSON.stringify(this.o.nodeId)},` +
      `"subsystem":${JSON.stringify(this.o.subsystem)},` +
      `"intervalMs":${this.o.intervalMs},"available":${state.available},"summary":${state.summary},` +
      `"cluster":${state.cluster},"strategies":[${[...state.strategies.values()].join(',')}],` +
      `"events":${JSON.stringify(this.o.log.since(0))},"nodes":${JSON.stringify(this.o.log.nodes())}}`
    );
  }

  private send(client: Client, text: string): void {
    const stream = client.stream;
    if (stream.closed) return this.drop(client);
    const buffered = stream.bufferedBytes;
    if (buffered !== undefined) {
      // Frames larger than the socket's buffer always report back-pressure: judge by the bytes
      // still waiting instead, which a reading client drains between updates.
      if (buffered > MAX_BUFFERED_BYTES) return this.drop(client);
      stream.write(text);
      return;
    }
    if (stream.write(text)) client.backlog = 0;
    else if (++client.backlog > MAX_BACKLOG) this.drop(client);
  }

  private drop(client: Client): void {
    if (!this.clients.delete(client)) return;
    client.stream.end();
    if (this.clients.size > 0) return;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.baseline = undefined;
  }

  private schedule(): void {
    if (this.timer === undefined && this.clients.size > 0) {
      this.timer = this.o.clock.setTimeout(() => this.tick(), this.o.intervalMs);
    }
  }
}
