import { describe, expect, it } from 'vitest';
import { USAGE, isCliUsageError, parseCliArgs } from './parseCliArgs.js';

describe('parseCliArgs', () => {
  it('parses start --config with defaults', () => {
    expect(parseCliArgs(['start', '--config', 'dw.config.json'])).toEqual({
      kind: 'start',
      configPath: 'dw.config.json',
      logLevel: 'info',
      logFormat: 'text',
      watchConfig: true,
    });
    expect(
      parseCliArgs(['start', '-c', 'x.json', '--log-level', 'debug', '--log-format', 'json', '--no-watch']),
    ).toEqual({
      kind: 'start',
      configPath: 'x.json',
      logLevel: 'debug',
      logFormat: 'json',
      watchConfig: false,
    });
  });

  it('recognizes help and version', () => {
    expect(parseCliArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['start', '-h'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['help'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['-v'])).toEqual({ kind: 'version' });
    expect(USAGE).toContain('start --config <file>');
  });

  it.each([
    [[], 'Missing command'],
    [['stop'], "Unknown command 'stop'"],
    [['start'], 'start needs --config'],
    [['start', '--config'], 'argument missing'],
    [['start', '-c', 'a', 'b'], "Unexpected argument 'b'"],
    [['start', '-c', 'a', '--port', '1'], "Unknown option '--port'"],
    [['start', '-c', 'a', '--log-level', 'loud'], '--log-level must be one of'],
    [['start', '-c', 'a', '--log-format', 'xml'], "--log-format must be one of text, json, got 'xml'"],
  ])('rejects %j', (argv, text) => {
    let error: unknown;
    try {
      parseCliArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(isCliUsageError(error)).toBe(true);
    expect((error as Error).message).toContain(text);
  });
});
