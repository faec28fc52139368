import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import { HostRuntime } from './HostRuntime.js';

// Edge case found in review: the admin token from the environment across reloads.

const dir = mkdtempSync(join(tmpdir(), 'dw-edge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

describe('HostRuntime', () => {
  it('with the admin token from the environment, a reload does not report `admin` as changed-needs-restart', async () => {
    const path = join(dir, `c${fileNo++}.json`);
    writeFileSync(path, JSON.stringify({ plugins: [], statusIntervalMs: 0, admin: { enabled: false } }));
    const host = await HostRuntime.startAsync({
      configPath: path,
      adminToken: 'a'.repeat(32),
      watchConfig: false,
      clock: new VirtualClock(),
    });
    try {
      const outcome = await host.reloadAsync('signal');
      expect(outcome.status).toBe('applied');
      // The file did not change at all; every reload warns "admin changed, needs a restart".
      expect(outcome.ignored).toEqual([]);
    } finally {
      await host.stopAsync();
    }
  });
});
