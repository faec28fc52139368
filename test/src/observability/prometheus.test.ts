import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import { HostRuntime } from '@datawarehouse/host';
import { LATENCY_EDGES_SECONDS, METRIC_FAMILIES } from '@datawarehouse/plugin-ultimate-resilience/internals';
import { parseExposition } from './scrape.js';
import type { Exposition } from './scrape.js';

// A running host under demo traffic (virtual time), scraped over HTTP: every family, the
// histogram against the JSON percentiles of GET /subsystems/resilience, the probes, and the
// Grafana dashboard's queries against what is exposed.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'dw-prom-'));
const STRATEGIES = ['default', 'breaker-consecutive', 'retry-exponential-jitter', 'bulkhead-semaphore'];
const clock = new VirtualClock(1_700_000_000_000);
let host: HostRuntime;
let url: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON report, inspected structurally
type Json = any;
const getJson = async (path: string): Promise<Json> => (await fetch(`${url}${path}`)).json();
const scrape = async (): Promise<{ text: string; exposition: Exposition; contentType: string | null }> => {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, exposition: parseExposition(text), contentType: res.headers.get('content-type') };
};

beforeAll(async () => {
  const configPath = join(dir, 'dw.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      $schema: '../host/schema/host-config.schema.json',
      nodeId: 'prom-node',
      admin: { port: 0 },
      statusIntervalMs: 0,
      drainDelayMs: 3000,
      plugins: [
        { module: '@datawarehouse/plugin-ultimate-resilience', options: { adaptation: { enabled: true } } },
        {
          module: '@datawarehouse/plugin-demo-traffic',
          options: {
            strategies: STRATEGIES,
            requestsPerSecond: 80,
            seed: 12,
            downstream: {
              latencyMs: 20,
              latencyJitterMs: 15,
              errorRate: 0.05,
              capacity: 16,
              outages: [{ atMs: 4000, durationMs: 3000 }],
            },
          },
        },
      ],
    }),
  );
  host = await HostRuntime.startAsync({ configPath, clock, watchConfig: false });
  url = host.adminUrl!;
  for (let i = 0; i < 12; i++) await clock.advanceAsync(1000);
});

afterAll(async () => {
  await host?.stopAsync();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /metrics on a running host', () => {
  it('answers the text exposition format with every family, typed', async () => {
    const { exposition, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const family of Object.values(METRIC_FAMILIES)) {
      expect(exposition.families.get(family.name), family.name).toBe(family.kind.toUpperCase());
    }
    // Series are present under traffic for every family but those that need a second node or a recommendation.
    const optional = new Set([METRIC_FAMILIES.replicationLag.name, METRIC_FAMILIES.adaptiveRecommended.name]);
    for (const family of Object.values(METRIC_FAMILIES)) {
      if (optional.has(family.name)) continue;
      const name = family.kind === 'histogram' ? `${family.name}_count` : family.name;
      expect(exposition.select(name).length, name).toBeGreaterThan(0);
      for (const s of exposition.select(name)) expect(s.labels.node).toBe('prom-node');
    }
  });

  it('agrees with the JSON report of GET /subsystems/resilience, strategy by strategy', async () => {
    const { exposition: e } = await scrape();
    const report = (await getJson('/subsystems/resilience')).metrics;
    for (const id of STRATEGIES) {
      const s = report.strategies[id];
      const l = { strategy: id, name: id };
      expect(s.calls, id).toBeGreaterThan(100);
      expect(e.select('dw_resilience_calls_total', { ...l, kind: 'successful' })[0]!.value).toBe(s.successes);
      expect(e.select('dw_resilience_calls_total', { ...l, kind: 'failed' })[0]!.value).toBe(s.failures);
      expect(e.select('dw_resilience_rejected_calls_total', { ...l, cause: 'circuit_open' })[0]!.value).toBe(
        s.rejected.circuitOpen,
      );
      expect(e.select('dw_resilience_retries_total', l)[0]!.value).toBe(s.retries);
      expect(e.select('dw_resilience_bulkhead_running_calls', l)[0]!.value).toBe(s.running);
      if (s.state !== 'none') {
        const states = e.select('resilience4j_circuitbreaker_state', l);
        expect(states.map((x) => x.labels.state).sort()).toEqual(['closed', 'forced_open', 'half_open', 'open']);
        expect(states.filter((x) => x.value === 1).map((x) => x.labels.state)).toEqual([
          s.state === 'half-open' ? 'half_open' : s.state === 'isolated' ? 'forced_open' : s.state,
        ]);
      }
    }
    // The outage opened at least one circuit, and the replication counters are the JSON ones.
    expect(e.select('resilience4j_circuitbreaker_not_permitted_calls_total').some((x) => x.value > 0)).toBe(true);
    expect(e.select('dw_resilience_replication_messages_sent_total', { type: 'transition' })[0]!.value).toBe(
      report.distributed.published.transitions,
    );
  });

  it('exposes the attempt latency as a cumulative histogram consistent with the JSON percentiles', async () => {
    const { exposition: e } = await scrape();
    const report = (await getJson('/subsystems/resilience')).metrics;
    const name = 'resilience4j_circuitbreaker_calls_seconds';
    for (const id of STRATEGIES) {
      const latency = report.strategies[id].latencyMs;
      const buckets = e.select(`${name}_bucket`, { strategy: id });
      expect(buckets.map((b) => b.labels.le)).toEqual([...LATENCY_EDGES_SECONDS.map(String), '+Inf']);
      const cumulative = buckets.map((b) => b.value);
      for (let i = 1; i < cumulative.length; i++) expect(cumulative[i]!).toBeGreaterThanOrEqual(cumulative[i - 1]!);
      const count = e.select(`${name}_count`, { strategy: id })[0]!.value;
      // Under a minute of traffic the lifetime is the window: the same values as the JSON.
      expect(cumulative.at(-1)).toBe(count);
      expect(count).toBe(latency.count);
      const sum = e.select(`${name}_sum`, { strategy: id })[0]!.value;
      expect(sum / count).toBeGreaterThan(0.005);
      expect(e.select(`${name}_max`, { strategy: id })[0]!.value).toBeCloseTo(latency.max / 1000, 9);
      for (const [q, ms] of [
        [0.5, latency.p50],
        [0.95, latency.p95],
        [0.99, latency.p99],
      ] as const) {
        // The bucket holding the rank-q value holds the JSON percentile too.
        const rank = Math.max(1, Math.ceil(q * count));
        const j = cumulative.findIndex((c) => c >= rank);
        const upper = j < LATENCY_EDGES_SECONDS.length ? LATENCY_EDGES_SECONDS[j]! : Infinity;
        const lower = j === 0 ? 0 : LATENCY_EDGES_SECONDS[j - 1]!;
        expect(ms / 1000, `${id} p${q * 100}`).toBeGreaterThanOrEqual(lower - 1e-6);
        expect(ms / 1000, `${id} p${q * 100}`).toBeLessThan(upper + 1e-6);
      }
    }
  });

  it('only grows its counters and histogram between scrapes', async () => {
    const before = (await scrape()).exposition;
    await clock.advanceAsync(3000);
    const after = (await scrape()).exposition;
    const counters = Object.values(METRIC_FAMILIES).filter((f) => f.kind === 'counter');
    for (const family of counters) {
      for (const s of before.select(family.name)) {
        const later = after.select(family.name, s.labels)[0];
        expect(later, `${family.name} ${JSON.stringify(s.labels)}`).toBeDefined();
        expect(later!.value).toBeGreaterThanOrEqual(s.value);
      }
    }
    for (const s of before.select('resilience4j_circuitbreaker_calls_seconds_bucket')) {
      expect(
        after.select('resilience4j_circuitbreaker_calls_seconds_bucket', s.labels)[0]!.value,
      ).toBeGreaterThanOrEqual(s.value);
    }
  });

  it('serves every metric the shipped Grafana dashboard queries', async () => {
    const { exposition } = await scrape();
    const dashboard = readFileSync(join(root, 'docs', 'grafana', 'resilience.json'), 'utf8');
    const queried = new Set(dashboard.match(/\b(?:resilience4j|dw_resilience)_[a-z0-9_]+/g));
    expect(queried.size).toBeGreaterThan(15);
    const exposed = new Set([...exposition.families.keys(), ...exposition.samples.map((s) => s.name)]);
    for (const name of queried) expect(exposed.has(name), name).toBe(true);
    const parsed = JSON.parse(dashboard) as { panels: { targets: { expr: string }[] }[] };
    expect(parsed.panels.flatMap((p) => p.targets).every((t) => t.expr.length > 0)).toBe(true);
  });

  it('is ready, then drains (503) for drainDelayMs on stop, and stops', async () => {
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await getJson('/plugins')).routes.map((r: { path: string }) => r.path)).toEqual(
      expect.arrayContaining(['/metrics', '/plugins/ultimate-resilience/metrics']),
    );
    const stopping = host.stopAsync();
    const draining = await fetch(`${url}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ ready: false, reasons: ['draining'] });
    // Still scraped while draining.
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    await clock.advanceAsync(3000);
    const report = await stopping;
    expect(report.errors).toEqual([]);
    await expect(fetch(`${url}/readyz`)).rejects.toThrow();
  });
});
