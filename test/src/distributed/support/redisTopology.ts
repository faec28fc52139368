import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingRedis } from './privateRedis.js';

function portFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free loopback TCP port (checked by binding it). */
export async function freePort(max = 60_000): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * (max - 20_000));
    if (await portFree(port)) return port;
  }
  throw new Error('no free port');
}

async function until(probe: () => Promise<boolean>, what: string, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${deadlineMs} ms: ${what}`);
}

/**
 * redis-server processes (data nodes, Sentinels, cluster nodes) this test owns: started on
 * loopback ports in a private directory, stopped by pid (SIGKILL: like a crash). Always `stopAll()`.
 */
export class RedisTopology {
  readonly dir = mkdtempSync(join(tmpdir(), 'dw-redis-topology-'));
  private readonly children = new Map<number, ChildProcess>();

  /**
   * Starts `redis-server <config file> [args]` on `port`; resolves once it answers PING, rejects
   * with the server's log if it exits first (a port taken meanwhile, say).
   */
  async startAsync(port: number, config: string, extraArgs: readonly string[] = []): Promise<void> {
    const file = join(this.dir, `redis-${port}.conf`);
    const log = join(this.dir, `redis-${port}.log`);
    writeFileSync(
      file,
      `port ${port}\nbind 127.0.0.1\nsave ""\nappendonly no\ndaemonize no\ndir ${this.dir}\nlogfile ${log}\n${config}\n`,
    );
    const child = spawn('redis-server', [file, ...extraArgs], { stdio: 'ignore' });
    child.once('error', () => undefined);
    this.children.set(port, child);
    await until(async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.children.delete(port);
        const text = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-5).join('\n') : '';
        throw new Error(`redis-server on ${port} exited: ${text}`);
      }
      return pingRedis(port);
    }, `redis-server on ${port} answers`);
  }

  /** {@link startAsync} on a free port (retried on another port if it was taken meanwhile). */
  async startOnFreePortAsync(
    config: (port: number) => string,
    extraArgs: readonly string[] = [],
    maxPort = 60_000,
  ): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      let port = await freePort(maxPort);
      // A cluster node also listens on port + 10 000 (the cluster bus).
      while (maxPort < 60_000 && !(await portFree(port + 10_000))) port = await freePort(maxPort);
      try {
        await this.startAsync(port, config(port), extraArgs);
        return port;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  }

  /** SIGKILLs the process listening on `port` and waits for it to exit. */
  async killAsync(port: number): Promise<void> {
    const child = this.children.get(port);
    this.children.delete(port);
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children.keys()].map((p) => this.killAsync(p)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * One primary, one replica and three Sentinels (quorum 2) on loopback ports; failure is
 * declared after `downAfterMs`.
 */
export async function startSentinelSetup(
  topology: RedisTopology,
  masterName: string,
  downAfterMs = 1_000,
): Promise<{ primary: number; replica: number; sentinels: number[] }> {
  const primary = await topology.startOnFreePortAsync(() => '');
  const replica = await topology.startOnFreePortAsync(() => `replicaof 127.0.0.1 ${primary}`);
  const sentinels: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await topology.startOnFreePortAsync(
      () =>
        [
          `sentinel monitor ${masterName} 127.0.0.1 ${primary} 2`,
          `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
          `sentinel failover-timeout ${masterName} 5000`,
          `sentinel parallel-syncs ${masterName} 1`,
        ].join('\n'),
      ['--sentinel'],
    );
    sentinels.push(port);
  }
  return { primary, replica, sentinels };
}

/** Three masters (no replicas) forming a Redis Cluster on loopback ports; resolves once `cluster_state:ok`. */
export async function startCluster(topology: RedisTopology): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await topology.startOnFreePortAsync(
      (p) => `cluster-enabled yes\ncluster-config-file nodes-${p}.conf\ncluster-node-timeout 2000`,
      [],
      55_000,
    );
    ports.push(port);
  }
  const r = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.status !== 0) throw new Error(`redis-cli --cluster create failed: ${r.stdout}${r.stderr}`);
  await until(
    async () =>
      ports.every((p) =>
        spawnSync('redis-cli', ['-p', String(p), 'CLUSTER', 'INFO'], { encoding: 'utf8' }).stdout.includes(
          'cluster_state:ok',
        ),
      ),
    'cluster_state:ok on every node',
  );
  return ports;
}
