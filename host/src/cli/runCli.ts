import { createRequire } from 'node:module';
import { SDK_VERSION } from '@datawarehouse/sdk';
import { describeCause } from '../kernel/errors.js';
import type { ModuleImporter } from '../kernel/PluginLoader.js';
import { hostConfigOverridesFromEnv } from '../config/environmentOverrides.js';
import { createJsonLogger } from '../logging/PinoLogger.js';
import { StreamLogger } from '../logging/StreamLogger.js';
import { HostRuntime } from '../runtime/HostRuntime.js';
import { USAGE, isCliUsageError, parseCliArgs } from './parseCliArgs.js';

/** Process events the CLI listens to. @since 6.0.0 */
export type CliEvent = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'uncaughtException' | 'unhandledRejection';

/** What the CLI talks to; defaults to the real process. @since 6.0.0 */
export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly on: (event: CliEvent, listener: (arg?: unknown) => void) => void;
  readonly off: (event: CliEvent, listener: (arg?: unknown) => void) => void;
  /** Module importer (tests). Default: native `import()`. */
  readonly importModule?: ModuleImporter;
}

const STOP_SIGNALS: readonly CliEvent[] = ['SIGINT', 'SIGTERM'];
const FAULTS: readonly CliEvent[] = ['uncaughtException', 'unhandledRejection'];

/** The real process as {@link CliIo}. */
export function processIo(): CliIo {
  return {
    stdout: (line) => void process.stdout.write(line + '\n'),
    stderr: (line) => void process.stderr.write(line + '\n'),
    env: process.env,
    on: (event, listener) => void process.on(event, listener),
    off: (event, listener) => void process.off(event, listener),
  };
}

/**
 * Runs the `dw-host` command line; resolves to the exit code: 0 after a clean stop, 1 when
 * startup fails (the coded error is printed), a plugin failed to stop, or an uncaught error
 * forced the stop, 2 for a usage error.
 * `start` runs until SIGINT/SIGTERM; SIGHUP reloads the configuration; a second stop signal
 * gives up waiting for the shutdown.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let command;
  try {
    command = parseCliArgs(argv);
  } catch (e) {
    if (!isCliUsageError(e)) throw e;
    io.stderr(`dw-host: ${e.message}\nRun 'dw-host --help' for usage.`);
    return 2;
  }
  if (command.kind === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (command.kind === 'version') {
    io.stdout(`dw-host ${hostVersion()} (SDK ${SDK_VERSION})`);
    return 0;
  }

  const json = command.logFormat === 'json';
  const logger = json
    ? createJsonLogger({ level: command.logLevel, write: io.stdout })
    : new StreamLogger({ level: command.logLevel, out: io.stdout, err: io.stderr, scope: 'host' });
  // In JSON every stdout line is a log record; in text the CLI's own lines stay plain.
  const say = json ? (line: string) => logger.info(line) : io.stdout;
  let overrides;
  try {
    overrides = hostConfigOverridesFromEnv(io.env);
  } catch (e) {
    io.stderr(`dw-host: startup failed: ${describeCause(e)}`);
    return 1;
  }
  // Clock timers are unref'd; this handle keeps the process alive while the host runs.
  const keepAlive = setInterval(noop, 1 << 30);
  const stopRequested = deferred();
  const forced = deferred();
  let stopCount = 0;
  let faulted = false;
  let runtime: HostRuntime | undefined;
  const onStop = (): void => {
    stopCount++;
    if (stopCount === 1) stopRequested.resolve();
    else {
      io.stderr('dw-host: second stop signal; exiting without waiting for the shutdown');
      forced.resolve();
    }
  };
  const onHup = (): void => {
    void runtime?.reloadAsync('signal');
  };
  const onFault = (error?: unknown): void => {
    logger.error('unexpected error; stopping the host', { error: describeCause(error) });
    faulted = true;
    stopRequested.resolve();
  };
  for (const s of STOP_SIGNALS) io.on(s, onStop);
  for (const f of FAULTS) io.on(f, onFault);
  io.on('SIGHUP', onHup);
  try {
    const starting = HostRuntime.startAsync({
      configPath: command.configPath,
      logger,
      statusLogger: logger.child('status'),
      watchConfig: command.watchConfig,
      ...(overrides.adminToken !== undefined && { adminToken: overrides.adminToken }),
      overrides,
      importModule: io.importModule,
    });
    try {
      const started = await Promise.race([starting, forced.promise]);
      if (started === undefined) {
        // Still starting: stop whatever it reaches once it is done, but do not wait for it.
        starting.then((r) => r.stopAsync(), noop);
        return 1;
      }
      runtime = started;
    } catch (e) {
      io.stderr(`dw-host: startup failed: ${describeCause(e)}`);
      return 1;
    }
    if (runtime.adminUrl !== undefined) {
      say(`admin API listening on ${runtime.adminUrl}`);
      // Pages plugins serve to browsers (public GET routes without parameters), e.g. the dashboard.
      for (const r of runtime.kernel.routes.list()) {
        if (r.public === true && !/[:*]/.test(r.path))
          say(`${r.description ?? r.plugin}: ${runtime.adminUrl}${r.path}/`);
      }
    }
    const ids = runtime.kernel.plugins.map((p) => p.id).join(', ') || 'none';
    say(`dw-host running: node ${runtime.kernel.config.nodeId}, plugins ${ids}; SIGINT/SIGTERM to stop`);
    await stopRequested.promise;
    const report = await Promise.race([runtime.stopAsync(), forced.promise]);
    if (report === undefined) return 1;
    for (const e of report.errors) io.stderr(`dw-host: ${e.code}: ${e.message}`);
    say(`dw-host stopped${report.errors.length ? ` with ${report.errors.length} error(s)` : ''}`);
    return report.errors.length === 0 && !faulted ? 0 : 1;
  } finally {
    for (const s of STOP_SIGNALS) io.off(s, onStop);
    for (const f of FAULTS) io.off(f, onFault);
    io.off('SIGHUP', onHup);
    clearInterval(keepAlive);
  }
}

function deferred(): { promise: Promise<undefined>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<undefined>((r) => {
    resolve = () => r(undefined);
  });
  return { promise, resolve };
}

function hostVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function noop(): void {}
