import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import type { HttpRouteStream } from '@datawarehouse/sdk';
import { DashboardStream, TooManyStreamsError } from './DashboardStream.js';
import { SseParser } from './SseParser.js';
import type { SseEvent } from './SseParser.js';
import { transitionEvent as transition } from './testing/transitionEvent.js';
import { TransitionLog } from './TransitionLog.js';
import { serializeReport } from './computeDelta.js';

/** A stream that records what it was sent; `accept` false makes writes report back-pressure. */
class FakeStream implements HttpRouteStream {
  closed = false;
  accept = true;
  readonly events: SseEvent[] = [];
  private readonly parser = new SseParser();
  write(chunk: string | Uint8Array): boolean {
    if (this.closed) return false;
    this.events.push(...this.parser.push(String(chunk)));
    return this.accept;
  }
  end(): void {
    this.closed = true;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- frames are inspected structurally
  data(i: number): any {
    return JSON.parse(this.events[i]!.data);
  }
}

/** Gives a FakeStream a `bufferedBytes` the test sets (0: the client reads everything). */
class BufferedStream {
  buffered = 0;
  writes = 0;
  constructor(stream: FakeStream) {
    const write = stream.write.bind(stream);
    Object.defineProperty(stream, 'bufferedBytes', { get: () => this.buffered });
    stream.write = (chunk) => {
      this.writes++;
      return write(chunk);
    };
  }
}

function setup(options: { maxStreams?: number } = {}) {
  const clock = new VirtualClock(1_000);
  const calls: Record<string, number> = { a: 0, b: 0 };
  let reads = 0;
  const log = new TransitionLog(3, () => 42);
  const stream = new DashboardStream({
    read: () => {
      reads++;
      const strategies: Record<string, unknown> = {};
      for (const [id, n] of Object.entries(calls)) strategies[id] = { state: 'closed', calls: n };
      return serializeReport({ strategies });
    },
    log,
    clock,
    intervalMs: 1000,
    maxStreams: options.maxStreams ?? 4,
    nodeId: 'n1',
    subsystem: 'resilience',
    wall: () => 99,
  });
  const connect = () => {
    const s = new FakeStream();
    const controller = new AbortController();
    stream.open(() => s, controller.signal);
    return { s, controller };
  };
  return { clock, calls, log, stream, connect, reads: () => reads };
}

describe('DashboardStream', () => {
  it('sends a snapshot at once, then one delta per interval with only the strategies that changed', () => {
    const { clock, calls, connect } = setup();
    const { s } = connect();
    expect(s.events.map((e) => e.event)).toEqual(['snapshot']);
    expect(s.data(0)).toMatchObject({ nodeId: 'n1', subsystem: 'resilience', intervalMs: 1000, available: true });
    expect(s.data(0).strategies.map((d: { id: string }) => d.id)).toEqual(['a', 'b']);

    calls.b = 5;
    clock.advance(999);
    expect(s.events).toHaveLength(1);
    clock.advance(1);
    expect(s.events).toHaveLength(2);
    expect(s.data(1).changed).toEqual([expect.objectContaining({ id: 'b', calls: 5 })]);
    expect(s.data(1).removed).toEqual([]);

    clock.advance(1000);
    expect(s.data(2)).toEqual({ t: 3000, at: 99 }); // nothing changed: a bare tick
    delete calls.a;
    clock.advance(1000);
    expect(s.data(3)).toMatchObject({ changed: [], removed: ['a'] });
  });

  it('reads the report once per tick whatever the number of clients, and never without one', () => {
    const { clock, connect, stream, reads } = setup();
    clock.advance(5000);
    expect(reads()).toBe(0);
    const clients = [connect(), connect(), connect()];
    expect(reads()).toBe(1); // the first client's snapshot; the others share it
    clock.advance(3000);
    expect(reads()).toBe(4);
    expect(stream.deltasSent).toBe(3);
    expect(clients.map(({ s }) => s.events.length)).toEqual([4, 4, 4]);
  });

  it('stops its timer when the last client leaves, and drops a client whose signal aborts', () => {
    const { clock, connect, stream, reads } = setup();
    const one = connect();
    const two = connect();
    one.controller.abort();
    expect(one.s.closed).toBe(true);
    expect(stream.size).toBe(1);
    clock.advance(1000);
    expect(two.s.events).toHaveLength(2);
    two.controller.abort();
    expect(stream.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    const before = reads();
    clock.advance(10_000);
    expect(reads()).toBe(before);
  });

  it('gives a client that connects after an aborted one a fresh snapshot, not the state read for the aborted one', () => {
    const { clock, calls, stream, connect } = setup();
    const aborted = new AbortController();
    aborted.abort();
    const gone = new FakeStream();
    stream.open(() => gone, aborted.signal);
    expect([gone.closed, gone.events.length, stream.size]).toEqual([true, 0, 0]);
    calls.a = 9;
    clock.advance(5000);
    const { s } = connect();
    expect(s.data(0).strategies.find((d: { id: string }) => d.id === 'a').calls).toBe(9);
  });

  it('refuses a stream past maxStreams before opening it, and ends every stream on close', () => {
    const { connect, stream } = setup({ maxStreams: 2 });
    const a = connect();
    const b = connect();
    let opened = false;
    expect(() =>
      stream.open(() => {
        opened = true;
        return new FakeStream();
      }, new AbortController().signal),
    ).toThrow(TooManyStreamsError);
    expect(opened).toBe(false);
    stream.close();
    expect([a.s.closed, b.s.closed, stream.size]).toEqual([true, true, 0]);
    expect(() => connect()).toThrow(expect.objectContaining({ status: 503, code: 'ERR_NOT_RUNNING' }));
  });

  it('keeps a client that reads, however large the frames: back-pressure on write alone is not falling behind', () => {
    const { clock, connect, stream } = setup();
    const reader = connect();
    const bytes = new BufferedStream(reader.s);
    reader.s.accept = false; // every frame is larger than the socket's buffer...
    clock.advance(120_000); // ...but the client drains it between updates
    expect(bytes.writes).toBeGreaterThan(100);
    expect([reader.s.closed, stream.size]).toEqual([false, 1]);
  });

  it('drops a client whose socket buffer grows past 8 MiB (it stopped reading)', () => {
    const { clock, connect, stream } = setup();
    const stalled = connect();
    const bytes = new BufferedStream(stalled.s);
    clock.advance(5_000);
    expect(stalled.s.closed).toBe(false);
    bytes.buffered = 8 * 1024 * 1024 + 1;
    clock.advance(1000);
    expect([stalled.s.closed, stream.size]).toEqual([true, 0]);
  });

  it('without bufferedBytes (an older stream), drops a client after 30 buffered frames', () => {
    const { clock, connect, stream } = setup();
    const slow = connect();
    const fast = connect();
    slow.s.accept = false;
    clock.advance(30_000);
    expect(slow.s.closed).toBe(false);
    clock.advance(1000);
    expect(slow.s.closed).toBe(true);
    expect([fast.s.closed, stream.size]).toEqual([false, 1]);
  });

  it('sends new transitions once, with the nodes they came from, and keeps the last ones for a new client', () => {
    const { clock, log, connect } = setup();
    const first = connect();
    log.record(transition('a'));
    log.record(transition('b', { origin: 'remote', remoteNode: 'n2', to: 'half-open' }));
    clock.advance(1000);
    expect(first.s.data(1).events.map((e: { seq: number }) => e.seq)).toEqual([1, 2]);
    expect(first.s.data(1).nodes).toEqual([
      { node: 'n2', lastAt: 42, strategyId: 'b', to: 'half-open', transitions: 1 },
    ]);
    clock.advance(1000);
    expect(first.s.data(2).events).toBeUndefined();
    expect(first.s.data(2).nodes).toBeUndefined();
    for (const id of ['c', 'd']) log.record(transition(id));
    const second = connect();
    // The log keeps 3: the snapshot has seq 2..4; the next delta repeats 3 and 4 (the page skips seen seqs).
    expect(second.s.data(0).events.map((e: { seq: number }) => e.seq)).toEqual([2, 3, 4]);
    clock.advance(1000);
    expect(second.s.data(1).events.map((e: { seq: number }) => e.seq)).toEqual([3, 4]);
  });

  it('keeps the state when a read fails, tells onError, and goes on', () => {
    const clock = new VirtualClock();
    let fail = false;
    const errors: unknown[] = [];
    const stream = new DashboardStream({
      read: () => {
        if (fail) throw new Error('metrics broke');
        return serializeReport({ strategies: { a: { calls: 1 } } });
      },
      log: new TransitionLog(10),
      clock,
      intervalMs: 1000,
      maxStreams: 1,
      nodeId: 'n',
      subsystem: 'resilience',
      onError: (e) => errors.push(e),
    });
    const s = new FakeStream();
    stream.open(() => s, new AbortController().signal);
    fail = true;
    clock.advance(2000);
    expect(errors).toHaveLength(2);
    expect(s.events).toHaveLength(1);
    fail = false;
    clock.advance(1000);
    expect(s.data(1).changed).toBeUndefined();
  });
});
