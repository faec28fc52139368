import { SdkCompatibility } from '@datawarehouse/sdk';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

/**
 * Test helpers for suites that need a real Redis (published as the `./testing` subpath).
 * - `CI=true`: Redis-backed suites must run, never skip.
 * - Locally they skip when nothing answers on 127.0.0.1:6379.
 */
export const REDIS_REQUIRED = process.env.CI === 'true';

/** Resolves whether a Redis server answers PING at host:port within `timeoutMs`. */
export function pingRedis(port = 6379, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
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

/** Whether the `redis-server` binary can be run. */
export function hasRedisServerBinary(): boolean {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
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
  throw new Error('no free port found for a private redis-server');
}

async function waitFor(probe: () => Promise<boolean>, deadlineMs: number, what: string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} within ${deadlineMs} ms`);
}

/**
 * A redis-server child process on a random free port, without persistence: a server the
 * test owns and may kill and restart (never the shared one on 6379). Always `stopAsync()` it.
 */
@SdkCompatibility('6.0.0')
export class PrivateRedisServer {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async startAsync(): Promise<PrivateRedisServer> {
    const server = new PrivateRedisServer(await freePort());
    await server.launchAsync();
    return server;
  }

  /** Kills the server (SIGKILL: like a crash), waiting for the process to exit. */
  async killAsync(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts it again on the same port. */
  async launchAsync(): Promise<void> {
    if (this.child !== undefined) return;
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { stdio: 'ignore' },
    );
    this.child = child;
    child.once('error', () => undefined);
    await waitFor(() => pingRedis(this.port), 10_000, `private redis-server on port ${this.port} did not answer`);
  }

  /** `redis-cli -p <port> PUBLISH channel message`; returns the receiver count it printed. */
  publishWithCli(channel: string, message: string): number {
    const r = spawnSync('redis-cli', ['-p', String(this.port), 'PUBLISH', channel, message], {
      encoding: 'utf8',
      timeout: 5_000,
    });
    if (r.status !== 0) throw new Error(`redis-cli failed: ${r.stderr}`);
    return Number(r.stdout.trim());
  }

  async stopAsync(): Promise<void> {
    await this.killAsync();
  }
}
