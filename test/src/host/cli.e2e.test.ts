import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/** Parsed JSON of a response; tests inspect it structurally. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose on purpose: assertions check the shape
const body = async (res: Response): Promise<any> => res.json();

// Spawns the built CLI as a user would (`pnpm test` builds first). Real time is unavoidable
// across a process boundary, so every wait has a deadline and the child is always killed.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'host', 'dist', 'cli.js');
const built =
  existsSync(cli) &&
  existsSync(join(root, 'plugins', 'ultimate-resilience', 'dist', 'index.js')) &&
  existsSync(join(root, 'plugins', 'demo-traffic', 'dist', 'index.js'));
const DEADLINE_MS = 15_000;

const dir = mkdtempSync(join(tmpdir(), 'dw-e2e-'));
const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

function run(args: string[]): Running {
  const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env: { ...process.env, DW_ADMIN_TOKEN: '' } });
  children.push(child);
  const r: Running = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((res) => child.once('exit', (code) => res(code))),
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    r.stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    r.stderr += d;
  });
  return r;
}

/** Resolves with the first match of `pattern` in stdout; rejects at the deadline or on exit. */
function waitForOutput(r: Running, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((res, rej) => {
    const check = (): void => {
      const m = pattern.exec(r.stdout);
      if (m === null) return;
      done();
      res(m);
    };
    const onExit = (code: number | null): void => {
      done();
      rej(new Error(`dw-host exited (${code}) before printing ${pattern}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`));
    };
    const timer = setTimeout(() => {
      done();
      rej(new Error(`no ${pattern} within ${DEADLINE_MS} ms\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`));
    }, DEADLINE_MS);
    const done = (): void => {
      clearTimeout(timer);
      r.child.stdout.off('data', check);
      r.child.off('exit', onExit);
    };
    r.child.stdout.on('data', check);
    r.child.once('exit', onExit);
    check();
  });
}

/** Polls `probe` until it returns true or the deadline passes. */
async function eventually(probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${DEADLINE_MS} ms`);
}

async function exitWithin(r: Running): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_res, rej) => {
    timer = setTimeout(
      () => rej(new Error(`dw-host did not exit within ${DEADLINE_MS} ms\n${r.stdout}\n${r.stderr}`)),
      DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([r.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function writeConfig(name: string, maxConcurrentOperations: number): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify(
      {
        nodeId: 'e2e-node',
        admin: { host: '127.0.0.1', port: 0 },
        statusIntervalMs: 500,
        shutdownTimeoutMs: 5000,
        plugins: [
          { module: '@datawarehouse/plugin-ultimate-resilience' },
          {
            module: '@datawarehouse/plugin-demo-traffic',
            options: { strategies: ['default', 'breaker-consecutive'], requestsPerSecond: 20 },
          },
        ],
        subsystems: { resilience: { maxConcurrentOperations } },
      },
      null,
      2,
    ),
  );
  return path;
}

const json = { 'content-type': 'application/json' };

describe.skipIf(!built)('dw-host CLI (end to end, built)', () => {
  it('documents --help and exits 0', async () => {
    const r = run(['--help']);
    expect(await exitWithin(r)).toBe(0);
    expect(r.stdout).toContain('start --config <file>');
  });

  it('exits 1 with the coded error for a malformed config file', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ "plugins": [ ');
    const r = run(['start', '--config', path]);
    expect(await exitWithin(r)).toBe(1);
    expect(r.stderr).toContain('ERR_INVALID_CONFIGURATION');
    expect(r.stderr).toContain(path);
  });

  it('starts the plugins, serves the admin API, changes a limit, reloads on file change and SIGHUP, and stops cleanly on SIGTERM', async () => {
    const path = writeConfig('dw.config.json', 16);
    const r = run(['start', '--config', path]);
    const [, url] = await waitForOutput(r, /admin API listening on (http:\/\/127\.0\.0\.1:\d+)/);

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await body(health)).toMatchObject({
      status: 'ok',
      nodeId: 'e2e-node',
      plugins: [
        { id: 'ultimate-resilience', state: 'running' },
        { id: 'demo-traffic', state: 'running' },
      ],
    });
    const list = (await body(await fetch(`${url}/subsystems`))) as { subsystems: { name: string }[] };
    expect(list.subsystems.map((s) => s.name)).toEqual(['resilience', 'demo-traffic']);

    const put = await fetch(`${url}/subsystems/resilience/limits`, {
      method: 'PUT',
      headers: json,
      body: '{"maxConcurrentOperations": 7}',
    });
    expect(put.status).toBe(200);
    expect((await body(put)).limits.maxConcurrentOperations).toBe(7);
    const one = await body(await fetch(`${url}/subsystems/resilience`));
    expect(one.limits.maxConcurrentOperations).toBe(7);
    const bad = await fetch(`${url}/subsystems/resilience/limits`, {
      method: 'PATCH',
      headers: json,
      body: '{"maxConcurrentOperations": "lots"}',
    });
    expect(bad.status).toBe(400);
    expect((await body(bad)).error.field).toBe('maxConcurrentOperations');

    // Status lines per strategy appear while it runs.
    await waitForOutput(r, /\[status\] resilience\/default \S+ in-flight \d+\/7 /);

    const limitIs = (n: number) => async () => {
      const s = await body(await fetch(`${url}/subsystems/resilience`));
      return s.limits.maxConcurrentOperations === n;
    };
    // Saving the file re-applies its subsystems section...
    writeConfig('dw.config.json', 5);
    await eventually(limitIs(5));
    // ...and SIGHUP re-applies it even when the file did not change.
    await fetch(`${url}/subsystems/resilience/limits`, {
      method: 'PUT',
      headers: json,
      body: '{"maxConcurrentOperations": 9}',
    });
    expect(await limitIs(9)()).toBe(true);
    r.child.kill('SIGHUP');
    await eventually(limitIs(5));

    r.child.kill('SIGTERM');
    expect(await exitWithin(r)).toBe(0);
    expect(r.stdout).toContain('dw-host stopped');
    expect(r.stderr).not.toContain('ERR_');
  });
});
