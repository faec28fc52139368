import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { IPlugin } from '@datawarehouse/sdk';
import type { CliEvent, CliIo } from './runCli.js';
import { runCli } from './runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeIo(modules: Record<string, unknown> = {}) {
  const events = new EventEmitter();
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (l) => void out.push(l),
    stderr: (l) => void err.push(l),
    env: {},
    on: (e, l) => void events.on(e, l),
    off: (e, l) => void events.off(e, l),
    importModule: async (s) => {
      if (s in modules) return modules[s];
      throw Object.assign(new Error(`Cannot find module '${s}'`), { code: 'ERR_MODULE_NOT_FOUND' });
    },
  };
  return { io, out, err, emit: (e: CliEvent) => events.emit(e), listeners: () => events.eventNames().length };
}

function config(obj: object): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(obj));
  return path;
}

const plugin = (journal: string[], fail = false): IPlugin => ({
  id: 'p',
  version: '1.0.0',
  sdkVersion: '6.0.0',
  async initializeAsync() {
    journal.push('init');
    if (fail) throw new Error('cannot init');
  },
  async stopAsync() {
    journal.push('stop');
  },
});

describe('runCli', () => {
  it('prints the usage for --help and exits 0', async () => {
    const { io, out } = fakeIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(out.join('\n')).toContain('Usage: dw-host');
  });

  it('exits 2 on a usage error', async () => {
    const { io, err } = fakeIo();
    expect(await runCli(['start'], io)).toBe(2);
    expect(err.join('\n')).toContain('start needs --config');
  });

  it('exits 1 with the coded message when the config file is malformed', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"plugins": [}');
    const { io, err, listeners } = fakeIo();
    expect(await runCli(['start', '--config', path, '--no-watch'], io)).toBe(1);
    expect(err.join('\n')).toMatch(/startup failed: ERR_INVALID_CONFIGURATION: .*broken\.json/);
    expect(listeners()).toBe(0);
  });

  it('exits 1 naming the plugin when its initializeAsync throws', async () => {
    const journal: string[] = [];
    const { io, err } = fakeIo({ p: { default: () => plugin(journal, true) } });
    const path = config({ admin: { port: 0 }, statusIntervalMs: 0, plugins: [{ module: 'p' }] });
    expect(await runCli(['start', '-c', path, '--no-watch'], io)).toBe(1);
    expect(err.join('\n')).toContain("ERR_PLUGIN_INIT_FAILED: Plugin 'p' failed to initialize: cannot init");
  });

  it('runs until SIGTERM, prints the admin URL, then stops the plugins and exits 0', async () => {
    const journal: string[] = [];
    const { io, out, emit, listeners } = fakeIo({ p: { default: () => plugin(journal) } });
    const path = config({ admin: { port: 0 }, statusIntervalMs: 0, plugins: [{ module: 'p' }] });
    const exit = runCli(['start', '-c', path, '--no-watch', '--log-level', 'warn'], io);
    await vi.waitFor(() =>
      expect(out.some((l) => l.startsWith('admin API listening on http://127.0.0.1:'))).toBe(true),
    );
    const url = out
      .find((l) => l.startsWith('admin API'))!
      .split(' ')
      .at(-1)!;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(journal).toEqual(['init', 'stop']);
    expect(listeners()).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('stops gracefully but exits 1 after an unhandled rejection', async () => {
    const journal: string[] = [];
    const { io, out, emit } = fakeIo({ p: { default: () => plugin(journal) } });
    const path = config({ admin: { enabled: false }, statusIntervalMs: 0, plugins: [{ module: 'p' }] });
    const exit = runCli(['start', '-c', path, '--no-watch', '--log-level', 'error'], io);
    await vi.waitFor(() => expect(out.some((l) => l.startsWith('dw-host running'))).toBe(true));
    emit('unhandledRejection');
    expect(await exit).toBe(1);
    expect(journal).toEqual(['init', 'stop']);
  });

  it('stops right after startup when SIGINT arrives while starting', async () => {
    const journal: string[] = [];
    const { io, emit } = fakeIo({ p: { default: () => plugin(journal) } });
    const path = config({ admin: { enabled: false }, statusIntervalMs: 0, plugins: [{ module: 'p' }] });
    const exit = runCli(['start', '-c', path, '--no-watch', '--log-level', 'error'], io);
    emit('SIGINT');
    expect(await exit).toBe(0);
    expect(journal).toEqual(['init', 'stop']);
  });

  it('logs JSON lines with --log-format json, the admin port from DW_ADMIN_PORT', async () => {
    const journal: string[] = [];
    const { io, out, emit } = fakeIo({ p: { default: () => plugin(journal) } });
    const path = config({ admin: { port: 1 }, statusIntervalMs: 0, plugins: [{ module: 'p' }] });
    const exit = runCli(['start', '-c', path, '--no-watch', '--log-format', 'json'], {
      ...io,
      env: { DW_ADMIN_PORT: '0' },
    });
    await vi.waitFor(() => expect(out.some((l) => l.includes('dw-host running'))).toBe(true));
    const records = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    const listening = records.find((r) => String(r.msg).startsWith('admin API listening on'))!;
    expect(listening).toMatchObject({ level: 'info', scope: 'host' });
    // Port 1 in the file; the environment's 0 gave an ephemeral port.
    expect(String(listening.msg)).toMatch(/http:\/\/127\.0\.0\.1:\d{4,5}$/);
    emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(out.every((l) => typeof JSON.parse(l) === 'object')).toBe(true);
  });

  it('exits 1 naming the variable when DW_ADMIN_PORT is malformed', async () => {
    const { io, err } = fakeIo();
    const path = config({ plugins: [] });
    expect(await runCli(['start', '-c', path, '--no-watch'], { ...io, env: { DW_ADMIN_PORT: '99999' } })).toBe(1);
    expect(err.join('\n')).toMatch(/ERR_INVALID_CONFIGURATION.*DW_ADMIN_PORT.*99999/);
  });
});
