import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HOST_CLI,
  demoTrafficPlugin,
  hostSuiteRuns,
  redisPlugin,
  resiliencePlugin,
  writeHostConfig,
} from './support/hostCluster.js';
import { HostProcess, eventually } from './support/hostProcess.js';
import { PrivateRedis } from './support/privateRedis.js';

// Issue #15 item 5: two host processes with distributed.durableOpenCircuits on a private
// redis-server. A trips; the whole cluster is stopped and started again: with no peer to
// answer, the nodes read the open circuit from Redis and reject live calls again, for the
// break that is left; a reset removes it.
const run = await hostSuiteRuns(['plugins/federation-redis/dist/index.js', 'plugins/demo-traffic/dist/index.js']);
const STRATEGY = 'shared-db';
const SECRET = `durable-${randomUUID()}-${randomUUID()}`;

interface Strategy {
  state: string;
  rejected: { circuitOpen: number };
}

describe.skipIf(!run)('durable open circuits across a whole-cluster restart (2 host processes)', () => {
  let dir: string;
  let redis: PrivateRedis;
  const configs: string[] = [];
  const env = { DW_FEDERATION_SECRET: SECRET };
  const strategy = async (h: HostProcess) =>
    (await h.getJson<{ metrics: { strategies: Record<string, Strategy> } }>('/subsystems/resilience')).metrics
      .strategies[STRATEGY] ?? { state: 'none', rejected: { circuitOpen: 0 } };
  const durableKeys = () =>
    spawnSync('redis-cli', ['-p', String(redis.port), '--scan', '--pattern', '*{durable}:*'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l !== '');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dw-durable-'));
    redis = await PrivateRedis.startAsync();
    const channelPrefix = `dwdurable:${randomUUID()}:`;
    for (const id of ['a', 'b']) {
      configs.push(
        writeHostConfig(dir, id, [
          redisPlugin(redis.url, channelPrefix),
          resiliencePlugin(STRATEGY, { durableOpenCircuits: true, durableReadDelayMs: 500 }),
          demoTrafficPlugin(STRATEGY, 20),
        ]),
      );
    }
  }, 30_000);

  afterAll(async () => {
    HostProcess.killAll();
    await redis?.stopAsync();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('a restarted cluster still rejects calls to the downstream that was down', async () => {
    let hosts = await Promise.all(configs.map((c) => HostProcess.startAsync(HOST_CLI, c, dir, env)));
    const [a, b] = hosts as [HostProcess, HostProcess];
    await eventually(async () => (await strategy(b)).state === 'closed', 'b up');
    await a.actionAsync('resilience', 'trip', { strategyId: STRATEGY, reason: 'downstream down' });
    await eventually(async () => (await strategy(b)).state === 'open', 'b open');
    await eventually(async () => durableKeys().length === 1, 'the open circuit stored in Redis');
    const ttl = Number(
      spawnSync('redis-cli', ['-p', String(redis.port), 'PTTL', durableKeys()[0]!], { encoding: 'utf8' }).stdout,
    );
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);

    // The whole cluster stops, then starts again: nobody holds the state in memory.
    await Promise.all(hosts.map((h) => h.stopAsync()));
    hosts = await Promise.all(configs.map((c) => HostProcess.startAsync(HOST_CLI, c, dir, env)));
    let restored = 0;
    for (const h of hosts) {
      await eventually(
        async () => (await strategy(h)).state === 'open',
        `${h.configPath} open again after the restart`,
      );
      const before = (await strategy(h)).rejected.circuitOpen;
      await eventually(async () => (await strategy(h)).rejected.circuitOpen > before, 'live calls rejected');
      const m = await h.getJson<{ metrics: { distributed: { durable: { restored: number } } } }>(
        '/subsystems/resilience',
      );
      restored += m.metrics.distributed.durable.restored;
    }
    // Read from Redis by the nodes that found no peer up; a node that found a peer up got it from
    // that peer's sync answer instead.
    expect(restored).toBeGreaterThanOrEqual(1);
    // A reset removes it.
    await hosts[1]!.actionAsync('resilience', 'reset', { strategyId: STRATEGY });
    for (const h of hosts) await eventually(async () => (await strategy(h)).state === 'closed', 'closed after reset');
    await eventually(async () => durableKeys().length === 0, 'removed from Redis');
    await Promise.all(hosts.map((h) => h.stopAsync()));
  }, 90_000);
});
