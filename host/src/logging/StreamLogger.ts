import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Logger } from '@datawarehouse/sdk';

/** Log levels, least to most severe. @since 6.0.0 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Options of {@link StreamLogger}. @since 6.0.0 */
export interface StreamLoggerOptions {
  /** Lowest level written. Default `info`. */
  readonly level?: LogLevel;
  /** Sink of `debug`/`info` lines. Default `process.stdout`. */
  readonly out?: (line: string) => void;
  /** Sink of `warn`/`error` lines. Default `process.stderr`. */
  readonly err?: (line: string) => void;
  /** Scope shown in brackets, e.g. a plugin id. */
  readonly scope?: string;
}

/**
 * A line-oriented {@link Logger} for the CLI: `HH:MM:SS.mmm LEVEL [scope] message {fields}`.
 * A logger must never take the host down, so unserializable fields are printed as `[unserializable]`.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class StreamLogger implements Logger {
  private readonly min: number;
  private readonly out: (line: string) => void;
  private readonly err: (line: string) => void;

  constructor(private readonly options: StreamLoggerOptions = {}) {
    this.min = RANK[options.level ?? 'info'];
    this.out = options.out ?? ((line) => void process.stdout.write(line + '\n'));
    this.err = options.err ?? ((line) => void process.stderr.write(line + '\n'));
  }

  /** A logger writing to the same sinks under another scope. */
  child(scope: string): StreamLogger {
    return new StreamLogger({ ...this.options, scope });
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
    if (RANK[level] < this.min) return;
    const time = new Date().toISOString().slice(11, 23);
    const scope = this.options.scope === undefined ? '' : ` [${this.options.scope}]`;
    const line = `${time} ${level.toUpperCase().padEnd(5)}${scope} ${message}${formatFields(fields)}`;
    (RANK[level] >= RANK.warn ? this.err : this.out)(line);
  }
}

function formatFields(fields: Readonly<Record<string, unknown>> | undefined): string {
  if (fields === undefined || Object.keys(fields).length === 0) return '';
  try {
    return ' ' + JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message}` : v));
  } catch {
    return ' [unserializable]';
  }
}
