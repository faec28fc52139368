import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import type { IPlugin } from '@datawarehouse/sdk';
import { tempConfigFiles } from '../testing/kernelFixtures.js';
import { HostRuntime } from './HostRuntime.js';

const configFile = tempConfigFiles('runtime');

function recorder(journal: string[]) {
  const plugin: IPlugin = {
    id: 'p',
    version: '1.0.0',
    sdkVersion: '6.0.0',
    async initializeAsync() {
      journal.push('init');
    },
    async stopAsync() {
      journal.push('stop');
    },
  };
  return async () => ({ default: () => plugin });
}

describe('HostRuntime', () => {
  it('serves the admin API with the token from the environment, and stops everything', async () => {
    const journal: string[] = [];
    const token = 'token-from-env-0123456789';
    const host = await HostRuntime.startAsync({
      configPath: configFile({ admin: { port: 0 }, plugins: [{ module: 'p' }] }),
      clock: new VirtualClock(),
      watchConfig: false,
      adminToken: token,
      importModule: recorder(journal),
    });
    expect((await fetch(`${host.adminUrl}/health`)).status).toBe(401);
    expect((await fetch(`${host.adminUrl}/health`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    expect(await host.stopAsync()).toEqual({ stopped: ['p'], errors: [] });
    expect(await host.stopAsync()).toEqual({ stopped: ['p'], errors: [] });
    expect(journal).toEqual(['init', 'stop']);
    await expect(fetch(`${host.adminUrl}/health`)).rejects.toThrow();
  });

  it('counts the token from the environment for a non-loopback admin address, at startup and on reload', async () => {
    const token = 'token-from-env-0123456789';
    const configPath = configFile({ admin: { host: '0.0.0.0', port: 0 }, statusIntervalMs: 0, plugins: [] });
    await expect(HostRuntime.startAsync({ configPath, watchConfig: false })).rejects.toMatchObject({
      field: 'admin.token',
      source: configPath,
    });
    const host = await HostRuntime.startAsync({
      configPath,
      clock: new VirtualClock(),
      watchConfig: false,
      adminToken: token,
    });
    try {
      const url = host.adminUrl!.replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(`${url}/health`)).status).toBe(401);
      expect((await fetch(`${url}/health`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      const outcome = await host.reloadAsync('signal');
      expect(outcome).toMatchObject({ status: 'applied', ignored: [] });
    } finally {
      await host.stopAsync();
    }
  });

  it('names the environment when its token is invalid', async () => {
    await expect(
      HostRuntime.startAsync({
        configPath: configFile({ plugins: [] }),
        watchConfig: false,
        adminToken: 'short',
      }),
    ).rejects.toMatchObject({ field: 'admin.token', source: expect.stringContaining('environment') });
  });

  it('runs without the admin API when it is disabled', async () => {
    const host = await HostRuntime.startAsync({
      configPath: configFile({ admin: { enabled: false }, plugins: [] }),
      watchConfig: false,
    });
    expect(host.adminUrl).toBeUndefined();
    await host.stopAsync();
    expect(host.kernel.state).toBe('stopped');
  });

  it('stops the started plugins when the admin port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as AddressInfo;
    const journal: string[] = [];
    try {
      await expect(
        HostRuntime.startAsync({
          configPath: configFile({ admin: { port }, plugins: [{ module: 'p' }] }),
          watchConfig: false,
          importModule: recorder(journal),
        }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(journal).toEqual(['init', 'stop']);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('re-applies the subsystems section on reload', async () => {
    const path = configFile({ admin: { enabled: false }, plugins: [], subsystems: {} });
    const host = await HostRuntime.startAsync({ configPath: path, watchConfig: false });
    writeFileSync(
      path,
      JSON.stringify({ admin: { enabled: false }, plugins: [], subsystems: { missing: { maxQueueDepth: 1 } } }),
    );
    const outcome = await host.reloadAsync('signal');
    expect(outcome.status).toBe('rejected');
    expect(outcome.error).toMatchObject({ code: 'ERR_SUBSYSTEM_NOT_FOUND' });
    await host.stopAsync();
  });
});
