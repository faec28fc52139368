import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { PinoLogger, createJsonLogger } from './PinoLogger.js';
import { StreamLogger } from './StreamLogger.js';

describe('createJsonLogger', () => {
  it('writes one JSON object per line with time, level, scope, msg and the fields', () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ write: (l) => lines.push(l) });
    logger.info('admin API listening', { url: 'http://127.0.0.1:1' });
    logger.child('status').info('resilience/default closed');
    logger.child('a').child('b').warn('nested');
    logger.debug('hidden below info');
    expect(lines).toHaveLength(3);
    const [first, status, nested] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({
      level: 'info',
      scope: 'host',
      msg: 'admin API listening',
      url: 'http://127.0.0.1:1',
    });
    expect(new Date(first!.time as string).toISOString()).toBe(first!.time);
    expect(status).toMatchObject({ level: 'info', scope: 'status', msg: 'resilience/default closed' });
    // A child of a child replaces the scope rather than writing the key twice.
    expect(lines[2]!.match(/"scope"/g)).toHaveLength(1);
    expect(nested).toMatchObject({ scope: 'b', level: 'warn' });
  });

  it('carries the same information as the text logger for the same entry', () => {
    const json: string[] = [];
    const text: string[] = [];
    const error = Object.assign(new Error('refused'), { code: 'ERR_X' });
    createJsonLogger({ write: (l) => json.push(l), level: 'debug' }).error('start failed', { plugin: 'p', error });
    new StreamLogger({ level: 'debug', err: (l) => text.push(l), scope: 'host' }).error('start failed', {
      plugin: 'p',
      error,
    });
    const record = JSON.parse(json[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'error', scope: 'host', msg: 'start failed', plugin: 'p' });
    expect(record.error).toMatchObject({ type: 'Error', message: 'refused', code: 'ERR_X' });
    expect(text[0]).toContain('ERROR [host] start failed');
    expect(text[0]).toContain('"plugin":"p"');
  });
});

describe('PinoLogger', () => {
  it('adapts an application’s own pino instance, bindings included, and never throws', () => {
    const lines: string[] = [];
    const app = pino({ base: { app: 'shop' } }, { write: (l: string) => void lines.push(l) });
    const logger = new PinoLogger(app);
    logger.child('ultimate-resilience').info('resilience initialized', { strategies: 5 });
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({
      app: 'shop',
      scope: 'ultimate-resilience',
      msg: 'resilience initialized',
      strategies: 5,
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => logger.info('cyclic', { cyclic })).not.toThrow();
    const broken: PinoLogger = new PinoLogger({
      debug: () => {
        throw new Error('sink down');
      },
      info: () => {
        throw new Error('sink down');
      },
      warn: () => undefined,
      error: () => undefined,
      child(): never {
        throw new Error('no children');
      },
    });
    expect(() => broken.info('x')).not.toThrow();
  });
});
