import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadHostConfig } from './loadHostConfig.js';

describe('loadHostConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dw-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads a valid file and reports its folder and digest', async () => {
    const path = file('ok.json', '\ufeff{ "plugins": [ { "module": "./p.js" } ] }');
    const loaded = await loadHostConfig(path);
    expect(loaded.config.plugins[0]!.module).toBe('./p.js');
    expect(loaded.baseDir).toBe(dir);
    expect(loaded.path).toBe(path);
    expect(loaded.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the file for malformed JSON', async () => {
    const path = file('bad.json', '{ "plugins": [ ');
    await expect(loadHostConfig(path)).rejects.toMatchObject({
      code: 'ERR_INVALID_CONFIGURATION',
      field: '$',
      source: path,
    });
  });

  it('names the field and the file for an invalid value', async () => {
    const path = file('field.json', '{ "plugins": [], "admin": { "port": "x" } }');
    const e = (await loadHostConfig(path).catch((err: unknown) => err)) as Error;
    expect(e).toMatchObject({ field: 'admin.port', source: path });
    expect(e.message).toContain(path);
  });

  it('names the file when it cannot be read', async () => {
    const path = join(dir, 'missing.json');
    await expect(loadHostConfig(path)).rejects.toMatchObject({
      code: 'ERR_INVALID_CONFIGURATION',
      field: '$',
      source: path,
    });
  });
});
