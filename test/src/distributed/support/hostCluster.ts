import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostProcess } from './hostProcess.js';
import { REDIS_REQUIRED, hasRedisBinaries, pingRedis } from './privateRedis.js';

// What the multi-process suites share: where the built host is, whether they run, the node
// config files they write and the admin reads they poll.

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
/** The built host CLI every suite spawns. */
export const HOST_CLI = join(ROOT, 'host', 'dist', 'cli.js');

/**
 * Whether a host-process suite runs: the host and `dists` (paths from the root) are built, and
 * Redis answers on 6379 with `redis-server`/`redis-cli` installed — or CI requires it (then a
 * missing Redis fails the suite instead of skipping it).
 */
export async function hostSuiteRuns(dists: readonly string[]): Promise<boolean> {
  const built = ['host/dist/cli.js', ...dists].every((p) => existsSync(join(ROOT, p)));
  return built && (((await pingRedis(6379)) && hasRedisBinaries()) || REDIS_REQUIRED);
}

/** The Redis transport on a single server. */
export function redisPlugin(url: string, channelPrefix: string): object {
  return { module: '@datawarehouse/plugin-federation-redis', options: { url, channelPrefix } };
}

/** The resilience plugin with only `strategy` (breaker: 5 failures, 10 min break; no retry). */
export function resiliencePlugin(strategy: string, distributed?: Readonly<Record<string, unknown>>): object {
  return {
    module: '@datawarehouse/plugin-ultimate-resilience',
    options: {
      builtinStrategies: false,
      strategies: [{ id: strategy, circuitBreaker: { failureThreshold: 5, breakDurationMs: 600_000 }, retry: false }],
      ...(distributed === undefined ? {} : { distributed }),
    },
  };
}

/** Demo traffic on `strategy` against a healthy 1 ms downstream. */
export function demoTrafficPlugin(strategy: string, requestsPerSecond: number): object {
  return {
    module: '@datawarehouse/plugin-demo-traffic',
    options: {
      strategies: [strategy],
      requestsPerSecond,
      seed: 1,
      downstream: { latencyMs: 1, latencyJitterMs: 0, errorRate: 0, capacity: 100, outages: [] },
    },
  };
}

/** Writes `dir/node-<id>.json` (node `node-<id>`, admin on an ephemeral loopback port); returns its path. */
export function writeHostConfig(dir: string, id: string, plugins: readonly object[]): string {
  const path = join(dir, `node-${id}.json`);
  const config = {
    nodeId: `node-${id}`,
    admin: { host: '127.0.0.1', port: 0 },
    statusIntervalMs: 0,
    shutdownTimeoutMs: 5_000,
    plugins,
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** A subsystem's `metrics` from the host's admin API. */
export async function subsystemMetrics<T>(host: HostProcess, subsystem: string): Promise<T> {
  return (await host.getJson<{ metrics: T }>(`/subsystems/${subsystem}`)).metrics;
}

/** The state of `strategy` on `host`, or `undefined` when the host does not know it. */
export async function strategyState(host: HostProcess, strategy: string): Promise<string | undefined> {
  return (await subsystemMetrics<{ strategies: Record<string, { state: string }> }>(host, 'resilience')).strategies[
    strategy
  ]?.state;
}
