import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// `npm start` runs the built CLI on the repository's dw.config.json: the dashboard is on and its
// URL is printed. The port is taken from DW_ADMIN_PORT=0 so the test never collides with a host
// already on 7070. Skips without a build, as the other e2e suites do (`npm test` builds first).

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'host', 'dist', 'cli.js');
const built = ['host', 'plugins/ultimate-resilience', 'plugins/demo-traffic', 'plugins/dashboard'].every((p) =>
  existsSync(join(root, p, 'dist', 'index.js')),
);

const child = built
  ? spawn(process.execPath, [cli, 'start', '--config', 'dw.config.json'], {
      cwd: root,
      env: { ...process.env, DW_ADMIN_PORT: '0', DW_ADMIN_TOKEN: '' },
    })
  : undefined;
afterAll(() => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
});

describe.skipIf(!built)('the main command', () => {
  it('starts the host with the dashboard on, prints its URL, serves the page there and stops cleanly', async () => {
    let stdout = '';
    const url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no dashboard URL printed:\n${stdout}`)), 15_000);
      child!.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        const m = /dashboard page: (http:\/\/127\.0\.0\.1:\d+\/plugins\/dashboard\/)/.exec(stdout);
        if (m !== null) {
          clearTimeout(timer);
          res(m[1]!);
        }
      });
      child!.once('exit', (code) => rej(new Error(`exited ${code}:\n${stdout}`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Resilience dashboard</title>');
    const events = await fetch(`${url}events`);
    expect(events.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = events.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('retry:');
    // Stopping with a stream open must not hang.
    const exited = new Promise<number | null>((res) => child!.once('exit', (code) => res(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
