import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCircuitOpenError, isResilienceTimeoutError } from '@datawarehouse/sdk';
import { ResilienceScalingManager, StrategyRegistry } from '@datawarehouse/plugin-ultimate-resilience';
import { repoRoot } from '../docs/markdown.js';
import { FaultProxy } from './FaultProxy.js';
import { POSTGRES, POSTGRES_REQUIRED, PostgresMonitor, pingPostgres } from './support/postgres.js';
import { waitUntil } from './support/waitUntil.js';

// The machine's PostgreSQL behind a fault-injecting proxy, protected as docs/real-downstreams.md
// says: a bulkhead no larger than the pool, and the attempt's signal passed to the example's
// PgQueryRunner (examples/postgres), which cancels an aborted query on the server. Phases:
// healthy -> latency -> blackhole -> heal. Real sockets force real time: durations are short and
// the assertions are on outcomes and counts (pool, server, proxy), never on how long things took.
// With CI=true the suite runs and fails if PostgreSQL is missing; otherwise it skips.

interface RunnerStats {
  queries: number;
  cancelRequests: number;
  cancelledOnServer: number;
  clientsDestroyed: number;
}
interface QueryRunner {
  readonly stats: RunnerStats;
  readonly running: number;
  drainAsync(): Promise<void>;
  query(text: string, values: unknown[], signal: AbortSignal): Promise<pg.QueryResult<{ n?: number }>>;
}
type RunnerClass = new (pool: pg.Pool, options?: { cancelGraceMs?: number; cancelTimeoutMs?: number }) => QueryRunner;

const POOL_SIZE = 4;
const STRATEGY = 'pg';
const APP = `dw-e2e-pg-${randomUUID().slice(0, 8)}`;
const run = POSTGRES_REQUIRED || (await pingPostgres());

describe.skipIf(!run)('a real PostgreSQL pool under network faults', () => {
  let proxy: FaultProxy;
  let monitor: PostgresMonitor;
  let pool: pg.Pool;
  let runner: QueryRunner;
  let manager: ResilienceScalingManager;
  /**
   * What the pool went through: at each pool.connect(), how many clients were already taken or
   * connecting (a call finding all `max` taken would wait); every millisecond, callers waiting
   * for a client (pg-pool queues a request for a nextTick even when a client is idle, so only a
   * wait that outlives the tick counts) and clients open.
   */
  const poolSeen = { connects: 0, maxBusyAtConnect: 0, maxWaiting: 0, maxTotal: 0 };
  let sampler: ReturnType<typeof setInterval> | undefined;
  let connectionsBefore = 0;

  const query = (sql: string, values: unknown[] = []) =>
    manager.executeWithResilience(STRATEGY, ({ signal }) => runner.query(sql, values, signal));
  const state = () => manager.getCircuitBreaker(STRATEGY)!.state;

  /** Runs `count` calls of `call`, `concurrency` at a time; resolves with each outcome. */
  async function many<T>(count: number, concurrency: number, call: () => Promise<T>) {
    const outcomes: ({ ok: true; value: T } | { ok: false; error: unknown })[] = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        outcomes.push(
          await call().then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
        );
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return outcomes;
  }

  function expectPoolNeverExhausted(): void {
    expect(poolSeen.maxBusyAtConnect).toBeLessThan(POOL_SIZE);
    expect(poolSeen.maxWaiting).toBe(0);
    expect(poolSeen.maxTotal).toBeLessThanOrEqual(POOL_SIZE);
  }

  beforeAll(async () => {
    const { PgQueryRunner } = (await import(
      pathToFileURL(join(repoRoot, 'examples/postgres/pgQueryRunner.js')).href
    )) as { PgQueryRunner: RunnerClass };
    proxy = await FaultProxy.startAsync({ host: POSTGRES.host, port: POSTGRES.port });
    monitor = await PostgresMonitor.connectAsync();
    pool = new pg.Pool({
      ...POSTGRES,
      port: proxy.port,
      max: POOL_SIZE,
      connectionTimeoutMillis: 500,
      idleTimeoutMillis: 0,
      application_name: APP,
    });
    pool.on('error', () => {}); // idle clients cut by the proxy
    const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
    (pool as { connect: () => Promise<pg.PoolClient> }).connect = () => {
      poolSeen.connects++;
      poolSeen.maxBusyAtConnect = Math.max(poolSeen.maxBusyAtConnect, pool.totalCount - pool.idleCount);
      return connect();
    };
    sampler = setInterval(() => {
      poolSeen.maxWaiting = Math.max(poolSeen.maxWaiting, pool.waitingCount);
      poolSeen.maxTotal = Math.max(poolSeen.maxTotal, pool.totalCount);
    }, 1);
    runner = new PgQueryRunner(pool, { cancelGraceMs: 1_000, cancelTimeoutMs: 1_000 });
    manager = new ResilienceScalingManager({
      registry: new StrategyRegistry([
        {
          id: STRATEGY,
          bulkhead: { maxConcurrency: POOL_SIZE, maxQueueSize: 1_000, queueTimeoutMs: 5_000 },
          circuitBreaker: { mode: 'consecutive', failureThreshold: 5, breakDurationMs: 300 },
          retry: false,
          timeout: { attemptTimeoutMs: 250 },
        },
      ]),
    });
  });

  afterAll(async () => {
    clearInterval(sampler);
    manager?.dispose();
    await runner?.drainAsync();
    if (pool !== undefined && !pool.ended) await pool.end();
    await proxy?.closeAsync();
    if (monitor !== undefined) {
      await monitor.terminate(APP); // nothing to end when the suite passed
      await monitor.endAsync();
    }
  });

  it('healthy: every query answers, the circuit stays closed, the pool never makes a caller wait', async () => {
    const warm = await many(POOL_SIZE, POOL_SIZE, () => query('select pg_sleep(0.05)'));
    expect(warm.every((o) => o.ok)).toBe(true);
    connectionsBefore = await monitor.connections(APP);
    expect(connectionsBefore).toBe(pool.totalCount);
    expect(connectionsBefore).toBeLessThanOrEqual(POOL_SIZE);

    const outcomes = await many(200, 16, () => query('select $1::int as n', [7]));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(state()).toBe('closed');

    // An error the server sends (division by zero, 22012) leaves its client sane: back in the pool.
    const destroyed = runner.stats.clientsDestroyed;
    await expect(query('select 1 / 0')).rejects.toMatchObject({ code: '22012' });
    expect(runner.stats.clientsDestroyed).toBe(destroyed);
    expect(pool.totalCount).toBe(connectionsBefore);
    await expect(query('select 1 as n')).resolves.toBeDefined();
    expectPoolNeverExhausted();
  });

  it('latency: slower answers still succeed; queries outliving the timeout are cancelled on the server', async () => {
    proxy.set({ latencyMs: 30 }); // +60 ms a round trip, under the 250 ms attempt timeout
    const fast = await many(40, 16, () => query('select 1 as n'));
    expect(fast.filter((o) => !o.ok)).toEqual([]);

    const before = { ...runner.stats };
    const slow = await many(3, 3, () => query('select pg_sleep(5)'));
    expect(slow.map((o) => !o.ok && isResilienceTimeoutError(o.error))).toEqual([true, true, true]);
    await runner.drainAsync(); // the abandoned attempts settle once their cancel is done
    expect(runner.stats.cancelRequests - before.cancelRequests).toBe(3);
    expect(runner.stats.cancelledOnServer - before.cancelledOnServer).toBe(3);
    expect(runner.stats.clientsDestroyed - before.clientsDestroyed).toBe(0);
    expect(await monitor.activeQueries(APP)).toBe(0);
    expect(await monitor.connections(APP)).toBe(connectionsBefore);

    await expect(query('select 1 as n')).resolves.toBeDefined(); // a success resets the consecutive count
    expect(state()).toBe('closed');
    proxy.heal();
  });

  it('blackhole: the breaker opens on the timeouts, then calls fail fast without touching the pool', async () => {
    proxy.set({ blackhole: true });
    const outcomes = await many(40, 16, () => query('select 1 as n'));
    const timeouts = outcomes.filter((o) => !o.ok && isResilienceTimeoutError(o.error)).length;
    const refused = outcomes.filter((o) => !o.ok && isCircuitOpenError(o.error)).length;
    expect(timeouts).toBeGreaterThanOrEqual(5);
    expect(timeouts + refused).toBe(40);
    expect(refused).toBeGreaterThan(0);
    expect(state()).toBe('open');

    // Open: refused at once, no client taken from the pool, nothing sent towards the database.
    const connects = poolSeen.connects;
    const dropped = proxy.stats.droppedBytes;
    const more = await many(100, 16, () => query('select 1 as n'));
    expect(more.every((o) => !o.ok && isCircuitOpenError(o.error))).toBe(true);
    expect(poolSeen.connects).toBe(connects);
    expect(proxy.stats.droppedBytes).toBe(dropped);

    // The abandoned attempts: their cancel cannot get through, so their clients are destroyed.
    await runner.drainAsync();
    expect(runner.stats.clientsDestroyed).toBeGreaterThan(0);
    expectPoolNeverExhausted();
  });

  it('heal: the circuit closes, nothing runs on the server and no connection leaked', async () => {
    proxy.heal();
    // After the 300 ms break a probe goes through, succeeds, and closes the circuit.
    await waitUntil(
      async () =>
        (await query('select 1 as n').then(
          () => true,
          () => false,
        )) && state() === 'closed',
      'the circuit to close after heal',
    );
    const outcomes = await many(100, 16, () => query('select 1 as n'));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    const afterHeal = { ...runner.stats, ...poolSeen, proxyAccepted: proxy.stats.accepted };

    await runner.drainAsync();
    expect(runner.running).toBe(0);
    expect(await monitor.activeQueries(APP)).toBe(0);
    // Every connection the server holds for the application is a client of the pool, and the
    // connections of destroyed clients are gone on the proxy and on the server.
    await waitUntil(
      async () => (await monitor.connections(APP)) === pool.totalCount && proxy.openConnections === pool.totalCount,
      'server and proxy connections to match the pool',
    );
    // Warmed up again, the pool holds as many connections as before the faults.
    await many(POOL_SIZE, POOL_SIZE, () => query('select pg_sleep(0.05)'));
    expect(pool.totalCount).toBe(connectionsBefore);
    expect(await monitor.connections(APP)).toBe(connectionsBefore);
    expect(pool.idleCount).toBe(pool.totalCount);
    expectPoolNeverExhausted();

    const connectionsAfter = await monitor.connections(APP);
    await pool.end();
    await waitUntil(async () => (await monitor.connections(APP)) === 0, 'the server to see every connection closed');
    expect(proxy.openConnections).toBe(0);
    console.log(`[postgres e2e] ${JSON.stringify({ ...afterHeal, connectionsBefore, connectionsAfter, afterEnd: 0 })}`);
  });

  it('control: with a bulkhead larger than the pool, the same blackhole leaves callers waiting for a client', async () => {
    const app = `${APP}-control`;
    const small = new pg.Pool({
      ...POSTGRES,
      port: proxy.port,
      max: 2,
      connectionTimeoutMillis: 300,
      application_name: app,
    });
    small.on('error', () => {});
    const { PgQueryRunner } = (await import(
      pathToFileURL(join(repoRoot, 'examples/postgres/pgQueryRunner.js')).href
    )) as { PgQueryRunner: RunnerClass };
    const smallRunner = new PgQueryRunner(small, { cancelGraceMs: 200, cancelTimeoutMs: 200 });
    const oversized = new ResilienceScalingManager({
      registry: new StrategyRegistry([
        {
          id: 'oversized',
          bulkhead: { maxConcurrency: 8 },
          circuitBreaker: false,
          retry: false,
          timeout: { attemptTimeoutMs: 100 },
        },
      ]),
    });
    try {
      await small.query('select 1'); // one connection open before the fault
      proxy.set({ blackhole: true });
      let maxWaiting = 0;
      const sample = setInterval(() => (maxWaiting = Math.max(maxWaiting, small.waitingCount)), 1);
      await many(8, 8, () =>
        oversized.executeWithResilience('oversized', ({ signal }) => smallRunner.query('select 1', [], signal)),
      );
      await smallRunner.drainAsync();
      clearInterval(sample);
      expect(maxWaiting).toBeGreaterThan(0);
    } finally {
      proxy.heal();
      oversized.dispose();
      await smallRunner.drainAsync();
      await small.end();
      await monitor.terminate(app);
    }
  });
});
