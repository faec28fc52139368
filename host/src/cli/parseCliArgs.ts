import { parseArgs } from 'node:util';
import { DataWarehouseError, SdkCompatibility, hasErrorCode } from '@datawarehouse/sdk';
import type { LogLevel } from '../logging/StreamLogger.js';

/** The command line was not understood. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class CliUsageError extends DataWarehouseError {
  readonly code = 'ERR_CLI_USAGE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}
/** Guard for {@link CliUsageError}. */
export function isCliUsageError(e: unknown): e is CliUsageError {
  return hasErrorCode(e, 'ERR_CLI_USAGE');
}

/** A parsed command line. @since 6.0.0 */
export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'start';
      readonly configPath: string;
      readonly logLevel: LogLevel;
      /** `text` (default) or `json` (pino, one object per line). @since 6.1.0 */
      readonly logFormat: LogFormat;
      readonly watchConfig: boolean;
    };

/** Format of the CLI's logs. @since 6.1.0 */
export type LogFormat = 'text' | 'json';

/** The `--help` text. */
export const USAGE = `Usage: dw-host <command> [options]

Commands:
  start --config <file>   Load the plugins listed in <file> (JSON), start them, serve the
                          admin API, and print a status line per resilience strategy every
                          statusIntervalMs. SIGINT/SIGTERM stop gracefully (exit 0);
                          SIGHUP (or saving the file) re-applies its "subsystems" section.

Options:
  -c, --config <file>     Configuration file (required for start). Relative plugin paths
                          in it resolve against its folder.
      --log-level <lvl>   debug | info | warn | error (default: info)
      --log-format <fmt>  text | json (default: text); json writes one pino object per line
      --no-watch          Do not reload when the configuration file changes (SIGHUP still does)
  -h, --help              Show this help
  -v, --version           Show the host and SDK versions

Environment:
  DW_ADMIN_TOKEN          Bearer token of the admin API (overrides admin.token in the file)
  DW_ADMIN_PORT           Port of the admin API (overrides admin.port), 0..65535
  DW_REDIS_URL            redis:// or rediss:// URL of the Redis federation plugin (overrides its url)
  DW_FEDERATION_SECRET    Shared HMAC secret of the Redis federation plugin

Admin API (default http://127.0.0.1:7070):
  GET /health   GET /subsystems   GET /subsystems/<name>
  GET|PUT|PATCH /subsystems/<name>/limits   (JSON body, e.g. {"maxConcurrentOperations": 16})
  GET /subsystems/<name>/actions   POST /subsystems/<name>/actions/<action>
                                   (e.g. POST .../resilience/actions/trip {"strategyId": "default"})
  GET /livez   GET /readyz   GET /plugins (the plugins' routes, e.g. GET /metrics)

Exit codes: 0 clean stop, 1 startup or shutdown failure, 2 usage error.
`;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * Parses the arguments after `node cli.js`.
 * @throws {@link CliUsageError} for an unknown command or option, or a missing `--config`.
 */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        'no-watch': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    throw new CliUsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  const [command, ...extra] = positionals;
  if (command === undefined) throw new CliUsageError('Missing command (try: dw-host start --config dw.config.json)');
  if (command === 'help') return { kind: 'help' };
  if (command !== 'start') throw new CliUsageError(`Unknown command '${command}'`);
  if (extra.length > 0) throw new CliUsageError(`Unexpected argument '${extra[0]}'`);
  if (values.config === undefined || values.config.length === 0) throw new CliUsageError('start needs --config <file>');
  const level = values['log-level'] ?? 'info';
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new CliUsageError(`--log-level must be one of ${LEVELS.join(', ')}, got '${level}'`);
  }
  const format = values['log-format'] ?? 'text';
  if (format !== 'text' && format !== 'json') {
    throw new CliUsageError(`--log-format must be one of text, json, got '${format}'`);
  }
  return {
    kind: 'start',
    configPath: values.config,
    logLevel: level as LogLevel,
    logFormat: format,
    watchConfig: values['no-watch'] !== true,
  };
}
