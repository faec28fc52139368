import { describe, expect, it } from 'vitest';
import { VirtualClock, silentLogger } from '@datawarehouse/sdk';
import type { IPlugin, PluginContext } from '@datawarehouse/sdk';
import { validateHostConfig } from '../config/validateHostConfig.js';
import type { ServiceRegistry } from '../registry/ServiceRegistry.js';
import { PluginLifecycle } from './PluginLifecycle.js';
import { PluginLoader } from './PluginLoader.js';
import type { PluginScopes } from './PluginScopes.js';

/** A lifecycle over `plugins` (in configuration order) whose scopes and hook record their calls in `journal`. */
function lifecycleFor(
  plugins: IPlugin[],
  journal: string[],
  afterInitializeAsync = async (): Promise<void> => void journal.push('afterInitialize'),
): PluginLifecycle {
  const byModule = new Map(plugins.map((p) => [p.id, { createPlugin: () => p }]));
  const scopes: PluginScopes = {
    createServices: (id) => ({ pluginId: id }) as unknown as ServiceRegistry,
    createContext: (r) => {
      journal.push(`context:${r.plugin.id}`);
      return {} as PluginContext;
    },
    withdraw: (id) => void journal.push(`withdraw:${id}`),
    releaseAll: () => void journal.push('release'),
  };
  return new PluginLifecycle({
    config: validateHostConfig({
      nodeId: 'n1',
      shutdownTimeoutMs: 1000,
      plugins: plugins.map((p) => ({ module: p.id })),
    }),
    loader: new PluginLoader({ importModule: async (s) => byModule.get(s) }),
    scopes,
    clock: new VirtualClock(),
    logger: silentLogger,
    afterInitializeAsync,
  });
}

function plugin(id: string, journal: string[], dependencies: string[] = []): IPlugin {
  return {
    id,
    version: '1.0.0',
    sdkVersion: '6.0.0',
    dependencies,
    async initializeAsync() {
      journal.push(`init:${id}`);
    },
    async startAsync() {
      journal.push(`start:${id}`);
    },
    async stopAsync() {
      journal.push(`stop:${id}`);
    },
  };
}

describe('PluginLifecycle', () => {
  it('asks its scopes for each context, runs the after-initialize hook between init and start, and withdraws then releases on stop', async () => {
    const journal: string[] = [];
    const lifecycle = lifecycleFor([plugin('b', journal, ['a']), plugin('a', journal)], journal);
    await lifecycle.startAsync();
    expect(lifecycle.state).toBe('running');
    expect(journal).toEqual(['context:a', 'init:a', 'context:b', 'init:b', 'afterInitialize', 'start:a', 'start:b']);
    journal.length = 0;
    expect(await lifecycle.stopAsync()).toEqual({ stopped: ['b', 'a'], errors: [] });
    expect(journal).toEqual(['stop:b', 'withdraw:b', 'stop:a', 'withdraw:a', 'release']);
    expect(lifecycle.state).toBe('stopped');
  });

  it('rolls back and releases once when the after-initialize hook fails, ending failed', async () => {
    const journal: string[] = [];
    const failing = lifecycleFor([plugin('a', journal)], journal, () => Promise.reject(new Error('limits refused')));
    await expect(failing.startAsync()).rejects.toThrow('limits refused');
    expect(journal).toEqual(['context:a', 'init:a', 'stop:a', 'withdraw:a', 'release']);
    expect(failing.state).toBe('failed');
  });
});
