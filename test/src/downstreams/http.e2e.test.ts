import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock, isResilienceTimeoutError } from '@datawarehouse/sdk';
import type { TimerHandle } from '@datawarehouse/sdk';
import { ResilienceScalingManager, StrategyRegistry } from '@datawarehouse/plugin-ultimate-resilience';
import type { StrategyDefinition } from '@datawarehouse/plugin-ultimate-resilience';
import { FaultProxy } from './FaultProxy.js';
import { HttpDownstream, HttpStatusError, getText, openTcpHandles } from './support/httpDownstream.js';
import { waitUntil } from './support/waitUntil.js';

// A local node:http server (and the fault proxy in front of it) called with Node's fetch
// (undici) through executeWithResilience. Sockets are counted on both sides, before and after,
// once things settle (bounded wait); Retry-After is checked in virtual time by recording the
// delay the pipeline schedules. Needs no external service, so it always runs.

const ABORTED_CALLS = 10_000;
const BATCH = 250;

describe('a real HTTP downstream through fetch', () => {
  let server: HttpDownstream;
  let proxy: FaultProxy;

  beforeAll(async () => {
    server = await HttpDownstream.startAsync();
    proxy = await FaultProxy.startAsync({ host: '127.0.0.1', port: server.port });
  });
  afterAll(async () => {
    await proxy?.closeAsync();
    await server?.closeAsync();
  });

  /**
   * Runs `total` calls of `call` through a strategy with a 100 ms attempt timeout on a virtual
   * clock, `batch` at a time: each batch is started, given real time until `inFlight(sent, n)`
   * says its n requests (`sent` so far in all) are where they should be, then timed out all at once by advancing the clock.
   * So every abort is of a request in flight, whatever the load of the machine.
   */
  async function abortInBatches(
    total: number,
    batch: number,
    call: (signal: AbortSignal) => Promise<unknown>,
    inFlight: (sent: number, batch: number) => boolean,
  ): Promise<unknown[]> {
    const clock = new VirtualClock(0);
    const manager = new ResilienceScalingManager({
      clock,
      registry: new StrategyRegistry([
        {
          id: 'abort',
          bulkhead: { maxConcurrency: batch, maxQueueSize: 0 },
          circuitBreaker: false,
          retry: false,
          timeout: { attemptTimeoutMs: 100 },
        },
      ]),
    });
    const errors: unknown[] = [];
    try {
      for (let sent = 0; sent < total; sent += batch) {
        const n = Math.min(batch, total - sent);
        const calls = Array.from({ length: n }, () =>
          manager
            .executeWithResilience('abort', ({ signal }) => call(signal))
            .then(
              () => undefined,
              (e: unknown) => e,
            ),
        );
        await waitUntil(() => inFlight(sent + n, n), `${sent + n} requests in flight`, 20_000);
        clock.advance(100);
        errors.push(...(await Promise.all(calls)));
      }
    } finally {
      manager.dispose();
    }
    return errors;
  }

  it(`a timed-out attempt aborts its request and frees its socket: no socket left after ${ABORTED_CALLS} aborted calls`, async () => {
    // Sockets kept alive by earlier fetches would blur the count: start from a settled state.
    await waitUntil(() => server.sockets.size === 0, 'no server socket before');
    const tcpBefore = openTcpHandles();
    const hangsBefore = server.counts.hangs;
    const url = `http://127.0.0.1:${server.port}/hang`;

    const callsStart = Date.now();
    const errors = await abortInBatches(
      ABORTED_CALLS,
      BATCH,
      (signal) => getText(url, signal),
      (sent) => server.counts.hangs - hangsBefore === sent, // each request reached the server, which holds it
    );
    const callsMs = Date.now() - callsStart;
    expect(errors).toHaveLength(ABORTED_CALLS);
    expect(errors.filter((e) => !isResilienceTimeoutError(e))).toEqual([]);
    expect(server.counts.hangs - hangsBefore).toBe(ABORTED_CALLS);

    // The server sees every one of them abandoned by its client, and every socket closes. undici
    // may also have opened connections it never sent a request on: it closes them after its 4 s
    // keep-alive, hence a settle of a few seconds; a leaked one would hold the count forever.
    const settleStart = Date.now();
    await waitUntil(
      () => server.hanging === 0 && server.sockets.size === 0 && openTcpHandles() === tcpBefore,
      () =>
        `sockets to close (server ${server.sockets.size}, hanging ${server.hanging}, tcp ${openTcpHandles()} vs ${tcpBefore})`,
      10_000,
    );
    const settleMs = Date.now() - settleStart;
    console.log(
      `[http e2e] ${ABORTED_CALLS} calls aborted in flight in ${callsMs} ms; open TCP sockets before ${tcpBefore}, ` +
        `after ${openTcpHandles()}, server-side ${server.sockets.size} (settled in ${settleMs} ms)`,
    );
  }, 90_000);

  it('through a blackhole the same aborts leave no connection open on the proxy', async () => {
    await waitUntil(() => server.sockets.size === 0, 'no server socket before');
    proxy.set({ blackhole: true });
    const tcpBefore = openTcpHandles();
    const url = `http://127.0.0.1:${proxy.port}/ok`;
    try {
      const errors = await abortInBatches(
        1_000,
        BATCH,
        (signal) => getText(url, signal),
        (_, batch) => proxy.connectionsWithData === batch, // each request sent into the blackhole
      );
      expect(errors.filter((e) => !isResilienceTimeoutError(e))).toEqual([]);
      await waitUntil(
        () => proxy.openConnections === 0 && openTcpHandles() === tcpBefore,
        () => `proxy connections to close (${proxy.openConnections} open, tcp ${openTcpHandles()} vs ${tcpBefore})`,
        10_000,
      );
      expect(server.sockets.size).toBe(0); // nothing went through
    } finally {
      proxy.heal();
    }
    // Healed: the same call answers.
    await expect(getText(url, AbortSignal.timeout(5_000))).resolves.toBe('ok');
  }, 60_000);

  describe('Retry-After of a 429 or 503', () => {
    /** A VirtualClock recording every delay scheduled on it. */
    class RecordingClock extends VirtualClock {
      readonly delays: number[] = [];
      override setTimeout(callback: () => void, delayMs: number): TimerHandle {
        this.delays.push(delayMs);
        return super.setTimeout(callback, delayMs);
      }
    }

    /** Calls `/throttle` once through a strategy on a recording clock; resolves with the delays scheduled. */
    async function retryDelays(retry: StrategyDefinition['retry'], query: string) {
      const clock = new RecordingClock(0);
      const manager = new ResilienceScalingManager({
        clock,
        random: () => 0.5,
        registry: new StrategyRegistry([{ id: 'api', circuitBreaker: false, bulkhead: false, retry }]),
      });
      const url = `http://127.0.0.1:${proxy.port}/throttle?${query}`;
      const call = manager.executeWithResilience('api', ({ signal }) => getText(url, signal));
      let settled = false;
      const outcome = call.then(
        (value) => ((settled = true), value),
        (e: unknown) => ((settled = true), e),
      );
      // Real I/O until the pipeline sleeps before its retry, then virtual time for the sleep.
      for (let retries = 0; !settled && retries < 5; retries++) {
        await waitUntil(() => settled || clock.pendingTimers > 0, 'the pipeline to schedule its retry');
        if (!settled) await clock.advanceAsync(clock.delays.at(-1)!);
      }
      const result = await outcome;
      manager.dispose();
      return { result, delays: clock.delays };
    }

    it('feeds the retry delay when honorRetryAfter is on (delay-seconds, 503)', async () => {
      const { result, delays } = await retryDelays(
        { maxRetries: 2, backoff: 'fixed', baseDelayMs: 100, honorRetryAfter: true },
        'status=503&retryAfter=2&times=1&k=a',
      );
      expect(result).toBe('ok');
      expect(delays).toEqual([2_000]);
    });

    it('feeds it from an HTTP-date too (429), and caps it at maxDelayMs', async () => {
      const date = new Date(Date.now() + 3_000).toUTCString();
      const dated = await retryDelays(
        { maxRetries: 1, backoff: 'fixed', baseDelayMs: 100, honorRetryAfter: true },
        `status=429&retryAfter=${encodeURIComponent(date)}&times=1&k=b`,
      );
      expect(dated.result).toBe('ok');
      expect(dated.delays).toHaveLength(1);
      // An HTTP-date has whole seconds: the wait is what is left of the 3 s, more than 1 s.
      expect(dated.delays[0]).toBeGreaterThan(1_000);
      expect(dated.delays[0]).toBeLessThanOrEqual(3_000);

      const capped = await retryDelays(
        { maxRetries: 1, backoff: 'fixed', baseDelayMs: 100, maxDelayMs: 1_500, honorRetryAfter: true },
        'status=429&retryAfter=3600&times=1&k=c',
      );
      expect(capped.delays).toEqual([1_500]);
    });

    it('is ignored when the option is off, and a garbled header leaves the backoff', async () => {
      const off = await retryDelays(
        { maxRetries: 1, backoff: 'fixed', baseDelayMs: 100 },
        'status=503&retryAfter=2&times=1&k=d',
      );
      expect(off.result).toBe('ok');
      expect(off.delays).toEqual([100]);
      const garbled = await retryDelays(
        { maxRetries: 1, backoff: 'fixed', baseDelayMs: 100, honorRetryAfter: true },
        'status=503&retryAfter=soon&times=1&k=e',
      );
      expect(garbled.delays).toEqual([100]);
    });

    it('fails with the 503 at once when the hinted retry could not start before the overall timeout', async () => {
      const clock = new RecordingClock(0);
      const manager = new ResilienceScalingManager({
        clock,
        registry: new StrategyRegistry([
          {
            id: 'api',
            circuitBreaker: false,
            bulkhead: false,
            retry: { maxRetries: 3, backoff: 'fixed', baseDelayMs: 100, honorRetryAfter: true },
            timeout: { overallTimeoutMs: 1_000 },
          },
        ]),
      });
      const url = `http://127.0.0.1:${server.port}/throttle?status=503&retryAfter=5&times=9&k=f`;
      const error = await manager
        .executeWithResilience('api', ({ signal }) => getText(url, signal))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpStatusError);
      expect((error as HttpStatusError).retryAfterMs).toBe(5_000);
      expect(clock.delays).not.toContain(5_000); // no sleep was scheduled for the refused retry
      manager.dispose();
    });
  });
});
