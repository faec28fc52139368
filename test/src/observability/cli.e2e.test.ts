import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExposition } from './scrape.js';

// The built CLI as an operator runs it: JSON logs, the admin port from DW_ADMIN_PORT, probes
// without a token, /metrics under demo traffic, and a clean stop. Real time across the process
// boundary: every wait has a deadline and the child is always killed.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'host', 'dist', 'cli.js');
const built = existsSync(cli) && existsSync(join(root, 'plugins', 'ultimate-resilience', 'dist', 'index.js'));
const DEADLINE_MS = 15_000;
const TOKEN = 'observability-e2e-token';
const dir = mkdtempSync(join(tmpdir(), 'dw-obs-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${DEADLINE_MS} ms`);
}

describe.skipIf(!built)('dw-host observability (end to end, built)', () => {
  it('logs JSON, takes its port from DW_ADMIN_PORT, answers public probes and serves /metrics with the token', async () => {
    const config = join(dir, 'dw.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        $schema: join(root, 'host', 'schema', 'host-config.schema.json'),
        nodeId: 'obs-node',
        admin: { host: '127.0.0.1', port: 1, probes: { public: true } },
        statusIntervalMs: 200,
        plugins: [
          { module: '@datawarehouse/plugin-ultimate-resilience' },
          {
            module: '@datawarehouse/plugin-demo-traffic',
            options: { strategies: ['default'], requestsPerSecond: 100 },
          },
        ],
      }),
    );
    const child = spawn(process.execPath, [cli, 'start', '-c', config, '--no-watch', '--log-format', 'json'], {
      cwd: dir,
      env: { ...process.env, DW_ADMIN_TOKEN: TOKEN, DW_ADMIN_PORT: '0' },
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const url = await until(async () => /admin API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1]);
      expect(url).not.toMatch(/:1$/);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const auth = { authorization: `Bearer ${TOKEN}` };
      const text = await until(async () => {
        const t = await (await fetch(`${url}/metrics`, { headers: auth })).text();
        return /dw_resilience_calls_total\{[^}]*strategy="default"[^}]*kind="successful"\} [1-9]/.test(t)
          ? t
          : undefined;
      });
      const e = parseExposition(text);
      expect(
        e.select('resilience4j_circuitbreaker_calls_seconds_count', { node: 'obs-node', strategy: 'default' })[0]!
          .value,
      ).toBeGreaterThan(0);
      // Status lines are log records too.
      await until(async () => (stdout.includes('"scope":"status"') ? true : undefined));
      child.kill('SIGTERM');
      expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), DEADLINE_MS))])).toBe(0);
      const lines = stdout.trim().split('\n');
      const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(
        records.every((r) => typeof r.time === 'string' && typeof r.level === 'string' && typeof r.msg === 'string'),
      ).toBe(true);
      expect(records.find((r) => r.scope === 'status')!.msg).toMatch(/^resilience\/default \S+ in-flight /);
      expect(records.at(-1)!.msg).toBe('dw-host stopped');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
