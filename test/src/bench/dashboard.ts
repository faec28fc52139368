/**
 * `npm run bench:dashboard`: CPU cost of the dashboard's stream on a host with 1,000 strategies
 * under traffic (every strategy called twice a second, so every tile changes every update: the
 * worst case for deltas), at the default one update a second.
 *
 * Two phases of `--seconds` each (default 30) on the same running host: without a client, then
 * with one client reading the stream from a separate process (so its parsing is not counted).
 * Reported as % of one core: the host process's `process.cpuUsage()` difference between the
 * phases (includes the socket writes; noisy on a shared machine), and the CPU time spent inside
 * the stream's ticks (report read, digests, delta, frame, write call), measured around each tick.
 * Writes `test/reports/dashboard-bench.md`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ResilienceServiceToken } from '@datawarehouse/sdk';
import { HostRuntime } from '@datawarehouse/host';
import { DashboardStream } from '@datawarehouse/plugin-dashboard/internals';
import { describeMachine } from './report.js';

function machineLine(): string {
  const m = describeMachine();
  return `${m.cpu}, ${m.cores} cores, ${m.os}, Node ${m.node}, load average ${m.loadAverage} at ${m.date}`;
}

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '30' }, strategies: { type: 'string', default: '1000' } },
});
const SECONDS = Number(values.seconds);
const STRATEGIES = Number(values.strategies);
if (!(SECONDS > 0) || !(STRATEGIES > 0)) throw new Error('--seconds and --strategies must be positive numbers');
const CALLS_PER_STRATEGY_PER_SECOND = 2;

// CPU time inside the stream's ticks, measured around the real method.
let tickMicros = 0;
let ticks = 0;
const tick = DashboardStream.prototype.tick;
DashboardStream.prototype.tick = function (this: DashboardStream): void {
  const before = process.cpuUsage();
  tick.call(this);
  const used = process.cpuUsage(before);
  tickMicros += used.user + used.system;
  ticks++;
};

const dir = mkdtempSync(path.join(tmpdir(), 'dw-dashboard-bench-'));
const configPath = path.join(dir, 'dw.config.json');
const ids = Array.from({ length: STRATEGIES }, (_, i) => `strategy-${String(i).padStart(4, '0')}`);
writeFileSync(
  configPath,
  JSON.stringify({
    nodeId: 'bench',
    admin: { port: 0 },
    statusIntervalMs: 0,
    plugins: [
      {
        module: '@datawarehouse/plugin-ultimate-resilience',
        options: {
          builtinStrategies: false,
          strategies: ids.map((id) => ({
            id,
            circuitBreaker: { failureThreshold: 1000 },
            bulkhead: { maxConcurrency: 16 },
          })),
        },
      },
      { module: '@datawarehouse/plugin-dashboard', options: {} },
    ],
  }),
);

const host = await HostRuntime.startAsync({ configPath, watchConfig: false });
const service = host.kernel.resolve(ResilienceServiceToken);
let next = 0;
let calls = 0;
const ok = async (): Promise<number> => 1;
const fail = async (): Promise<number> => {
  throw Object.assign(new Error('downstream'), { code: 'ERR_DOWNSTREAM' });
};
const perTick = (STRATEGIES * CALLS_PER_STRATEGY_PER_SECOND) / 100;
const traffic = setInterval(() => {
  for (let i = 0; i < perTick; i++) {
    const id = ids[next]!;
    next = (next + 1) % ids.length;
    calls++;
    service.executeWithResilience(id, calls % 50 === 0 ? fail : ok).catch(() => undefined);
  }
}, 10);

async function phase(label: string): Promise<{ label: string; cpuPercent: number }> {
  const before = process.cpuUsage();
  const start = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const used = process.cpuUsage(before);
  const elapsedUs = (performance.now() - start) * 1000;
  return { label, cpuPercent: ((used.user + used.system) / elapsedUs) * 100 };
}

await new Promise((r) => setTimeout(r, 3000)); // every strategy called: all reported
const idle = await phase('traffic, no client');

const clientScript = `
  const res = await fetch(process.argv[1] + '/plugins/dashboard/events');
  const reader = res.body.getReader();
  let bytes = 0, frames = 0, first = 0;
  process.on('SIGTERM', () => { console.log(JSON.stringify({ bytes, frames, first })); process.exit(0); });
  for (;;) { const { value, done } = await reader.read(); if (done) break; if (!first) first = value.length; bytes += value.length; frames += (new TextDecoder().decode(value).match(/^event: /gm) || []).length; }
  console.log(JSON.stringify({ bytes, frames, first, endedByServer: true }));
`;
const client = spawn(process.execPath, ['--input-type=module', '-e', clientScript, host.adminUrl!], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let clientOut = '';
client.stdout.on('data', (d: Buffer) => (clientOut += d.toString()));
await new Promise((r) => setTimeout(r, 2000)); // the snapshot is sent and read
tickMicros = 0;
ticks = 0;
const streaming = await phase('traffic, one client on the stream');
const tickPercent = (tickMicros / (SECONDS * 1e6)) * 100;
const ticksSeen = ticks;
// The client may have gone already (the server ends a stream whose reader falls behind): then its
// 'exit' has been emitted, and waiting for it would never end.
if (client.exitCode === null && client.signalCode === null) {
  const exited = new Promise((r) => client.once('exit', r));
  client.kill('SIGTERM');
  await exited;
}
clearInterval(traffic);
await host.stopAsync();
rmSync(dir, { recursive: true, force: true });

const stats = JSON.parse(clientOut || '{}') as { bytes?: number; frames?: number; endedByServer?: boolean };
const lines = [
  '# Dashboard stream benchmark',
  '',
  machineLine(),
  '',
  `${STRATEGIES} strategies, ${STRATEGIES * CALLS_PER_STRATEGY_PER_SECOND} calls/s (every strategy changes every update), ` +
    `one update a second, ${SECONDS} s per phase.`,
  '',
  '| measure | % of one core |',
  '| --- | --- |',
  `| host process, ${idle.label} | ${idle.cpuPercent.toFixed(2)} |`,
  `| host process, ${streaming.label} | ${streaming.cpuPercent.toFixed(2)} |`,
  `| difference (the stream's cost, process-wide) | ${(streaming.cpuPercent - idle.cpuPercent).toFixed(2)} |`,
  `| CPU inside the stream's ticks (${ticksSeen} ticks, ${(tickMicros / Math.max(1, ticksSeen) / 1000).toFixed(2)} ms each) | ${tickPercent.toFixed(2)} |`,
  '',
  `Client received ${stats.frames ?? '?'} events, ${((stats.bytes ?? 0) / 1024) | 0} KiB in total` +
    (stats.endedByServer === true
      ? ' (the server ended its stream before the phase did: the client fell behind).'
      : '.'),
  '',
];
const report = lines.join('\n');
console.log(report);
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'reports');
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'dashboard-bench.md'), report);
