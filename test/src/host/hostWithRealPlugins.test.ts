import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock, isBulkheadRejectedError, isCircuitOpenError } from '@datawarehouse/sdk';
import { HostRuntime, Kernel, StatusReporter, loadHostConfig } from '@datawarehouse/host';
import type { DemoTrafficStatistics } from '@datawarehouse/plugin-demo-traffic';
import { ConsumerProbeToken } from '../fixtures/resilienceConsumer.js';

/** Parsed JSON of a response; tests inspect it structurally. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose on purpose: assertions check the shape
const body = async (res: Response): Promise<any> => res.json();

const configPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'configs', 'real-plugins.json');

const stoppers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stoppers.splice(0)) await stop();
});

async function startKernel(clock = new VirtualClock()): Promise<Kernel> {
  const { config, path, baseDir } = await loadHostConfig(configPath);
  const kernel = new Kernel({ config, source: path, baseDir, clock });
  stoppers.push(() => kernel.stopAsync());
  await kernel.startAsync();
  return kernel;
}

function held() {
  let release!: () => void;
  const gate = new Promise<string>((r) => {
    release = () => r('done');
  });
  return { op: () => gate, release };
}

const failing = () => Promise.reject(Object.assign(new Error('downstream down'), { code: 'ERR_DOWNSTREAM' }));
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

function demoStats(kernel: Kernel): DemoTrafficStatistics {
  return kernel.subsystems.describe('demo-traffic').metrics as unknown as DemoTrafficStatistics;
}

describe('Kernel with the real resilience and demo plugins', () => {
  it('loads the plugins from the config file in dependency order', async () => {
    const kernel = await startKernel();
    expect(kernel.plugins.map((p) => [p.id, p.state])).toEqual([
      ['ultimate-resilience', 'running'],
      ['demo-traffic', 'running'],
      ['resilience-consumer', 'running'],
    ]);
    expect(kernel.subsystems.names()).toEqual(['resilience', 'demo-traffic']);
    expect(kernel.subsystems.describe('resilience').limits).toMatchObject({
      maxConcurrentOperations: 2,
      maxQueueDepth: 0,
    });
  });

  it("bounds a second plugin's calls with the bulkhead, and a limit raised through the registry applies to the next call", async () => {
    const kernel = await startKernel();
    const probe = kernel.resolve(ConsumerProbeToken);
    const a = held();
    const b = held();
    const running = [probe.call('bulkhead-semaphore', a.op), probe.call('bulkhead-semaphore', b.op)];
    expect(isBulkheadRejectedError(await errorOf(probe.call('bulkhead-semaphore', async () => 'x')))).toBe(true);

    const limits = await kernel.subsystems.reconfigureAsync('resilience', { maxConcurrentOperations: 3 });
    expect(limits.maxConcurrentOperations).toBe(3);
    const c = held();
    running.push(probe.call('bulkhead-semaphore', c.op));
    expect(isBulkheadRejectedError(await errorOf(probe.call('bulkhead-semaphore', async () => 'x')))).toBe(true);
    [a, b, c].forEach((h) => h.release());
    expect(await Promise.all(running)).toEqual(['done', 'done', 'done']);
  });

  it('trips the breaker for a second plugin, and registry changes keep the open circuit open', async () => {
    const kernel = await startKernel();
    const probe = kernel.resolve(ConsumerProbeToken);
    let calls = 0;
    const op = () => {
      calls++;
      return failing();
    };
    for (let i = 0; i < 3; i++) await expect(probe.call('guarded', op)).rejects.toThrow('downstream down');
    expect(isCircuitOpenError(await errorOf(probe.call('guarded', op)))).toBe(true);
    expect(calls).toBe(3);

    await kernel.subsystems.reconfigureAsync('resilience', {
      maxConcurrentOperations: 8,
      strategies: { guarded: { circuitBreaker: { failureThreshold: 10 } } },
    });
    expect(isCircuitOpenError(await errorOf(probe.call('guarded', op)))).toBe(true);
    expect(calls).toBe(3);
    const metrics = kernel.subsystems.describe('resilience').metrics as {
      strategies: Record<string, { state: string }>;
    };
    expect(metrics.strategies.guarded!.state).toBe('open');

    await expect(
      kernel.subsystems.reconfigureAsync('resilience', {
        strategies: { guarded: { circuitBreaker: { failureThreshold: 0 } } },
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIGURATION' });
  });

  it('applies limits changed through the admin API to the next call and keeps an open circuit open', async () => {
    const clock = new VirtualClock();
    const host = await HostRuntime.startAsync({ configPath, clock, watchConfig: false });
    stoppers.push(() => host.stopAsync());
    const probe = host.kernel.resolve(ConsumerProbeToken);
    for (let i = 0; i < 3; i++) await errorOf(probe.call('guarded', failing));
    const put = (body: unknown) =>
      fetch(`${host.adminUrl}/subsystems/resilience/limits`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const ok = await put({
      maxConcurrentOperations: 1,
      strategies: { guarded: { circuitBreaker: { breakDurationMs: 60000 } } },
    });
    expect(ok.status).toBe(200);
    expect((await body(ok)).limits.maxConcurrentOperations).toBe(1);
    expect(isCircuitOpenError(await errorOf(probe.call('guarded', async () => 1)))).toBe(true);
    const one = await body(await fetch(`${host.adminUrl}/subsystems/resilience`));
    expect(one.metrics.strategies.guarded.state).toBe('open');

    const h = held();
    const running = probe.call('bulkhead-semaphore', h.op);
    expect(isBulkheadRejectedError(await errorOf(probe.call('bulkhead-semaphore', async () => 1)))).toBe(true);
    h.release();
    await running;

    const bad = await put({ strategies: { guarded: { circuitBreaker: { failureThreshold: -1 } } } });
    expect(bad.status).toBe(400);
    const answer = await body(bad);
    expect(answer.error.code).toBe('ERR_INVALID_CONFIGURATION');
    expect(answer.error.field).toContain('failureThreshold');
    expect(host.kernel.subsystems.describe('resilience').limits.maxConcurrentOperations).toBe(1);
  });

  it('runs the demo traffic through the strategies; an outage trips the guarded breaker', async () => {
    const clock = new VirtualClock();
    const kernel = await startKernel(clock);
    await clock.advanceAsync(1500);
    const before = demoStats(kernel);
    expect(before.issued).toBe(60);
    expect(before.byStrategy.default!.ok).toBeGreaterThan(20);
    await clock.advanceAsync(2000);
    const during = demoStats(kernel);
    expect(during.byStrategy.guarded!.ERR_CIRCUIT_OPEN).toBeGreaterThan(0);
    const reporter = new StatusReporter({ registry: kernel.subsystems, clock, intervalMs: 1000, write: () => {} });
    const lines = reporter.collect();
    expect(lines.find((l) => l.startsWith('resilience/guarded '))).toMatch(
      /^resilience\/guarded open in-flight \d+\/2 /,
    );
    expect(lines.find((l) => l.startsWith('resilience/default '))).toMatch(/p99 \d/);
    const report = await kernel.stopAsync();
    expect(report.errors).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});
