import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

/** Longest any single wait on a host process may take. */
export const DEADLINE_MS = 15_000;

/**
 * One `node host/dist/cli.js start --config <file>` child. Real time across a process
 * boundary is unavoidable: every wait has a deadline, and `killAll` in `afterAll` makes sure
 * no child outlives the suite.
 */
export class HostProcess {
  stdout = '';
  stderr = '';
  url = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<number | null>;
  private static readonly all = new Set<HostProcess>();

  private constructor(
    cli: string,
    readonly configPath: string,
    cwd: string,
    env: Readonly<Record<string, string>>,
  ) {
    this.child = spawn(process.execPath, [cli, 'start', '--config', configPath], {
      cwd,
      env: { ...process.env, DW_ADMIN_TOKEN: '', ...env },
    });
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
    });
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    HostProcess.all.add(this);
  }

  /** Spawns the host and resolves once it printed its admin URL. */
  static async startAsync(
    cli: string,
    configPath: string,
    cwd: string,
    env: Readonly<Record<string, string>> = {},
  ): Promise<HostProcess> {
    const host = new HostProcess(cli, configPath, cwd, env);
    host.url = await host.waitForOutput(/admin API listening on (http:\/\/127\.0\.0\.1:\d+)/);
    return host;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** GET a JSON document from the admin API. */
  async getJson<T = Record<string, unknown>>(path: string): Promise<T> {
    const res = await fetch(this.url + path);
    if (!res.ok) throw new Error(`GET ${path} -> ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** POST /subsystems/:name/actions/:action with `args` as the JSON body. */
  async actionAsync(subsystem: string, action: string, args: Record<string, unknown>): Promise<unknown> {
    const res = await fetch(`${this.url}/subsystems/${subsystem}/actions/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(args),
    });
    if (!res.ok) throw new Error(`POST ${subsystem}/${action} -> ${res.status} ${await res.text()}`);
    return res.json();
  }

  /** SIGTERM, then SIGKILL if it has not exited within the deadline. */
  async stopAsync(): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), DEADLINE_MS);
    });
    const code = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (code === 'timeout') {
      this.child.kill('SIGKILL');
      return this.exited;
    }
    HostProcess.all.delete(this);
    return code;
  }

  /** Kills every host still running (for `afterAll`). */
  static killAll(): void {
    for (const host of HostProcess.all) if (host.running) host.child.kill('SIGKILL');
    HostProcess.all.clear();
  }

  private waitForOutput(pattern: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = pattern.exec(this.stdout);
        if (m === null) return;
        done();
        resolve(m[1] ?? m[0]);
      };
      const onExit = (code: number | null): void => {
        done();
        reject(
          new Error(`dw-host exited (${code}) before ${pattern}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`),
        );
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} within ${DEADLINE_MS} ms\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, DEADLINE_MS);
      const done = (): void => {
        clearTimeout(timer);
        this.child.stdout.off('data', check);
        this.child.off('exit', onExit);
      };
      this.child.stdout.on('data', check);
      this.child.once('exit', onExit);
      check();
    });
  }
}

/** Polls `probe` until it resolves true; rejects with `what` at the deadline. */
export async function eventually(
  probe: () => Promise<boolean>,
  what: string,
  deadlineMs = DEADLINE_MS,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`not within ${deadlineMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Nearest-rank percentile (sorting is fine in a test). */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
