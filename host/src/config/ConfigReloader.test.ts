import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InvalidConfigurationError, VirtualClock } from '@datawarehouse/sdk';
import type { ScalingLimits } from '@datawarehouse/sdk';
import { ConfigReloader } from './ConfigReloader.js';
import type { HostConfig } from './HostConfig.js';
import { loadHostConfig } from './loadHostConfig.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function setup(initial: object) {
  const path = join(dir, `config-${n++}.json`);
  writeFileSync(path, JSON.stringify(initial));
  const loaded = await loadHostConfig(path);
  const applied: HostConfig['subsystems'][] = [];
  const clock = new VirtualClock();
  const reloader = new ConfigReloader({
    path,
    initial: loaded.config,
    initialDigest: loaded.digest,
    clock,
    apply: async (section) => {
      if (section.resilience?.maxConcurrentOperations === 13) throw new InvalidConfigurationError('subsystems.resilience.maxConcurrentOperations', 13, 'unlucky');
      applied.push(section);
      return Object.fromEntries(Object.entries(section).map(([k, v]) => [k, v as ScalingLimits]));
    },
  });
  const write = (obj: object) => writeFileSync(path, JSON.stringify(obj));
  return { path, reloader, applied, clock, write };
}

describe('ConfigReloader', () => {
  it('applies the subsystems section of the changed file', async () => {
    const { reloader, applied, write } = await setup({ plugins: [], subsystems: { resilience: { maxConcurrentOperations: 4 } } });
    write({ plugins: [], subsystems: { resilience: { maxConcurrentOperations: 8 } } });
    const outcome = await reloader.reloadAsync('signal');
    expect(outcome.status).toBe('applied');
    expect(applied).toEqual([{ resilience: { maxConcurrentOperations: 8 } }]);
    expect(reloader.config.subsystems).toEqual({ resilience: { maxConcurrentOperations: 8 } });
  });

  it('keeps the running configuration when the file is malformed or invalid', async () => {
    const { reloader, applied, path } = await setup({ plugins: [], subsystems: { resilience: { maxQueueDepth: 1 } } });
    writeFileSync(path, '{ not json');
    const malformed = await reloader.reloadAsync('signal');
    expect(malformed.status).toBe('rejected');
    expect(malformed.error).toMatchObject({ code: 'ERR_INVALID_CONFIGURATION', field: '$', source: path });
    writeFileSync(path, JSON.stringify({ plugins: [], subsystems: { resilience: { maxQueueDepth: -1 } } }));
    const invalid = await reloader.reloadAsync('signal');
    expect(invalid.error).toMatchObject({ field: 'subsystems.resilience.maxQueueDepth', source: path });
    writeFileSync(path, JSON.stringify({ plugins: [], subsystems: { resilience: { maxConcurrentOperations: 13 } } }));
    expect((await reloader.reloadAsync('signal')).status).toBe('rejected');
    expect(applied).toEqual([]);
    expect(reloader.config.subsystems).toEqual({ resilience: { maxQueueDepth: 1 } });
  });

  it('skips an unchanged file on a file event but re-applies on a signal', async () => {
    const { reloader, applied } = await setup({ plugins: [], subsystems: { r: { maxQueueDepth: 1 } } });
    expect((await reloader.reloadAsync('file')).status).toBe('unchanged');
    expect((await reloader.reloadAsync('signal')).status).toBe('applied');
    expect(applied).toHaveLength(1);
  });

  it('reports sections that need a restart as ignored', async () => {
    const { reloader, write } = await setup({ plugins: [], nodeId: 'a' });
    write({ plugins: [{ module: 'x' }], nodeId: 'b' });
    const outcome = await reloader.reloadAsync('manual');
    expect(outcome.ignored).toEqual(['nodeId', 'plugins']);
    expect(reloader.config.nodeId).toBe('a');
  });

  it('reloads after a debounced file change when watching', async () => {
    const { reloader, applied, clock, write } = await setup({ plugins: [], subsystems: { r: { maxQueueDepth: 1 } } });
    reloader.watch();
    try {
      write({ plugins: [], subsystems: { r: { maxQueueDepth: 2 } } });
      // The fs event arrives in real time; the debounce then runs on the virtual clock.
      await vi.waitFor(() => expect(clock.pendingTimers).toBe(1), { timeout: 5000, interval: 10 });
      await clock.advanceAsync(250);
      await vi.waitFor(() => expect(applied).toEqual([{ r: { maxQueueDepth: 2 } }]), { timeout: 5000, interval: 10 });
    } finally {
      reloader.close();
    }
    expect(clock.pendingTimers).toBe(0);
  });
});
