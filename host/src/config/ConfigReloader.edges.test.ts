import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import type { IPlugin, PluginContext } from '@datawarehouse/sdk';
import { ConfigReloader } from './ConfigReloader.js';
import { loadHostConfig } from './loadHostConfig.js';
import { fakeSubsystem, kernelWith } from '../testing/kernelFixtures.js';

// Edge cases of reloads found in review: a rejected section, concurrent reloads, ConfigMap-style symlink swaps.

const dir = mkdtempSync(join(tmpdir(), 'dw-edge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

describe('ConfigReloader', () => {
  async function kernelWithTwoSubsystems() {
    const plugin: IPlugin = {
      id: 'subs',
      version: '1.0.0',
      sdkVersion: '6.0.0',
      async initializeAsync(ctx: PluginContext) {
        ctx.subsystems.register(fakeSubsystem('alpha'));
        ctx.subsystems.register(fakeSubsystem('beta'));
      },
    };
    const kernel = kernelWith({ subs: plugin });
    await kernel.startAsync();
    return kernel;
  }

  it('a rejected reload leaves every subsystem as it was (no subsystem half-applied)', async () => {
    const kernel = await kernelWithTwoSubsystems();
    const path = join(dir, `c${fileNo++}.json`);
    writeFileSync(path, JSON.stringify({ plugins: [] }));
    const loaded = await loadHostConfig(path);
    const reloader = new ConfigReloader({
      path,
      initial: loaded.config,
      initialDigest: loaded.digest,
      clock: new VirtualClock(),
      apply: (section, source) => kernel.applySubsystemLimitsAsync(section, source),
    });
    writeFileSync(
      path,
      JSON.stringify({
        plugins: [],
        subsystems: { alpha: { maxConcurrentOperations: 50 }, beta: { maxConcurrentOperations: 999 } },
      }),
    );
    const outcome = await reloader.reloadAsync('signal');
    expect(outcome.status).toBe('rejected');
    expect(outcome.error).toMatchObject({ field: 'subsystems.beta.maxConcurrentOperations' });
    // "keeps the running configuration": alpha must still run with 8.
    expect(kernel.subsystems.describe('alpha').limits.maxConcurrentOperations).toBe(8);
    await kernel.stopAsync();
  });

  it('runs two reloads requested at once one after the other, never concurrently', async () => {
    const path = join(dir, `c${fileNo++}.json`);
    writeFileSync(path, JSON.stringify({ plugins: [] }));
    const loaded = await loadHostConfig(path);
    const order: number[] = [];
    let active = 0;
    const reloader = new ConfigReloader({
      path,
      initial: loaded.config,
      clock: new VirtualClock(),
      apply: async (section) => {
        active++;
        expect(active).toBe(1);
        await new Promise((r) => setImmediate(r));
        order.push(section.r?.maxQueueDepth ?? -1);
        active--;
        return {};
      },
    });
    writeFileSync(path, JSON.stringify({ plugins: [], subsystems: { r: { maxQueueDepth: 1 } } }));
    const first = reloader.reloadAsync('signal');
    const second = reloader.reloadAsync('signal');
    await Promise.all([first, second]);
    expect(order).toEqual([1, 1]);
  });

  it('reloads when the file is replaced through a symlinked data folder (Kubernetes ConfigMap volume)', async () => {
    // Layout of a ConfigMap volume: dw.config.json -> ..data/dw.config.json, ..data -> ..2024_v1;
    // an update writes ..2024_v2 and atomically renames a new ..data symlink over the old one.
    const root = join(dir, `k8s${fileNo++}`);
    mkdirSync(join(root, '..v1'), { recursive: true });
    writeFileSync(
      join(root, '..v1', 'dw.config.json'),
      JSON.stringify({ plugins: [], subsystems: { r: { maxQueueDepth: 1 } } }),
    );
    symlinkSync('..v1', join(root, '..data'));
    symlinkSync(join('..data', 'dw.config.json'), join(root, 'dw.config.json'));
    const path = join(root, 'dw.config.json');
    const loaded = await loadHostConfig(path);
    const clock = new VirtualClock();
    const applied: unknown[] = [];
    const reloader = new ConfigReloader({
      path,
      initial: loaded.config,
      initialDigest: loaded.digest,
      clock,
      apply: async (section) => {
        applied.push(section);
        return {};
      },
    });
    reloader.watch();
    try {
      mkdirSync(join(root, '..v2'));
      writeFileSync(
        join(root, '..v2', 'dw.config.json'),
        JSON.stringify({ plugins: [], subsystems: { r: { maxQueueDepth: 2 } } }),
      );
      symlinkSync('..v2', join(root, '..data_tmp'));
      renameSync(join(root, '..data_tmp'), join(root, '..data'));
      // The fs event arrives in real time (bounded wait); the debounce runs on the virtual clock.
      await vi.waitFor(() => expect(clock.pendingTimers).toBe(1), { timeout: 2_000, interval: 20 });
      await clock.advanceAsync(250);
      await vi.waitFor(() => expect(applied).toEqual([{ r: { maxQueueDepth: 2 } }]), { timeout: 2_000, interval: 20 });
    } finally {
      reloader.close();
    }
  });
});
