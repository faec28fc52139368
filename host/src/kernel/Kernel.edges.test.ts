import { describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import type { IPlugin, TimerHandle } from '@datawarehouse/sdk';
import { kernelWith } from '../testing/kernelFixtures.js';

// Edge cases of the kernel's lifecycle found in review: failed and timed-out starts, stops during startup, hanging stops.

/** A plugin that arms a timer in initializeAsync and clears it in stopAsync (as the resilience plugin's manager does). */
function timerPlugin(id: string, clock: VirtualClock, start: () => Promise<void>): IPlugin & { timer?: TimerHandle } {
  const plugin: IPlugin & { timer?: TimerHandle } = {
    id,
    version: '1.0.0',
    sdkVersion: '6.0.0',
    async initializeAsync() {
      plugin.timer = clock.setTimeout(() => undefined, 3_600_000);
    },
    startAsync: start,
    async stopAsync() {
      if (plugin.timer !== undefined) clock.clearTimeout(plugin.timer);
      plugin.timer = undefined;
    },
  };
  return plugin;
}

describe('Kernel', () => {
  it('a plugin whose startAsync throws is stopped too, so what its initializeAsync acquired is released', async () => {
    const clock = new VirtualClock();
    const plugin = timerPlugin('res', clock, () => Promise.reject(new Error('start failed')));
    const kernel = kernelWith({ res: plugin }, { clock });
    await expect(kernel.startAsync()).rejects.toMatchObject({ code: 'ERR_PLUGIN_START_FAILED' });
    expect(kernel.state).toBe('failed');
    // Its initializeAsync succeeded; nobody ever calls its stopAsync, so its timer (on a real
    // clock: the process's event loop) stays armed after the host gave up.
    expect(clock.pendingTimers).toBe(0);
  });

  it('a plugin whose startAsync times out is stopped once that start settles (never left running)', async () => {
    const clock = new VirtualClock();
    let finishStart!: () => void;
    const plugin = timerPlugin(
      'slow',
      clock,
      () =>
        new Promise<void>((r) => {
          finishStart = r;
        }),
    );
    const kernel = kernelWith({ slow: plugin }, { clock });
    const starting = kernel.startAsync().catch((e: unknown) => e);
    await vi.waitFor(() => expect(finishStart).toBeDefined());
    await clock.advanceAsync(1_000);
    expect(await starting).toMatchObject({
      code: 'ERR_PLUGIN_START_FAILED',
      cause: { code: 'ERR_PLUGIN_STARTUP_TIMEOUT' },
    });
    finishStart(); // the late start completes: the plugin now runs, and nothing will ever stop it
    await clock.advanceAsync(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a host stopped on request during startup ends `stopped`, not `failed`', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const plugin: IPlugin = { id: 'a', version: '1.0.0', sdkVersion: '6.0.0', initializeAsync: () => gate };
    const kernel = kernelWith({ a: plugin });
    const starting = kernel.startAsync().catch(() => undefined);
    await vi.waitFor(() => expect(release).toBeDefined());
    const stopping = kernel.stopAsync();
    release();
    await starting;
    await stopping;
    expect(kernel.state).toBe('stopped');
    expect(kernel.health().status).toBe('stopped');
  });

  it('stops in reverse dependency order and bounds a hanging stop by shutdownTimeoutMs', async () => {
    const clock = new VirtualClock();
    const journal: string[] = [];
    const mk = (id: string, dependencies: string[] = [], hang = false): IPlugin => ({
      id,
      version: '1.0.0',
      sdkVersion: '6.0.0',
      dependencies,
      async initializeAsync() {
        journal.push(`init:${id}`);
      },
      async stopAsync() {
        journal.push(`stop:${id}`);
        if (hang) await new Promise(() => undefined);
      },
    });
    const kernel = kernelWith({ c: mk('c', ['b']), a: mk('a', [], true), b: mk('b', ['a']) }, { clock });
    await kernel.startAsync();
    const stopping = kernel.stopAsync();
    await vi.waitFor(() => expect(journal).toContain('stop:a'));
    await clock.advanceAsync(1_000);
    const report = await stopping;
    expect(journal).toEqual(['init:a', 'init:b', 'init:c', 'stop:c', 'stop:b', 'stop:a']);
    expect(report.errors.map((e) => e.code)).toEqual(['ERR_PLUGIN_STOP_TIMEOUT']);
    expect(clock.pendingTimers).toBe(0);
  });
});
