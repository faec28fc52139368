import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** Under `CI=true` Redis-backed suites must run (and fail when Redis is missing), never skip. */
export const REDIS_REQUIRED = process.env.CI === 'true';

/** Whether a Redis server answers PING on 127.0.0.1:port within `timeoutMs`. */
export function pingRedis(port = 6379, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      answer += d.toString('utf8');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

/** Whether `redis-server` and `redis-cli` can be run. */
export function hasRedisBinaries(): boolean {
  return ['redis-server', 'redis-cli'].every((bin) => spawnSync(bin, ['--version']).status === 0);
}

async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port for a private redis-server');
}

/**
 * A redis-server child on a random free port, no persistence, that the test owns: it may be
 * killed and restarted without touching the shared server on 6379. Always `stopAsync()` it.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async startAsync(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.launchAsync();
    return redis;
  }

  /** (Re)starts the server on its port and waits until it answers. */
  async launchAsync(deadlineMs = 10_000): Promise<void> {
    if (this.child !== undefined) return;
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no',
    ], { stdio: 'ignore' });
    child.once('error', () => undefined);
    this.child = child;
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline) {
      if (await pingRedis(this.port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`private redis-server on port ${this.port} did not answer within ${deadlineMs} ms`);
  }

  /** Kills the server like a crash (SIGKILL) and waits for the process to exit. */
  async killAsync(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** `redis-cli -p <port> PUBLISH channel message`; resolves to the receivers count it printed. */
  publishWithCli(channel: string, message: string): number {
    const r = spawnSync('redis-cli', ['-p', String(this.port), 'PUBLISH', channel, message], { encoding: 'utf8', timeout: 5_000 });
    if (r.status !== 0) throw new Error(`redis-cli failed: ${r.stderr}`);
    return Number(r.stdout.trim());
  }

  stopAsync(): Promise<void> {
    return this.killAsync();
  }
}
