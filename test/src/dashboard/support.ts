import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '@datawarehouse/sdk';
import { HostRuntime } from '@datawarehouse/host';

/** Debian's chromium, which `.ci/run` installs. */
export const CHROMIUM = '/usr/bin/chromium';
/** With CI=true the browser suite runs, and fails if chromium is missing; otherwise it skips without it. */
export const CHROMIUM_REQUIRED = process.env.CI === 'true';
export const CHROMIUM_PRESENT = existsSync(CHROMIUM);
/** Flags for a headless run with nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const TOKEN = 'dashboard-test-token-0123456789';
export const DEMO_STRATEGIES = ['default', 'breaker-consecutive', 'retry-exponential-jitter', 'bulkhead-semaphore'];

/** A host with the resilience plugin, demo traffic and the dashboard, the admin API behind `TOKEN`. */
export async function startDashboardHost(
  options: { clock?: Clock; dashboard?: Record<string, unknown> } = {},
): Promise<{ host: HostRuntime; url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'dw-dashboard-'));
  const configPath = join(dir, 'dw.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      nodeId: 'dash-node',
      admin: { port: 0, token: TOKEN },
      statusIntervalMs: 0,
      plugins: [
        { module: '@datawarehouse/plugin-ultimate-resilience', options: { adaptation: { enabled: true } } },
        {
          module: '@datawarehouse/plugin-demo-traffic',
          options: {
            strategies: DEMO_STRATEGIES,
            requestsPerSecond: 40,
            seed: 7,
            downstream: { latencyMs: 15, latencyJitterMs: 20, errorRate: 0.04, capacity: 16 },
          },
        },
        { module: '@datawarehouse/plugin-dashboard', options: options.dashboard ?? {} },
      ],
    }),
  );
  const host = await HostRuntime.startAsync({
    configPath,
    watchConfig: false,
    ...(options.clock !== undefined && { clock: options.clock }),
  });
  return {
    host,
    url: host.adminUrl!,
    stop: async () => {
      await host.stopAsync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Calls an admin route with the token. */
export async function admin(
  url: string,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
}

/** One strategy's entry of the resilience report. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON report, inspected structurally
export async function strategyReport(url: string, id: string): Promise<any> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- idem
  const report: any = await (await admin(url, '/subsystems/resilience')).json();
  return report.metrics.strategies[id];
}
