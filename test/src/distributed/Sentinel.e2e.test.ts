import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HOST_CLI,
  demoTrafficPlugin,
  hostSuiteRuns,
  resiliencePlugin,
  strategyState,
  subsystemMetrics,
  writeHostConfig,
} from './support/hostCluster.js';
import { HostProcess, eventually } from './support/hostProcess.js';
import { RedisTopology, startSentinelSetup } from './support/redisTopology.js';

// Issue #15 item 1: two host processes on a Sentinel-managed Redis (one primary, one replica,
// three Sentinels, all on loopback ports, started here and stopped by pid). The primary is
// killed while demo traffic runs: both nodes must follow the failover (the transport reports
// it and re-syncs) and a trip made after it must still reach the other node.
const run = await hostSuiteRuns(['plugins/federation-redis/dist/index.js', 'plugins/demo-traffic/dist/index.js']);

const STRATEGY = 'shared-db';
const MASTER = 'dwmaster';
const SECRET = `sentinel-${randomUUID()}-${randomUUID()}`;
const PREFIX = `dwsentinel:${randomUUID()}:`;

interface Federation {
  connectionState: string;
  deployment: string;
  failovers: number;
  reconnects: number;
}

function cli_(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 5_000 });
  return r.stdout.trim();
}

describe.skipIf(!run)('Redis Sentinel failover (2 host processes, 1 primary, 1 replica, 3 Sentinels)', () => {
  const topology = new RedisTopology();
  let ports: { primary: number; replica: number; sentinels: number[] };
  const hosts: HostProcess[] = [];
  const fed = (h: HostProcess) => subsystemMetrics<Federation>(h, 'federation');
  const state = (h: HostProcess) => strategyState(h, STRATEGY);

  beforeAll(async () => {
    ports = await startSentinelSetup(topology, MASTER);
    // The Sentinels must know the replica and each other before a failover can be authorized.
    await eventually(
      async () => cli_(ports.sentinels[0]!, 'SENTINEL', 'CKQUORUM', MASTER).startsWith('OK 3'),
      'sentinels see each other',
      20_000,
      100,
    );
    await eventually(
      async () => /num-slaves\s+1/.test(cli_(ports.sentinels[0]!, 'SENTINEL', 'MASTER', MASTER).replace(/\n/g, ' ')),
      'sentinels see the replica',
      20_000,
      100,
    );
    for (const id of ['a', 'b']) {
      const path = writeHostConfig(topology.dir, id, [
        {
          module: '@datawarehouse/plugin-federation-redis',
          options: {
            sentinel: { masterName: MASTER, sentinels: ports.sentinels.map((p) => `127.0.0.1:${p}`) },
            channelPrefix: PREFIX,
            reconnectMaxDelayMs: 500,
          },
        },
        resiliencePlugin(STRATEGY, { antiEntropyIntervalMs: 2_000 }),
        demoTrafficPlugin(STRATEGY, 20),
      ]);
      hosts.push(await HostProcess.startAsync(HOST_CLI, path, topology.dir, { DW_FEDERATION_SECRET: SECRET }));
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stopAsync().catch(() => undefined)));
    HostProcess.killAll();
    await topology.stopAll();
  }, 60_000);

  it('follows the failover and keeps propagating trips', async () => {
    const [a, b] = hosts as [HostProcess, HostProcess];
    for (const h of hosts) {
      await eventually(async () => (await fed(h)).connectionState === 'connected', 'connected through Sentinel');
      expect((await fed(h)).deployment).toBe('sentinel');
    }
    await a.actionAsync('resilience', 'trip', { strategyId: STRATEGY, reason: 'before failover' });
    await eventually(async () => (await state(b)) === 'open', 'B open before the failover');
    await a.actionAsync('resilience', 'reset', { strategyId: STRATEGY });
    await eventually(async () => (await state(b)) === 'closed', 'B closed before the failover');

    const killedAt = performance.now();
    await topology.killAsync(ports.primary);
    // A trip made while the primary is gone: lost on the wire, it must arrive by the re-sync.
    await b.actionAsync('resilience', 'trip', { strategyId: STRATEGY, reason: 'during failover' });
    // Sentinel promotes the replica; both transports report the failover and reconnect.
    for (const h of hosts) {
      await eventually(
        async () => {
          const f = await fed(h);
          return f.failovers >= 1 && f.connectionState === 'connected';
        },
        `${h.configPath} followed the failover`,
        30_000,
        50,
      );
    }
    const followedMs = performance.now() - killedAt;
    expect(cli_(ports.replica, 'ROLE').split('\n')[0]).toBe('master');
    await eventually(async () => (await state(a)) === 'open', 'the trip made during the failover reached A');
    await a.actionAsync('resilience', 'reset', { strategyId: STRATEGY });
    await eventually(async () => (await state(b)) === 'closed', 'B closed after the failover');

    const t0 = performance.now();
    await a.actionAsync('resilience', 'trip', { strategyId: STRATEGY, reason: 'after failover' });
    await eventually(async () => (await state(b)) === 'open', 'B open after the failover', 10_000, 5);
    const tripMs = performance.now() - t0;
    // And the other way round, from B.
    await b.actionAsync('resilience', 'reset', { strategyId: STRATEGY });
    await eventually(async () => (await state(a)) === 'closed', 'A closed after the failover', 10_000, 5);
    for (const h of hosts) expect(h.running).toBe(true);
    console.log(
      `sentinel failover: both nodes connected to the new primary ${followedMs.toFixed(0)} ms after the kill ` +
        `(Sentinel down-after 1000 ms); trip on A → B open ${tripMs.toFixed(1)} ms after it (admin polled)`,
    );
  }, 90_000);
});
