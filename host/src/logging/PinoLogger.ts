import { pino } from 'pino';
import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Logger } from '@datawarehouse/sdk';
import type { LogLevel } from './StreamLogger.js';

/**
 * What {@link PinoLogger} needs of a pino logger (a `pino()` instance or any child of it):
 * the four levels called as `(fields, message)`, and `child(bindings)`.
 * @since 6.1.0
 */
export interface PinoLike {
  /** Writes a `debug` record: the fields merged into it, the message as `msg`. */
  debug(fields: object, message: string): void;
  /** Writes an `info` record. */
  info(fields: object, message: string): void;
  /** Writes a `warn` record. */
  warn(fields: object, message: string): void;
  /** Writes an `error` record. */
  error(fields: object, message: string): void;
  /** A logger whose records all carry `bindings`. */
  child(bindings: Record<string, unknown>): PinoLike;
}

/**
 * The host's {@link Logger} over a pino logger, to embed the host in an application that
 * already logs with pino: every entry becomes one pino record with the message as `msg`, the
 * entry's fields as properties, and `scope` (the plugin id, `admin`, `config`, `status`…) bound
 * by `child`. An `Error` in the fields is written as `{ type, message, code?, stack }`; a
 * logger must never take the host down, so a field pino cannot write is replaced by a note.
 *
 * @example
 * ```ts
 * import { pino } from 'pino';
 * const host = await HostRuntime.startAsync({ configPath: 'dw.config.json', logger: new PinoLogger(pino()) });
 * ```
 * @since 6.1.0
 */
@SdkCompatibility('6.0.0')
export class PinoLogger implements Logger {
  /**
   * @param target - the pino logger entries go to.
   * @param root - the logger `child` binds scopes on (default `target`): children of children
   * replace the scope instead of writing it twice.
   */
  constructor(
    private readonly target: PinoLike,
    private readonly root: PinoLike = target,
  ) {}

  /** A logger for `scope`: a child of the root pino logger bound to `{ scope }`. */
  child(scope: string): PinoLogger {
    return new PinoLogger(this.root.child({ scope }), this.root);
  }

  debug(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.write('error', message, fields);
  }

  private write(level: LogLevel, message: string, fields: Readonly<Record<string, unknown>> | undefined): void {
    try {
      this.target[level](serializeFields(fields), message);
    } catch {
      try {
        this.target[level]({ fields: '[unserializable]' }, message);
      } catch {
        // Nothing more a logger can do; it must not throw into the host.
      }
    }
  }
}

/** Options of {@link createJsonLogger}. @since 6.1.0 */
export interface JsonLoggerOptions {
  /** Lowest level written. Default `info`. */
  readonly level?: LogLevel;
  /** Receives each JSON line (without its newline). Default: standard output. */
  readonly write?: (line: string) => void;
  /** Scope of the root logger. Default `host`. */
  readonly scope?: string;
}

/**
 * The CLI's `--log-format json` logger: pino writing one JSON object per line with `time`
 * (ISO 8601), `level` (`debug`…`error`), `scope`, `msg` and the entry's fields — the same
 * information as the text lines of `StreamLogger`, every level on the same sink.
 * @since 6.1.0
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): PinoLogger {
  const write = options.write ?? ((line: string) => void process.stdout.write(line + '\n'));
  const instance = pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (chunk: string) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) },
  );
  return new PinoLogger(instance.child({ scope: options.scope ?? 'host' }), instance);
}

function serializeFields(fields: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  if (fields === undefined) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = value instanceof Error ? describeError(value) : value;
  return out;
}

function describeError(e: Error): Record<string, unknown> {
  const code = (e as { code?: unknown }).code;
  return {
    type: e.name,
    message: e.message,
    ...(typeof code === 'string' && { code }),
    ...(e.stack !== undefined && { stack: e.stack }),
  };
}
