import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InvalidConfigurationError, VirtualClock } from '@datawarehouse/sdk';
import type { ScalingLimits } from '@datawarehouse/sdk';
import { ConfigReloader } from './ConfigReloader.js';
import type { FolderWatcher } from './ConfigReloader.js';
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
      if (section.resilience?.maxConcurrentOperations === 13)
        throw new InvalidConfigurationError('subsystems.resilience.maxConcurrentOperations', 13, 'unlucky');
      applied.push(section);
      return Object.fromEntries(Object.entries(section).map(([k, v]) => [k, v as ScalingLimits]));
    },
  });
  const write = (obj: object) => writeFileSync(path, JSON.stringify(obj));
  return { path, reloader, applied, clock, write };
}

describe('ConfigReloader', () => {
  it('applies the subsystems section of the changed file', async () => {
    const { reloader, applied, write } = await setup({
      plugins: [],
      subsystems: { resilience: { maxConcurrentOperations: 4 } },
    });
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

describe('ConfigReloader watching a busy folder', () => {
  /** A watcher the test fires by hand, a logger counting errors, and the debounce on a virtual clock. */
  async function watched(initial: object) {
    const path = join(dir, `watched-${n++}.json`);
    writeFileSync(path, JSON.stringify(initial));
    const loaded = await loadHostConfig(path);
    const clock = new VirtualClock();
    let fire: (name: string | null) => void = () => undefined;
    const watchFolder: FolderWatcher = (_folder, onEvent) => {
      fire = onEvent;
      return { close: () => undefined };
    };
    const errors: string[] = [];
    const applied: unknown[] = [];
    const reloader = new ConfigReloader({
      path,
      initial: loaded.config,
      initialDigest: loaded.digest,
      clock,
      watchFolder,
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) },
      apply: async (section) => {
        if (section.r?.maxQueueDepth === 13)
          throw new InvalidConfigurationError('subsystems.r.maxQueueDepth', 13, 'unlucky');
        applied.push(section);
        return {};
      },
    });
    reloader.watch();
    /** One event in the folder (`name` changed), then the debounce, then the reload it ran. */
    const event = async (name: string): Promise<void> => {
      fire(name);
      await clock.advanceAsync(250);
      await reloader.idleAsync();
    };
    return { path, reloader, errors, applied, event };
  }

  it('rejects an invalid file once, not again on every write elsewhere in the folder (its log file)', async () => {
    const { path, reloader, errors, applied, event } = await watched({
      plugins: [],
      subsystems: { r: { maxQueueDepth: 1 } },
    });
    writeFileSync(path, '{ not json');
    await event('watched.json');
    expect(errors).toHaveLength(1);
    for (let i = 0; i < 20; i++) await event('host.log');
    expect(errors).toHaveLength(1);
    writeFileSync(path, JSON.stringify({ plugins: [], subsystems: { r: { maxQueueDepth: 2 } } }));
    await event('watched.json');
    for (let i = 0; i < 5; i++) await event('host.log');
    expect(applied).toEqual([{ r: { maxQueueDepth: 2 } }]);
    expect(errors).toHaveLength(1);
    reloader.close();
  });

  it('does not re-run a reload the subsystems refused while the file stays the same; a signal still does', async () => {
    const { path, reloader, errors, event } = await watched({ plugins: [], subsystems: { r: { maxQueueDepth: 1 } } });
    writeFileSync(path, JSON.stringify({ plugins: [], subsystems: { r: { maxQueueDepth: 13 } } }));
    await event('watched.json');
    for (let i = 0; i < 20; i++) await event('host.log');
    expect(errors).toHaveLength(1);
    expect((await reloader.reloadAsync('signal')).status).toBe('rejected');
    expect(errors).toHaveLength(2);
    reloader.close();
  });

  it('does not loop on a config file that vanished (an editor replacing it): one rejection until it is back', async () => {
    const { path, reloader, errors, applied, event } = await watched({
      plugins: [],
      subsystems: { r: { maxQueueDepth: 1 } },
    });
    rmSync(path);
    await event('watched.json');
    for (let i = 0; i < 10; i++) await event('host.log');
    expect(errors).toHaveLength(1);
    writeFileSync(path, JSON.stringify({ plugins: [], subsystems: { r: { maxQueueDepth: 3 } } }));
    await event('watched.json');
    expect(applied).toEqual([{ r: { maxQueueDepth: 3 } }]);
    reloader.close();
  });
});
