import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RECONNECT_MAX_DELAY_MS } from '@datawarehouse/plugin-federation-redis';
import {
  HOST_CLI,
  ROOT,
  demoTrafficPlugin,
  hostSuiteRuns,
  redisPlugin,
  resiliencePlugin,
  subsystemMetrics,
  writeHostConfig,
} from './support/hostCluster.js';
import { HostProcess, eventually, percentile } from './support/hostProcess.js';
import { PrivateRedis } from './support/privateRedis.js';

// Three real host processes (`node host/dist/cli.js start`) share strategy `shared-db` over a
// private redis-server this suite owns (so it can restart it). `pnpm test` builds first;
// without a build the suite skips, as the other e2e suites do. With CI=true it never skips
// for lack of Redis: it fails.
const run = await hostSuiteRuns([
  'plugins/federation-redis/dist/index.js',
  'plugins/ultimate-resilience/dist/index.js',
  'plugins/demo-traffic/dist/index.js',
]);

const STRATEGY = 'shared-db';
const TOPIC = 'dw.resilience.circuit-breaker.state';
const SECRET = `e2e-${randomUUID()}-${randomUUID()}`;
const ROUNDS = 60;
/** Redis is kept down this long (long enough for the reconnect backoff to reach its cap). */
const OUTAGE_MS = 5_000;
/** Required: re-converged within this long after the last node's transport reported connected. */
const RECONVERGE_AFTER_CONNECTED_MS = 1_000;

const report: {
  /** Event times: A's transition published → applied on B / C (the nodes' own wall-clock stamps). */
  tripEvent: number[];
  resetEvent: number[];
  trip: number[];
  reset: number[];
  post: number[];
  lagP50: number[];
  lagP99: number[];
  lateJoinMs?: number;
  reconvergeMs?: number;
  reconnectedMs?: number;
  afterConnectedMs?: number;
  outageMs?: number;
} = {
  tripEvent: [],
  resetEvent: [],
  trip: [],
  reset: [],
  post: [],
  lagP50: [],
  lagP99: [],
};

interface StrategyReport {
  state: string;
  calls: number;
  rejected: { circuitOpen: number };
}
interface ResilienceMetrics {
  strategies: Record<string, StrategyReport>;
  distributed: {
    applied: number;
    published: { transitions: number };
    propagationLagMs: { count: number; p50: number; p99: number };
    resyncs: number;
    lastAppliedAt: string | null;
    lastPublishedTransition: { lamport: number; state: string; at: number } | null;
    lastAppliedTransition: { lamport: number; state: string; at: number } | null;
  };
}
interface FederationMetrics {
  connectionState: string;
  channelPrefix: string;
  reconnects: number;
  lastConnectedAt: string | null;
  rejected: Record<string, number>;
}

function resilience(host: HostProcess): Promise<ResilienceMetrics> {
  return subsystemMetrics<ResilienceMetrics>(host, 'resilience');
}
function federation(host: HostProcess): Promise<FederationMetrics> {
  return subsystemMetrics<FederationMetrics>(host, 'federation');
}
async function stateOf(host: HostProcess): Promise<string> {
  return (await resilience(host)).strategies[STRATEGY]?.state ?? 'none';
}
/**
 * A's last published transition → its application on each of `others`, from the nodes' own
 * wall-clock stamps (one machine, one clock; HTTP polling is not part of it).
 */
async function eventTimes(a: HostProcess, others: HostProcess[]): Promise<number[]> {
  const published = (await resilience(a)).distributed.lastPublishedTransition!;
  return Promise.all(
    others.map(async (h) => {
      const applied = (await resilience(h)).distributed.lastAppliedTransition!;
      if (applied.lamport !== published.lamport || applied.state !== published.state)
        throw new Error(`applied ${JSON.stringify(applied)} is not published ${JSON.stringify(published)}`);
      return applied.at - published.at;
    }),
  );
}

/**
 * Polls `host` until the strategy is in `state`; resolves to ms since `t0`. A pause between
 * polls keeps the poller from starving the hosts of CPU (it bounds the resolution).
 */
async function timeUntil(
  host: HostProcess,
  state: string,
  t0: number,
  read: (h: HostProcess) => Promise<string> = stateOf,
): Promise<number> {
  const deadline = t0 + 10_000;
  for (;;) {
    if ((await read(host)) === state) return performance.now() - t0;
    if (performance.now() > deadline) throw new Error(`${host.configPath}: not ${state} within 10 s`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
async function connectionOf(host: HostProcess): Promise<string> {
  return (await federation(host)).connectionState;
}

describe.skipIf(!run)('distributed circuit state over Redis (3 host processes)', () => {
  let dir: string;
  let redis: PrivateRedis;
  const configs: Record<string, string> = {};
  const hosts: Record<string, HostProcess> = {};
  const env = { DW_FEDERATION_SECRET: SECRET };

  const startHost = async (id: string): Promise<HostProcess> => {
    const host = await HostProcess.startAsync(HOST_CLI, configs[id]!, dir, env);
    hosts[id] = host;
    return host;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dw-distributed-'));
    redis = await PrivateRedis.startAsync();
    const channelPrefix = `dwtest:${randomUUID()}:`;
    for (const id of ['a', 'b', 'c']) {
      // The transport first, so the resilience plugin starts on it. The secret comes from
      // DW_FEDERATION_SECRET in the environment, never from the file. The reconnect backoff is
      // the default one: the outage test measures it. Live calls on the strategy, so "rejecting"
      // is observed on real calls too.
      configs[id] = writeHostConfig(dir, id, [
        redisPlugin(redis.url, channelPrefix),
        resiliencePlugin(STRATEGY, { antiEntropyIntervalMs: 2_000 }),
        demoTrafficPlugin(STRATEGY, 50),
      ]);
    }
    await Promise.all(['a', 'b', 'c'].map(startHost));
    // Every node sees the strategy closed and the transport connected.
    for (const h of Object.values(hosts)) {
      await eventually(async () => (await federation(h)).connectionState === 'connected', `${h.configPath} connected`);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(Object.values(hosts).map((h) => h.stopAsync().catch(() => undefined)));
    HostProcess.killAll();
    await redis?.stopAsync();
    const lines = formatReport();
    console.log(lines.join('\n'));
    // The committed report is refreshed on request only, so a test run leaves the tree clean.
    if (report.trip.length > 0 && process.env.DW_WRITE_REPORTS === '1') {
      mkdirSync(join(ROOT, 'test', 'reports'), { recursive: true });
      writeFileSync(join(ROOT, 'test', 'reports', 'propagation.md'), lines.join('\n') + '\n');
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('one node trips: the other two reject within a measured bound (p50/p99 over many rounds)', async () => {
    const { a, b, c } = hosts as Record<string, HostProcess>;
    for (let round = 0; round < ROUNDS; round++) {
      let t0 = performance.now();
      await a!.actionAsync('resilience', 'trip', { strategyId: STRATEGY, reason: `round ${round}` });
      report.post.push(performance.now() - t0);
      const tripped = await Promise.all([timeUntil(b!, 'open', t0), timeUntil(c!, 'open', t0)]);
      report.trip.push(...tripped);
      report.tripEvent.push(...(await eventTimes(a!, [b!, c!])));
      t0 = performance.now();
      await a!.actionAsync('resilience', 'reset', { strategyId: STRATEGY });
      report.reset.push(...(await Promise.all([timeUntil(b!, 'closed', t0), timeUntil(c!, 'closed', t0)])));
      report.resetEvent.push(...(await eventTimes(a!, [b!, c!])));
    }
    // Hold it open and check live calls are rejected on the nodes that did not trip.
    await a!.actionAsync('resilience', 'trip', { strategyId: STRATEGY, reason: 'hold' });
    for (const h of [b!, c!]) {
      const before = (await resilience(h)).strategies[STRATEGY]!.rejected.circuitOpen;
      await eventually(
        async () => (await resilience(h)).strategies[STRATEGY]!.rejected.circuitOpen > before,
        'live calls rejected',
      );
      const m = await resilience(h);
      expect(m.distributed.published.transitions).toBe(0); // applied, never re-broadcast
      expect(m.distributed.applied).toBeGreaterThanOrEqual(2 * ROUNDS);
      report.lagP50.push(m.distributed.propagationLagMs.p50);
      report.lagP99.push(m.distributed.propagationLagMs.p99);
    }
    // The bound asserted is generous (a loaded 2-CPU CI box measured p99 ~130 ms); the
    // numbers themselves go to test/reports/propagation.md.
    expect(Math.max(...report.trip, ...report.reset)).toBeLessThan(2_000);
  }, 120_000);

  it('a node started late learns the current state', async () => {
    await hosts.c!.stopAsync();
    await hosts.a!.actionAsync('resilience', 'isolate', { strategyId: STRATEGY, reason: 'while c was away' });
    const t0 = performance.now();
    const c = await startHost('c');
    await eventually(async () => (await stateOf(c)) === 'isolated', 'late node c learns the isolation');
    report.lateJoinMs = performance.now() - t0;
    await hosts.a!.actionAsync('resilience', 'reset', { strategyId: STRATEGY });
    for (const h of Object.values(hosts)) await eventually(async () => (await stateOf(h)) === 'closed', 'all closed');
  }, 60_000);

  it('Redis restarted mid-run: nodes keep serving on local state and re-converge when it returns', async () => {
    const { a, b, c } = hosts as Record<string, HostProcess>;
    await redis.killAsync();
    const down = performance.now();
    for (const h of [a!, b!, c!]) {
      await eventually(async () => (await federation(h)).connectionState === 'disconnected', 'disconnected seen');
    }
    // Still serving: health, metrics, operator actions, and local transitions.
    for (const h of [a!, b!, c!]) expect((await fetch(`${h.url}/health`)).status).toBe(200);
    await b!.actionAsync('resilience', 'trip', { strategyId: STRATEGY, reason: 'tripped during the outage' });
    expect(await stateOf(b!)).toBe('open');
    expect(await stateOf(a!)).toBe('closed');
    expect(await stateOf(c!)).toBe('closed');
    const callsBefore = (await resilience(a!)).strategies[STRATEGY]!.calls;
    await eventually(
      async () => (await resilience(a!)).strategies[STRATEGY]!.calls > callsBefore + 10,
      'a keeps serving calls',
    );

    // Long enough for every node's reconnect backoff to reach its cap.
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (performance.now() - down))));

    await redis.launchAsync();
    const up = performance.now();
    report.outageMs = up - down;
    // Polled from the moment Redis answers, so the figures include the reconnect backoff: when
    // each node is first seen connected, and when A and C hold the trip B made meanwhile.
    const [connected, converged] = await Promise.all([
      Promise.all([a!, b!, c!].map((h) => timeUntil(h, 'connected', up, connectionOf))),
      Promise.all([a!, c!].map((h) => timeUntil(h, 'open', up))),
    ]);
    report.reconnectedMs = Math.max(...connected);
    report.reconvergeMs = Math.max(...converged);
    // Connected → applied, from the hosts' own stamps (one machine, one wall clock; polling
    // alone has a resolution of tens of ms on a loaded box). Negative when the trip arrived
    // before the last transport reported connected: its subscriber was back before its publisher.
    const lastConnectedAt = Math.max(
      ...(await Promise.all([a!, b!, c!].map(async (h) => Date.parse((await federation(h)).lastConnectedAt!)))),
    );
    const lastAppliedAt = Math.max(
      ...(await Promise.all([a!, c!].map(async (h) => Date.parse((await resilience(h)).distributed.lastAppliedAt!)))),
    );
    report.afterConnectedMs = lastAppliedAt - lastConnectedAt;
    for (const h of [a!, b!, c!]) {
      expect((await federation(h)).reconnects).toBeGreaterThanOrEqual(1);
      expect((await resilience(h)).distributed.resyncs).toBeGreaterThanOrEqual(1);
    }
    // Re-sync is immediate once a transport reports connected (the sync answer waits 20 ms).
    expect(report.afterConnectedMs).toBeLessThanOrEqual(RECONVERGE_AFTER_CONNECTED_MS);
    // From Redis answering: the backoff cap (default 1 s), plus connecting and HTTP polling on a loaded box.
    expect(report.reconvergeMs).toBeLessThanOrEqual(DEFAULT_RECONNECT_MAX_DELAY_MS + 1_000);
  }, 90_000);

  it('a forged message published with redis-cli is rejected and counted, and changes nothing', async () => {
    const { a, b, c } = hosts as Record<string, HostProcess>;
    await a!.actionAsync('resilience', 'reset', { strategyId: STRATEGY });
    for (const h of [a!, b!, c!])
      await eventually(async () => (await stateOf(h)) === 'closed', 'closed before forging');
    const channel = (await federation(a!)).channelPrefix + TOPIC;
    const forgedState = {
      id: randomUUID(),
      type: 'circuit-state',
      sourceNodeId: 'node-a',
      sourcePluginId: 'ultimate-resilience',
      timestamp: Date.now(),
      payload: {
        v: 1,
        kind: 'transition',
        entries: [
          {
            strategyId: STRATEGY,
            lamport: 1_000_000,
            origin: 'node-z',
            state: 'isolated',
            remainingBreakMs: 0,
            reason: 'forged',
          },
        ],
      },
    };
    const before = await Promise.all([a!, b!, c!].map(federation));
    const json = JSON.stringify({
      ...forgedState,
      nonce: randomUUID().replaceAll('-', ''),
      expiresAt: Date.now() + 10_000,
    });
    // Wire version 2 with a made-up signature, with none, a key id nobody holds, garbage, and
    // the version-1 JSON format (not read unless acceptWireV1).
    const sig = 'A'.repeat(43);
    for (const forged of [
      `dw2.default.${sig}.${json}`,
      `dw2.default..${json}`,
      `dw2.nobodys-key.${sig}.${json}`,
      'not even a message',
      JSON.stringify({
        ...forgedState,
        nonce: randomUUID().replaceAll('-', ''),
        expiresAt: Date.now() + 10_000,
        signature: 'ab'.repeat(32),
      }),
    ]) {
      expect(redis.publishWithCli(channel, forged)).toBe(3);
    }
    const reasons = ['bad-signature', 'unsigned', 'unknown-key', 'malformed', 'unsupported-version'];
    for (const [i, h] of [a!, b!, c!].entries()) {
      await eventually(async () => {
        const r = (await federation(h)).rejected;
        return reasons.every((reason) => r[reason]! > (before[i]!.rejected[reason] ?? 0));
      }, 'forged, unsigned, unknown-key, malformed and version-1 messages counted');
      expect(await stateOf(h)).toBe('closed');
      expect(h.running).toBe(true);
    }
  }, 60_000);
});

function formatReport(): string[] {
  const f = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? 'n/a' : `${n.toFixed(1)} ms`);
  return [
    '# Distributed circuit state: measured propagation',
    '',
    `Measured by \`test/src/distributed/DistributedCircuitState.e2e.test.ts\` on ${new Date().toISOString()}: three`,
    `\`node host/dist/cli.js\` processes on one machine (${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} at the end),`,
    'a private redis-server on localhost, HMAC signing on,',
    `50 calls/s of demo traffic per node; ${ROUNDS} rounds of trip + reset made on node A through the admin API.`,
    '',
    '| What | samples | p50 | p99 | max |',
    '|---|---:|---:|---:|---:|',
    `| **Trip on A → applied on B and C (nodes' own event times: A's transition published → B/C applied it)** | ${report.tripEvent.length} | ${f(percentile(report.tripEvent, 0.5))} | ${f(percentile(report.tripEvent, 0.99))} | ${f(Math.max(...report.tripEvent))} |`,
    `| Reset on A → applied on B and C (event times) | ${report.resetEvent.length} | ${f(percentile(report.resetEvent, 0.5))} | ${f(percentile(report.resetEvent, 0.99))} | ${f(Math.max(...report.resetEvent))} |`,
    `| Trip on A (admin POST sent) → B and C report \`open\` (admin GET polled) | ${report.trip.length} | ${f(percentile(report.trip, 0.5))} | ${f(percentile(report.trip, 0.99))} | ${f(Math.max(...report.trip))} |`,
    `| Reset on A → B and C report \`closed\` | ${report.reset.length} | ${f(percentile(report.reset, 0.5))} | ${f(percentile(report.reset, 0.99))} | ${f(Math.max(...report.reset))} |`,
    `| (for scale) the admin POST round trip to A alone | ${report.post.length} | ${f(percentile(report.post, 0.5))} | ${f(percentile(report.post, 0.99))} | ${f(Math.max(...report.post))} |`,
    `| Message timestamp → applied on B / C (replicator's \`propagationLagMs\`) | — | ${report.lagP50.map(f).join(' / ')} | ${report.lagP99.map(f).join(' / ')} | |`,
    '',
    `- A node started late learned the current state ${f(report.lateJoinMs)} after its process was spawned (includes process start-up).`,
    `- Redis killed for ${f(report.outageMs)}; after it answered again, the last node was seen connected ${f(report.reconnectedMs)} later`,
    `  (default reconnect backoff cap ${DEFAULT_RECONNECT_MAX_DELAY_MS} ms), and the nodes re-converged (a trip made on B during the outage reached A and C)`,
    `  ${f(report.reconvergeMs)} after Redis answered (polled); the trip was applied ${f(report.afterConnectedMs)} after the last node's transport reported connected (hosts' own stamps;`,
    "  negative: it arrived through a subscription that was back before that node's publishing connection).",
    '',
    'The end-to-end figures include one admin HTTP request to A and polling of B and C (a GET every ~1-2 ms), so they',
    "bound the propagation from above; the replicator's lag is sender timestamp → apply (same machine, same clock).",
  ];
}
