import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock, isBulkheadRejectedError, isCircuitOpenError } from '@datawarehouse/sdk';
import { HostRuntime, Kernel, loadHostConfig } from '@datawarehouse/host';
import { journal } from '../fixtures/basicPlugin.js';
import { ConsumerProbeToken } from '../fixtures/resilienceConsumer.js';

/** Parsed JSON of a response; tests inspect it structurally. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose on purpose: assertions check the shape
const body = async (res: Response): Promise<any> => res.json();

const configs = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'configs');

async function kernelFrom(file: string, clock = new VirtualClock()): Promise<Kernel> {
  const { config, path, baseDir } = await loadHostConfig(join(configs, file));
  return new Kernel({ config, source: path, baseDir, clock });
}

/** An operation that stays in flight until `release()` is called. */
function held() {
  let release!: () => void;
  const gate = new Promise<string>((r) => {
    release = () => r('done');
  });
  return { op: () => gate, release };
}

const fail = () => Promise.reject(Object.assign(new Error('downstream down'), { code: 'ERR_DOWNSTREAM' }));

describe('Kernel with fixture plugins loaded from config files', () => {
  beforeEach(() => {
    journal.length = 0;
  });

  it('refuses a plugin built for SDK 5 with ERR_PLUGIN_INCOMPATIBLE_SDK and initializes nothing', async () => {
    const kernel = await kernelFrom('sdk5.json');
    const error = (await kernel.startAsync().catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({
      code: 'ERR_PLUGIN_INCOMPATIBLE_SDK',
      pluginId: 'legacy',
      pluginSdkVersion: '5.0.0',
      hostSdkVersion: '6.0.0',
    });
    expect(error.message).toContain("Plugin 'legacy' was built for SDK 5.0.0");
    expect(journal).toEqual([]);
  });

  it('refuses a missing dependency with ERR_PLUGIN_MISSING_DEPENDENCY naming both ids', async () => {
    const kernel = await kernelFrom('missing-dependency.json');
    await expect(kernel.startAsync()).rejects.toMatchObject({
      code: 'ERR_PLUGIN_MISSING_DEPENDENCY',
      pluginId: 'needs-ghost',
      dependencyId: 'ghost-plugin',
    });
    expect(kernel.state).toBe('failed');
  });

  it('refuses a dependency cycle with ERR_PLUGIN_DEPENDENCY_CYCLE', async () => {
    const kernel = await kernelFrom('cycle.json');
    await expect(kernel.startAsync()).rejects.toMatchObject({
      code: 'ERR_PLUGIN_DEPENDENCY_CYCLE',
      cycle: ['cycle-a', 'cycle-b', 'cycle-a'],
    });
  });

  it('reports a throwing initializeAsync with ERR_PLUGIN_INIT_FAILED and stops cleanly', async () => {
    const kernel = await kernelFrom('throwing-init.json');
    const error = (await kernel.startAsync().catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'ERR_PLUGIN_INIT_FAILED', pluginId: 'broken-init' });
    expect(error.message).toBe("Plugin 'broken-init' failed to initialize: database unreachable");
    // `before` was initialized, so it is stopped; `after` never ran; nothing was started.
    expect(journal).toEqual(['init:before', 'init:broken-init', 'stop:before']);
    expect(kernel.plugins.map((p) => [p.id, p.state])).toEqual([
      ['before', 'stopped'],
      ['broken-init', 'failed'],
      ['after', 'loaded'],
    ]);
  });

  it('reports a malformed config file with ERR_INVALID_CONFIGURATION naming the file', async () => {
    const file = join(configs, 'malformed.json');
    await expect(loadHostConfig(file)).rejects.toMatchObject({
      code: 'ERR_INVALID_CONFIGURATION',
      field: '$',
      source: file,
    });
    const invalid = join(configs, 'invalid-field.json');
    const error = (await loadHostConfig(invalid).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ field: 'admin.port', value: 'seventy', source: invalid });
    expect(error.message).toContain(invalid);
  });

  it('lets a second plugin call executeWithResilience through the service registry, bounded by the bulkhead', async () => {
    const clock = new VirtualClock();
    const kernel = await kernelFrom('fake-resilience.json', clock);
    await kernel.startAsync();
    expect(kernel.plugins.map((p) => p.id)).toEqual(['fake-resilience', 'resilience-consumer']);
    const probe = kernel.resolve(ConsumerProbeToken);
    // The config's subsystems section set maxConcurrentOperations to 2.
    const a = held();
    const b = held();
    const first = probe.call('s', a.op);
    const second = probe.call('s', b.op);
    const third = await probe.call('s', async () => 'x').catch((e: unknown) => e);
    expect(isBulkheadRejectedError(third)).toBe(true);
    a.release();
    b.release();
    expect(await Promise.all([first, second])).toEqual(['done', 'done']);
    await kernel.stopAsync();
  });

  it('applies limits changed through the registry on the next call and keeps an open circuit open', async () => {
    const clock = new VirtualClock();
    const kernel = await kernelFrom('fake-resilience.json', clock);
    await kernel.startAsync();
    const probe = kernel.resolve(ConsumerProbeToken);
    for (let i = 0; i < 3; i++) await expect(probe.call('db', fail)).rejects.toThrow('downstream down');
    expect(isCircuitOpenError(await probe.call('db', async () => 1).catch((e: unknown) => e))).toBe(true);

    const limits = await kernel.subsystems.reconfigureAsync('resilience', { maxConcurrentOperations: 3 });
    expect(limits.maxConcurrentOperations).toBe(3);
    expect(isCircuitOpenError(await probe.call('db', async () => 1).catch((e: unknown) => e))).toBe(true);

    const held3 = [held(), held(), held()];
    const running = held3.map((h) => probe.call('other', h.op));
    expect(isBulkheadRejectedError(await probe.call('other', async () => 1).catch((e: unknown) => e))).toBe(true);
    held3.forEach((h) => h.release());
    await Promise.all(running);

    await expect(
      kernel.subsystems.reconfigureAsync('resilience', { maxConcurrentOperations: 0 }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIGURATION', field: 'maxConcurrentOperations' });
    await kernel.stopAsync();
  });

  it('applies limits changed through the admin API on the next call and keeps an open circuit open', async () => {
    const clock = new VirtualClock();
    const host = await HostRuntime.startAsync({
      configPath: join(configs, 'fake-resilience.json'),
      clock,
      watchConfig: false,
    });
    try {
      const probe = host.kernel.resolve(ConsumerProbeToken);
      for (let i = 0; i < 3; i++) await probe.call('db', fail).catch(() => undefined);
      const list = await body(await fetch(`${host.adminUrl}/subsystems`));
      expect(list.subsystems[0]).toMatchObject({
        name: 'resilience',
        metrics: { strategies: { db: { state: 'open' } } },
      });

      const put = await fetch(`${host.adminUrl}/subsystems/resilience/limits`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ maxConcurrentOperations: 1 }),
      });
      expect(put.status).toBe(200);
      expect((await body(put)).limits.maxConcurrentOperations).toBe(1);
      expect(isCircuitOpenError(await probe.call('db', async () => 1).catch((e: unknown) => e))).toBe(true);

      const h = held();
      const running = probe.call('other', h.op);
      expect(isBulkheadRejectedError(await probe.call('other', async () => 1).catch((e: unknown) => e))).toBe(true);
      h.release();
      await running;

      const bad = await fetch(`${host.adminUrl}/subsystems/resilience/limits`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ maxConcurrentOperations: -5 }),
      });
      expect(bad.status).toBe(400);
      expect((await body(bad)).error).toMatchObject({ field: 'maxConcurrentOperations', value: -5 });
      expect(host.kernel.subsystems.describe('resilience').limits.maxConcurrentOperations).toBe(1);
    } finally {
      const report = await host.stopAsync();
      expect(report.errors).toEqual([]);
    }
  });
});
